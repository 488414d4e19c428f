"""Settings from the environment and `.env` (pydantic-settings).

Nothing here runs at import time: `Settings()` is built inside `main()` or a test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    # "1001", "1001,1002", "1001 1002", " 1001 , 1002 " or "[1001, 1002]" (see parse_ids).
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    database_url: str = "sqlite+aiosqlite:///data/kenes.db"
    plan_path: Path = DEFAULT_PLAN
    # Imported plans, one file per version; the newest is the plan in use unless PLAN_PATH is
    # set (bot/plan_import/store.py).
    plans_dir: Path = Path("data/plans")
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
    # The council's papers: the school's name on them (empty: the plan's), the director who
    # signs the plan, and a folder with the school's own Word templates ({kk,ru}/NAME.docx;
    # empty: the built-in ones in bot/documents/templates/).
    school_name: str | None = None
    director_name: str | None = None
    templates_dir: Path | None = None
    # Backups encrypted with this key (AES-256-GCM; `python -m bot backup-key` makes one).
    backup_key: SecretStr | None = None
    # Files attached to notes: where (empty: "attachments" beside the database), how large.
    attachments_dir: Path | None = None
    attachment_max_mb: float = Field(default=10.0, gt=0, le=20)
    # Closed cases are anonymised after this many school years (see bot.services.retention).
    retention_years: int = Field(default=3, ge=1, le=25)
    # Developers only: log SQL statements WITH their parameters (children's names, notes).
    dev_log_sql: bool = False
    # How updates arrive (bot/serve): "polling" (the bot asks Telegram; the default) or
    # "webhook" (Telegram POSTs them to WEBHOOK_URL + WEBHOOK_PATH, with WEBHOOK_SECRET in a
    # header; the bot listens on WEBHOOK_HOST:WEBHOOK_PORT behind a proxy that holds the TLS).
    run_mode: str = "polling"
    webhook_url: str | None = None
    webhook_path: str = "/telegram"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # How many processes receive this bot's updates behind WEBHOOK_URL (webhook only).
    webhook_replicas: int = Field(default=1, ge=1, le=64)
    # Many schools in one process: a TOML file listing them (bot/serve/schools.py).
    schools_file: Path | None = None
    # PostgreSQL: the schema holding this school's tables (several schools in one database).
    database_schema: str | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return parse_ids(value) if isinstance(value, str) else value


_ID_SEPARATORS = re.compile(r"[\s,;]+")


def parse_ids(text: str) -> list[int] | str:
    """Telegram ids as people write them: ``1001``, ``1001,1002``, ``1001 1002``,
    `` 1001 , 1002 `` or a JSON list ``[1001, 1002]``. Anything else comes back as it was,
    for the field's own validation to refuse."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError:
            return text
        return value if isinstance(value, list) else text
    parts = [p for p in _ID_SEPARATORS.split(stripped) if p]
    if all(re.fullmatch(r"[+-]?\d+", p) for p in parts):
        return [int(p) for p in parts]
    return text


# --- where the data lives (one place for the defaults) -----------------------------------------

DATA_DIR = Path("data")  # beside the database, or this (relative to the working directory)


def sqlite_path(database_url: str) -> Path | None:
    """The file behind an SQLite URL, or None (a server, memory, a URI filename)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):
        return None
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def data_folder(settings: Settings) -> Path:
    """The folder of the SQLite database (the school's data folder), or ``data``."""
    db = sqlite_path(settings.database_url)
    return db.parent if db is not None else DATA_DIR


def attachments_folder(settings: Settings) -> Path:
    """Where files attached to notes are kept: ATTACHMENTS_DIR, or ``attachments`` in the
    data folder."""
    return settings.attachments_dir or data_folder(settings) / "attachments"


def backup_folder(settings: Settings) -> Path:
    """Where backups go: BACKUP_DIR, or ``backups`` in the data folder."""
    return settings.backup_dir or data_folder(settings) / "backups"
