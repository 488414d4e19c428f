"""Settings from the environment and `.env` (pydantic-settings).

Nothing here runs at import time: `Settings()` is built inside `main()` or a test.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = PROJECT_ROOT / "seed"
DEFAULT_PLAN = SEED_DIR / "plan.json"
CALENDAR_DIR = SEED_DIR / "calendar"
TELEGRAM_API_URL = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    admin_ids: list[int] = Field(default_factory=list)
    database_url: str = "sqlite+aiosqlite:///data/kenes.db"
    plan_path: Path = DEFAULT_PLAN
    # A calendar file, or empty: the file in seed/calendar/ whose school year contains today.
    calendar_path: Path | None = None
    timezone: str = "Asia/Aqtobe"
    default_language: str = "kk"
    log_level: str = "INFO"
    # Outgoing messages: a global pace under Telegram's 30/s (see bot.scheduler.outbox).
    outbox_rate_per_s: float = Field(default=28.0, gt=0, le=30)
    # Several processes on one database: one sends; another takes over this long after it died.
    outbox_lease_ttl_s: float = Field(default=6.0, ge=1, le=300)
    # Reminders are not sent in these hours (local time), nor on days without school.
    quiet_start_hour: int = Field(default=21, ge=0, le=23)
    quiet_end_hour: int = Field(default=8, ge=0, le=23)
    # Nightly SQLite backups (02:30 local): where (empty: beside the database), how many kept.
    backup_dir: Path | None = None
    backup_keep: int = Field(default=14, ge=1)
