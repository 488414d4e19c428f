"""Safe keeping: the database and the files attached to notes in one backup file, optionally
encrypted, with a retention count; and restore.

A backup is ``kenes-YYYYmmdd-HHMMSS.tar`` in the backup folder, a plain tar archive (``tar tf``
lists it) of:

* ``kenes-backup.json`` — what the file is: format version, time, whether it is encrypted, and
  (when it is) a small sealed check value, so a wrong key is refused before anything is touched;
* ``index.json`` — the database member and one entry (sha256, size) per attached file;
* ``database`` — an online copy of the SQLite database (``sqlite3.Connection.backup``: safe while
  the bot writes), checked with ``PRAGMA integrity_check``;
* ``files/000001``, … — the files the notes in that copy refer to (`bot.services.attachments`).

With ``BACKUP_KEY`` set, every member but the header is sealed with AES-256-GCM from the
`cryptography` library (a random 96-bit nonce per member, the member's name as associated data,
so members cannot be swapped); the header says so. Without a key the members are plain, as the
database file itself is: README, "Personal data", says why a school should set one.

* `backup_database(db_path, backup_dir, now=..., keep=14, attachments=..., key=...)` writes one
  (complete or absent: it is written as ``.partial`` and renamed) and deletes the oldest beyond
  `keep` (older ``kenes-*.db`` files, the format before this one, count too).
* `restore_database(backup, db_path, attachments=..., key=...)` checks the key, the database copy
  and every file's sha256 first, then writes the database back through the backup API (a stale
  ``-wal`` cannot mix in) and puts the files back in the folder. Stop the bot first (README).
  An old ``kenes-*.db`` backup restores too (database only).
* `nightly_backup(...)` is the scheduler's job (02:30 school time, see
  `schedule_nightly_backup`); the copying runs in a thread.
* ``python -m bot backup [--dir DIR] [--keep N]`` and ``python -m bot restore FILE --yes``.

Only file names and counts are logged, never data.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import logging
import os
import sqlite3
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from bot.services.attachments import AttachmentStore

log = logging.getLogger(__name__)

PREFIX = "kenes-"
SUFFIX = ".tar"
LEGACY_SUFFIX = ".db"  # a bare database copy, before attachments were kept
DEFAULT_KEEP = 14
NIGHTLY_JOB_ID = "kenes-backup"
FORMAT = "kenes-backup"
VERSION = 1
HEADER = "kenes-backup.json"
INDEX = "index.json"
DATABASE = "database"
CIPHER = "AES-256-GCM"
_CHECK = b"kenes backup key check"
_NONCE = 12


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the admin."""


class WrongKey(BackupError):
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
    found = [
        p
        for suffix in (SUFFIX, LEGACY_SUFFIX)
        for p in backup_dir.glob(f"{PREFIX}*{suffix}")
        if p.is_file()
    ]
    return sorted(found, key=lambda p: p.name.removesuffix(p.suffix))


# --- sealing ------------------------------------------------------------------------------------


class _Seal:
    """AES-256-GCM over whole members; no key: members pass through as they are."""

    def __init__(self, key: bytes | None) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.aead = AESGCM(key) if key is not None else None

    @property
    def on(self) -> bool:
        return self.aead is not None

    def seal(self, name: str, data: bytes) -> bytes:
        if self.aead is None:
            return data
        nonce = os.urandom(_NONCE)
        return nonce + self.aead.encrypt(nonce, data, name.encode())

    def open(self, name: str, data: bytes) -> bytes:
        if self.aead is None:
            return data
        from cryptography.exceptions import InvalidTag

        try:
            return self.aead.decrypt(data[:_NONCE], data[_NONCE:], name.encode())
        except InvalidTag:
            raise WrongKey(
                f"{name}: cannot be opened with this BACKUP_KEY (another key, or the file is "
                "damaged); nothing was changed"
            ) from None


# --- making a backup ----------------------------------------------------------------------------


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


def _attached(db_copy: Path) -> list[str]:
    """The sha256 of every file the notes and the evidence of plan items (a photo sent as a
    reply to a reminder) in a database copy refer to."""
    db = sqlite3.connect(f"file:{db_copy}?mode=ro", uri=True)
    try:
        found: set[str] = set()
        for table, column in (("incident", "attachment_sha256"), ("evidence", "sha256")):
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if column in columns:
                rows = db.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")
                found.update(row[0] for row in rows)
        return sorted(found)
    finally:
        db.close()


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def backup_database(
    db_path: Path,
    backup_dir: Path,
    *,
    now: datetime,
    keep: int = DEFAULT_KEEP,
    attachments: AttachmentStore | None = None,
    key: bytes | None = None,
) -> Path:
    """Write ``backup_dir/kenes-YYYYmmdd-HHMMSS.tar`` (see the module notes); keep the newest
    `keep`. Returns its path."""
    if keep < 1:
        raise BackupError("keep must be at least 1")
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"{PREFIX}{now:%Y%m%d-%H%M%S}{SUFFIX}"
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    seal = _Seal(key)
    missing = 0
    try:
        with tempfile.TemporaryDirectory(prefix="kenes-backup-", dir=backup_dir) as work:
            copy = Path(work) / "database"
            _copy(db_path, copy)
            files = []
            for sha in _attached(copy):
                if attachments is None or not attachments.exists(sha):
                    missing += 1
                    continue
                files.append((f"files/{len(files) + 1:06d}", sha))
            header = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": now.isoformat(),
                "encrypted": seal.on,
                "cipher": CIPHER if seal.on else None,
                "check": base64.b64encode(seal.seal(HEADER, _CHECK)).decode() if seal.on else None,
            }
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
                stamp = now.timestamp()
                _add(tar, HEADER, json.dumps(header, indent=1).encode(), stamp)
                index: dict[str, Any] = {"database": DATABASE, "files": []}
                for member, sha in files:
                    assert attachments is not None
                    data = attachments.read(sha)
                    index["files"].append({"member": member, "sha256": sha, "size": len(data)})
                    _add(tar, member, seal.seal(member, data), stamp)
                _add(tar, INDEX, seal.seal(INDEX, json.dumps(index).encode()), stamp)
                _add(tar, DATABASE, seal.seal(DATABASE, copy.read_bytes()), stamp)
        partial.replace(target)  # a backup file is complete or absent
    finally:
        partial.unlink(missing_ok=True)
    old = backups(backup_dir)[:-keep]
    for path in old:
        path.unlink()
    log.info(
        "backup written: %s (%d files%s, %s; %d removed by retention)",
        target.name,
        len(files),
        f", {missing} missing from the folder" if missing else "",
        "encrypted" if seal.on else "not encrypted",
        len(old),
    )
    return target


# --- restoring ----------------------------------------------------------------------------------


@dataclass
class Restored:
    files: int  # files put back into the folder (already there: counted too)
    encrypted: bool


def _read_backup(backup: Path, key: bytes | None) -> tuple[bytes, list[tuple[str, bytes]], bool]:
    """The database bytes and [(sha256, bytes)] of a backup file, all checked; nothing
    written. Raises `BackupError` (`WrongKey`) with one line."""
    try:
        tar = tarfile.open(backup, "r:")  # noqa: SIM115 - the `with` below closes it
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{backup.name}: not a Kenes backup ({exc})") from None
    with tar:
        try:
            header = json.loads(_member(tar, HEADER))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BackupError(f"{backup.name}: not a Kenes backup") from None
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise BackupError(f"{backup.name}: not a Kenes backup of a version this bot reads")
        encrypted = bool(header.get("encrypted"))
        if encrypted and key is None:
            raise WrongKey(
                f"{backup.name} is encrypted: set BACKUP_KEY to the key it was made with"
            )
        seal = _Seal(key if encrypted else None)
        if encrypted:
            check = seal.open(HEADER, base64.b64decode(header.get("check") or ""))
            if check != _CHECK:
                raise WrongKey(f"{backup.name}: not this BACKUP_KEY")
        index = json.loads(seal.open(INDEX, _member(tar, INDEX)))
        database = seal.open(DATABASE, _member(tar, index.get("database", DATABASE)))
        files = []
        for entry in index.get("files", []):
            data = seal.open(entry["member"], _member(tar, entry["member"]))
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise BackupError(f"{backup.name}: {entry['member']} is damaged")
            files.append((entry["sha256"], data))
    return database, files, encrypted


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BackupError(f"{Path(str(tar.name)).name}: {name} is missing") from None
    extracted = tar.extractfile(member)
    if extracted is None:
        raise BackupError(f"{Path(str(tar.name)).name}: {name} is not a file")
    return extracted.read()


def _write_database(source: Path, db_path: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        (result,) = src.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise BackupError(f"integrity check of {source.name} failed")
        db_path.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(db_path)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def restore_database(
    backup: Path,
    db_path: Path,
    *,
    attachments: AttachmentStore | None = None,
    key: bytes | None = None,
) -> Restored:
    """Write `backup` over the database at `db_path` and put its files back into
    `attachments`. Everything is checked before anything is written. The bot must be stopped."""
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    if backup.suffix == LEGACY_SUFFIX:
        _write_database(backup, db_path)
        log.info("restored %s from %s (database only)", db_path.name, backup.name)
        return Restored(files=0, encrypted=False)
    database, files, encrypted = _read_backup(backup, key)
    if files and attachments is None:
        raise BackupError("the backup holds attached files but no folder was given for them")
    with tempfile.TemporaryDirectory(prefix="kenes-restore-") as work:
        copy = Path(work) / "database"
        copy.write_bytes(database)
        _write_database(copy, db_path)
    for _sha, data in files:
        assert attachments is not None
        attachments.put(data)
    log.info("restored %s and %d files from %s", db_path.name, len(files), backup.name)
    return Restored(files=len(files), encrypted=encrypted)


# --- the nightly job ----------------------------------------------------------------------------


async def nightly_backup(
    database_url: str,
    tz: tzinfo,
    backup_dir: Path | None = None,
    keep: int = DEFAULT_KEEP,
    attachments_dir: Path | None = None,
    key: bytes | None = None,
) -> Path | None:
    """The scheduler's job: one backup now, in a thread. Errors are logged, not raised."""
    from bot.services.attachments import AttachmentStore

    try:
        db_path = database_path(database_url)
        target_dir = backup_dir or default_backup_dir(db_path)
        store = AttachmentStore(attachments_dir or db_path.parent / "attachments")
        return await asyncio.to_thread(
            backup_database,
            db_path,
            target_dir,
            now=datetime.now(tz),
            keep=keep,
            attachments=store,
            key=key,
        )
    except (BackupError, OSError, sqlite3.Error, tarfile.TarError) as exc:
        log.error("nightly backup failed: %s", exc)
        return None


def schedule_nightly_backup(
    scheduler: Any,
    database_url: str,
    tz: tzinfo,
    *,
    backup_dir: Path | None = None,
    keep: int = DEFAULT_KEEP,
    attachments_dir: Path | None = None,
    key: bytes | None = None,
    hour: int = 2,
    minute: int = 30,
) -> None:
    """Add the nightly backup to an APScheduler (in-memory job store: plain arguments only)."""
    from apscheduler.triggers.cron import CronTrigger

    if database_url.startswith("sqlite") and ":memory:" not in database_url:
        scheduler.add_job(
            nightly_backup,
            CronTrigger(hour=hour, minute=minute, timezone=tz),
            args=[database_url, tz, backup_dir, keep, attachments_dir, key],
            id=NIGHTLY_JOB_ID,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=3600,
        )


# --- the command line ---------------------------------------------------------------------------


def add_backup_commands(sub: Any) -> None:
    backup = sub.add_parser(
        "backup", help="back the database and the attached files up now (BACKUP_KEY: encrypted)"
    )
    backup.add_argument("--dir", type=Path, help="where backups go (default: data/backups)")
    backup.add_argument("--keep", type=int, help="backups kept (default: BACKUP_KEEP)")
    backup.add_argument("--database-url", help="default: DATABASE_URL from the environment")
    backup.set_defaults(handler=_backup_cmd)
    restore = sub.add_parser(
        "restore", help="write a backup over the database and its files (bot stopped)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--database-url", help="default: DATABASE_URL from the environment")
    restore.add_argument("--yes", action="store_true", help="really overwrite the database")
    restore.set_defaults(handler=_restore_cmd)


def _tool_settings(args: argparse.Namespace) -> Any:
    """The checked settings, with --database-url applied; None after printing the problems."""
    from bot.config_check import settings_for_tool

    settings = settings_for_tool()
    if settings is not None and args.database_url:
        settings = settings.model_copy(update={"database_url": str(args.database_url)})
    return settings


def _key(settings: Any) -> bytes | None:
    from bot.config_check import decode_backup_key

    if settings.backup_key is None:
        return None
    return decode_backup_key(settings.backup_key.get_secret_value())


def _backup_cmd(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from bot.config import attachments_folder, backup_folder
    from bot.services.attachments import AttachmentStore

    settings = _tool_settings(args)
    if settings is None:
        return 1
    try:
        db_path = database_path(settings.database_url)
        target = backup_database(
            db_path,
            args.dir or backup_folder(settings),
            now=datetime.now(ZoneInfo(settings.timezone)),
            keep=args.keep or settings.backup_keep,
            attachments=AttachmentStore(attachments_folder(settings)),
            key=_key(settings),
        )
    except (BackupError, sqlite3.Error, OSError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(target)
    return 0


def _restore_cmd(args: argparse.Namespace) -> int:
    from bot.config import attachments_folder
    from bot.services.attachments import AttachmentStore

    if not args.yes:
        print(
            "This overwrites the database and puts the backup's files back. Stop the bot, then "
            "run again with --yes."
        )
        return 2
    settings = _tool_settings(args)
    if settings is None:
        return 1
    try:
        done = restore_database(
            args.file,
            database_path(settings.database_url),
            attachments=AttachmentStore(attachments_folder(settings)),
            key=_key(settings),
        )
    except (BackupError, sqlite3.Error, OSError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"restored from {args.file} ({done.files} attached files)")
    return 0
