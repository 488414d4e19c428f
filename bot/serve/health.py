"""Is the bot well? Each school's database answers a ``SELECT 1`` within two seconds.

* Webhook mode: ``GET /healthz`` (`bot.serve.webhook`) answers 200 or 503 with the report.
* Either mode: the process writes the same report every `HEARTBEAT_EVERY_S` seconds into
  ``heartbeat.json`` in the data folder (`heartbeat_path`), replacing it whole. Polling has
  no port to ask, so ``python -m bot health`` (the Dockerfile's HEALTHCHECK) reads the file:
  well if it is fresh and says "ok"; in webhook mode it asks ``/healthz`` instead.

The report names schools and states only: ``{"status": "ok", "schools": {"school-12": "ok"}}``
(``"-"`` for the single school of ``.env``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from bot.config import DATA_DIR, Settings, data_folder

__all__ = [
    "HEARTBEAT_EVERY_S",
    "Heartbeat",
    "database_answers",
    "heartbeat_path",
    "polling_heartbeat",
    "read_heartbeat",
    "report",
]

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 30.0
STALE_AFTER_S = 3 * HEARTBEAT_EVERY_S
DB_TIMEOUT_S = 2.0

Report = tuple[int, dict[str, Any]]


async def database_answers(engine: Any, timeout: float = DB_TIMEOUT_S) -> bool:  # noqa: ASYNC109
    """True if the engine's database answers ``SELECT 1`` within `timeout` seconds."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.warning("health: the database does not answer (%s)", type(exc).__name__)
        return False
    return True


def report(states: Mapping[str, str], *, starting: bool = False) -> Report:
    """(HTTP status, body) for the schools' states ("ok", "starting", "database unreachable",
    ...): 200 only when every school is "ok"."""
    ok = bool(states) and not starting and all(state == "ok" for state in states.values())
    status = "ok" if ok else ("starting" if starting else "failing")
    body = {"status": status, "schools": {name or "-": state for name, state in states.items()}}
    return (200 if ok else 503), body


def heartbeat_path(settings: Settings) -> Path:
    """Where the process writes its heartbeat: the data folder (with SCHOOLS_FILE: ``data``)."""
    folder = DATA_DIR if settings.schools_file is not None else data_folder(settings)
    return folder.expanduser() / "heartbeat.json"


@contextlib.asynccontextmanager
async def polling_heartbeat(settings: Settings, engine: Any) -> AsyncIterator[None]:
    """The heartbeat of one school by polling (`bot.main`), for ``python -m bot health``."""

    async def check() -> Report:
        return report({"": "ok" if await database_answers(engine) else "database unreachable"})

    heartbeat = Heartbeat(heartbeat_path(settings), check)
    heartbeat.start()
    try:
        yield
    finally:
        await heartbeat.stop()


class Heartbeat:
    """Writes `check()`'s report to `path` now and every `every` seconds until stopped."""

    def __init__(
        self, path: Path, check: Callable[[], Awaitable[Report]], every: float = HEARTBEAT_EVERY_S
    ) -> None:
        self.path, self.check, self.every = path, check, every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(OSError):
            self.path.unlink()  # a stopped bot is not a well one

    async def beat(self) -> None:
        status, body = await self.check()
        body = {**body, "http_status": status}
        await asyncio.to_thread(_write, self.path, json.dumps(body, ensure_ascii=False))

    async def _run(self) -> None:
        while True:
            try:
                await self.beat()
            except OSError as exc:
                log.warning("heartbeat: cannot write %s (%s)", self.path, type(exc).__name__)
            await asyncio.sleep(self.every)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".heartbeat-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_heartbeat(path: Path, now: float | None = None) -> tuple[bool, str]:
    """(well, one line saying why) from the heartbeat file."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: the bot is not running (or still starting)"
    except (OSError, ValueError) as exc:
        return False, f"the heartbeat {path} cannot be read ({type(exc).__name__})"
    if age > STALE_AFTER_S:
        return False, f"the heartbeat is {age:.0f} s old: the bot is stuck or stopped"
    if body.get("status") != "ok":
        return False, f"unwell: {json.dumps(body.get('schools', {}), ensure_ascii=False)}"
    return True, f"ok ({len(body.get('schools', {}))} school(s), {age:.0f} s ago)"
