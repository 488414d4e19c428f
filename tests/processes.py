"""The bot as a real process (`python -m bot …`) against the fake Telegram server on loopback.

    proc = await BotProcess.start(fake, db_url, tmp_path, "run")
    ...
    await proc.kill()          # kill -9: no shutdown code runs
    await proc.stop()          # SIGTERM: the graceful way
    proc.output()              # everything it printed and logged

Settings come from the environment only (the working directory has no .env). The output goes
to a file in `folder`, so a test can read all of it, and a pipe can never fill up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.config import CALENDAR_DIR, DEFAULT_PLAN
from fakegram import FakeTelegram
from tests.harness import ADMIN_ID

START_TIMEOUT_S = 60.0  # a cold start on a busy 2-core machine


def bot_environment(fake: FakeTelegram, db_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "DATABASE_", "TELEGRAM_", "OUTBOX_", "KENES_"))
    }
    env.update(
        BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=fake.base_url,
        DATABASE_URL=db_url,
        ADMIN_IDS=f"[{ADMIN_ID}]",
        PLAN_PATH=str(DEFAULT_PLAN),
        CALENDAR_PATH=str(CALENDAR_DIR / "2026-2027.json"),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log: Path

    @classmethod
    async def start(
        cls,
        fake: FakeTelegram,
        db_url: str,
        folder: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        name: str = "bot",
    ) -> BotProcess:
        """Start ``python -m bot <args>``; returns at once (see `wait_polling`)."""
        log = _next_log(folder, name)
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *args,
                cwd=folder,
                env=bot_environment(fake, db_url, **(env or {})),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        return cls(process, log)

    async def wait_polling(self, fake: FakeTelegram, since: int) -> None:
        """Until the bot has asked for updates more than `since` times in all (it is up)."""
        state = fake.bots[fake.token]
        await fake.wait_until(
            lambda: state.get_updates_calls > since or self.process.returncode is not None,
            START_TIMEOUT_S,
        )
        assert self.process.returncode is None, self.output()

    async def kill(self) -> int:
        """kill -9."""
        self.process.kill()
        return await self.process.wait()

    async def stop(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM, and wait for the process to finish its shutdown."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _next_log(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{len(list(folder.glob(f'{name}-*.log')))}.log"
