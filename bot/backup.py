"""Safe keeping: online backups with SQLite's backup API, a retention count, and restore.

* `backup_database(db_path, backup_dir, keep=14, now=...)` copies the live database (WAL mode,
  the bot may be running) page by page with ``sqlite3.Connection.backup``, checks the copy with
  ``PRAGMA integrity_check``, and deletes the oldest ``kenes-*.db`` files beyond `keep`.
* `restore_database(backup, db_path)` writes a backup back over the database, also through the
  backup API (so the ``-wal`` file is dealt with by SQLite, not by a file copy). Stop the bot
  first: see "Backup and restore" in the README.
* `python -m bot backup [--dir DIR] [--keep N]` and `python -m bot restore FILE --yes`.
* `nightly_backup(...)` is the job the scheduler runs (`schedule_nightly_backup` adds it to an
  APScheduler at 02:30 school time); the copying runs in a thread.

Only file names and counts are logged, never data.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

PREFIX = "kenes-"
SUFFIX = ".db"
DEFAULT_KEEP = 14
NIGHTLY_JOB_ID = "kenes-backup"


class BackupError(Exception):
    pass


def database_path(database_url: str) -> Path:
    """The file behind an SQLite URL (``sqlite+aiosqlite:///data/kenes.db``)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        raise BackupError(
            "the database is PostgreSQL: back it up with pg_dump and restore with pg_restore"
            ' (README, "Backup and restore")'
        )
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(f"not an SQLite file database: {url.render_as_string()}")
    return Path(url.database).expanduser()


def default_backup_dir(db_path: Path) -> Path:
    return Path(os.environ.get("BACKUP_DIR") or db_path.parent / "backups")


def backups(backup_dir: Path) -> list[Path]:
    """The backups in `backup_dir`, oldest first (names sort by time)."""
    if not backup_dir.is_dir():
        return []
    return sorted(p for p in backup_dir.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=1024)
            (result,) = dst.execute("PRAGMA integrity_check").fetchone()
            if result != "ok":
                raise BackupError(f"integrity check of {target.name} failed")
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def backup_database(
    db_path: Path, backup_dir: Path, *, now: datetime, keep: int = DEFAULT_KEEP
) -> Path:
    """Copy the database to ``backup_dir/kenes-YYYYmmdd-HHMMSS.db``; keep the newest `keep`."""
    if keep < 1:
        raise BackupError("keep must be at least 1")
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(db_path, partial)
        partial.replace(target)  # a backup file is complete or absent
    finally:
        partial.unlink(missing_ok=True)
    old = backups(backup_dir)[:-keep]
    for path in old:
        path.unlink()
    log.info("backup written: %s (%d removed by retention)", target.name, len(old))
    return target


def restore_database(backup: Path, db_path: Path) -> None:
    """Write `backup` over the database at `db_path`. The bot must be stopped."""
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        (result,) = src.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise BackupError(f"integrity check of {backup.name} failed")
        db_path.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(db_path)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    log.info("restored %s from %s", db_path.name, backup.name)


async def nightly_backup(
    database_url: str, tz: tzinfo, backup_dir: Path | None = None, keep: int = DEFAULT_KEEP
) -> Path | None:
    """The scheduler's job: one backup now, in a thread. Errors are logged, not raised."""
    try:
        db_path = database_path(database_url)
        target_dir = backup_dir or default_backup_dir(db_path)
        return await asyncio.to_thread(
            backup_database, db_path, target_dir, now=datetime.now(tz), keep=keep
        )
    except (BackupError, OSError, sqlite3.Error) as exc:
        log.error("nightly backup failed: %s", type(exc).__name__)
        return None


def schedule_nightly_backup(
    scheduler: Any,
    database_url: str,
    tz: tzinfo,
    *,
    backup_dir: Path | None = None,
    keep: int = DEFAULT_KEEP,
    hour: int = 2,
    minute: int = 30,
) -> None:
    """Add the nightly backup to an APScheduler (in-memory job store: plain arguments only)."""
    from apscheduler.triggers.cron import CronTrigger

    if database_url.startswith("sqlite") and ":memory:" not in database_url:
        scheduler.add_job(
            nightly_backup,
            CronTrigger(hour=hour, minute=minute, timezone=tz),
            args=[database_url, tz, backup_dir, keep],
            id=NIGHTLY_JOB_ID,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=3600,
        )


# --- the command line ---------------------------------------------------------------------------


def add_backup_commands(sub: Any) -> None:
    backup = sub.add_parser("backup", help="back the database up now (SQLite online backup)")
    backup.add_argument("--dir", type=Path, help="where backups go (default: data/backups)")
    backup.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="backups kept")
    backup.add_argument("--database-url", help="default: DATABASE_URL from the environment")
    backup.set_defaults(handler=_backup_cmd)
    restore = sub.add_parser("restore", help="write a backup over the database (bot stopped)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--database-url", help="default: DATABASE_URL from the environment")
    restore.add_argument("--yes", action="store_true", help="really overwrite the database")
    restore.set_defaults(handler=_restore_cmd)


def _url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    from bot.config import Settings

    return Settings().database_url


def _backup_cmd(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from bot.config import Settings

    try:
        db_path = database_path(_url(args))
        tz = ZoneInfo(Settings().timezone)
        target = backup_database(
            db_path, args.dir or default_backup_dir(db_path), now=datetime.now(tz), keep=args.keep
        )
    except (BackupError, sqlite3.Error) as exc:
        print(f"backup failed: {exc}")
        return 1
    print(target)
    return 0


def _restore_cmd(args: argparse.Namespace) -> int:
    if not args.yes:
        print("This overwrites the database. Stop the bot, then run again with --yes.")
        return 2
    try:
        restore_database(args.file, database_path(_url(args)))
    except (BackupError, sqlite3.Error) as exc:
        print(f"restore failed: {exc}")
        return 1
    print(f"restored from {args.file}")
    return 0
