"""Backups: the database and the attached files in one file, optionally encrypted, with
retention; the README's restore procedure; a wrong key refused with one line."""

from __future__ import annotations

import io
import sqlite3
import tarfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.backup import (
    BackupError,
    WrongKey,
    _read_backup,
    backup_database,
    backups,
    database_path,
    nightly_backup,
    restore_database,
)
from bot.cli import main
from bot.config_check import decode_backup_key, new_backup_key
from bot.services.attachments import AttachmentStore
from db.engine import create_engine, create_session_pool
from db.models import Evidence, Incident, IncidentVersion, Person, Student
from tests.process import run_bot

TZ = ZoneInfo("Asia/Aqtobe")
NOW = datetime(2026, 11, 24, 2, 30, tzinfo=TZ)
NAME = "Сапаров Ерлан"
PHOTO = b"\xff\xd8\xff a photo kept by the school"


async def _fill(db_url: str, store: AttachmentStore | None = None) -> None:
    sha = store.put(PHOTO).sha256 if store is not None else None
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            author = Person(key="sp", name="Social Pedagogue", roles=["social_pedagogue"])
            student = Student(full_name=NAME, class_name="7Ә")
            session.add_all([author, student])
            await session.flush()
            note = Incident(
                student_id=student.id,  # type: ignore[arg-type]
                author_person_id=author.id,  # type: ignore[arg-type]
                category="fight",  # type: ignore[arg-type]
                occurred_at=NOW,
                attachment_kind="photo" if sha else None,
                attachment_sha256=sha,
                attachment_size=len(PHOTO) if sha else None,
            )
            session.add(note)
            await session.flush()
            session.add(
                IncidentVersion(
                    incident_id=note.id,  # type: ignore[arg-type]
                    version=1,
                    text="note text",
                    editor_person_id=author.id,  # type: ignore[arg-type]
                )
            )
            await session.commit()
    finally:
        await engine.dispose()


def _names_in_db(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT full_name FROM student")]


def _names(backup: Path, tmp: Path, key: bytes | None = None) -> list[str]:
    database, _files, _encrypted = _read_backup(backup, key)
    copy = tmp / f"read-{backup.stem}.db"
    copy.write_bytes(database)
    return _names_in_db(copy)


@pytest.mark.sqlite_only(reason="SQLite's file backup and restore")
async def test_backup_keeps_the_newest_and_each_copy_is_whole(db_url: str, tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    await _fill(db_url, store)
    db_path = database_path(db_url)
    target = tmp_path / "backups"
    target.mkdir()
    legacy = target / "kenes-20261101-023000.db"  # the format before this one counts too
    legacy.write_bytes(db_path.read_bytes())
    made = [
        backup_database(db_path, target, now=NOW + timedelta(days=i), keep=3, attachments=store)
        for i in range(5)
    ]
    assert backups(target) == made[-3:]
    assert _names(made[-1], tmp_path) == [NAME]
    with tarfile.open(made[-1]) as tar:
        assert tar.getnames() == ["kenes-backup.json", "files/000001", "index.json", "database"]
    _database, files, encrypted = _read_backup(made[-1], None)
    assert files == [(store.all().__next__()[0], PHOTO)] and not encrypted
    assert not list(target.glob("*.partial"))
    with pytest.raises(BackupError):
        backup_database(tmp_path / "missing.db", target, now=NOW)


@pytest.mark.sqlite_only(reason="SQLite's file backup and restore")
async def test_an_encrypted_backup_hides_everything_and_a_wrong_key_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    await _fill(db_url, store)
    key = decode_backup_key(new_backup_key())
    assert key is not None and len(key) == 32
    made = backup_database(
        database_path(db_url), tmp_path / "b", now=NOW, attachments=store, key=key
    )
    raw = made.read_bytes()
    assert NAME.encode() not in raw and PHOTO not in raw and b"note text" not in raw
    assert b"SQLite format 3" not in raw
    assert _names(made, tmp_path, key) == [NAME]
    other = decode_backup_key(new_backup_key())
    with pytest.raises(WrongKey, match="cannot be opened with this BACKUP_KEY"):
        restore_database(made, database_path(db_url), attachments=store, key=other)
    with pytest.raises(WrongKey, match="is encrypted: set BACKUP_KEY"):
        restore_database(made, database_path(db_url), attachments=store, key=None)
    # Members are bound to their place: a file's sealed bytes put in as the database do not
    # open, even with the right key.
    with tarfile.open(made) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    members["database"] = members["files/000001"]
    swapped = tmp_path / "b" / "kenes-20261125-023000.tar"
    with tarfile.open(swapped, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(WrongKey, match="database: cannot be opened"):
        restore_database(swapped, database_path(db_url), attachments=store, key=key)
    assert _names_in_db(database_path(db_url)) == [NAME]  # nothing was changed


@pytest.mark.sqlite_only(reason="SQLite's file backup and restore")
async def test_restore_procedure_from_the_readme(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """README "Backup and restore": back up, stop the bot, `python -m bot restore FILE --yes`:
    the database and the attached files come back."""
    monkeypatch.delenv("BACKUP_KEY", raising=False)
    monkeypatch.delenv("ATTACHMENTS_DIR", raising=False)
    store = AttachmentStore(database_path(db_url).parent / "attachments")
    await _fill(db_url, store)
    target = tmp_path / "nightly"
    assert main(["backup", "--database-url", db_url, "--dir", str(target), "--keep", "2"]) == 0
    (backup,) = backups(target)
    assert str(backup) in capsys.readouterr().out
    # Disaster: the notes are gone from the live database, and the files from the folder.
    with sqlite3.connect(database_path(db_url)) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DELETE FROM incident_version")
        db.execute("DELETE FROM incident")
        db.execute("DELETE FROM student")
    for _sha, path in list(store.all()):
        path.unlink()
    assert _names_in_db(database_path(db_url)) == [] and list(store.all()) == []
    assert main(["restore", str(backup), "--database-url", db_url]) == 2  # asks for --yes
    assert main(["restore", str(backup), "--database-url", db_url, "--yes"]) == 0
    assert "1 attached files" in capsys.readouterr().out
    assert _names_in_db(database_path(db_url)) == [NAME]
    ((sha, path),) = list(store.all())
    assert path.read_bytes() == PHOTO
    # The bot's own engine reads it back, migrated schema and all.
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            version = await session.get(IncidentVersion, 1)
            note = await session.get(Incident, 1)
            assert version is not None and version.text == "note text"
            assert note is not None and note.attachment_sha256 == sha
    finally:
        await engine.dispose()
    with sqlite3.connect(database_path(db_url)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.sqlite_only(reason="SQLite's file backup and restore")
async def test_a_backup_of_the_old_format_still_restores(db_url: str, tmp_path: Path) -> None:
    await _fill(db_url)
    old = tmp_path / "kenes-20261001-023000.db"
    with sqlite3.connect(database_path(db_url)) as src, sqlite3.connect(old) as dst:
        src.backup(dst)
    with sqlite3.connect(database_path(db_url)) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DELETE FROM incident_version")
        db.execute("DELETE FROM incident")
        db.execute("DELETE FROM student")
    assert restore_database(old, database_path(db_url)).files == 0
    assert _names_in_db(database_path(db_url)) == [NAME]


@pytest.mark.sqlite_only(reason="SQLite's file backup and restore")
async def test_the_nightly_job_backs_up_the_files_too(db_url: str, tmp_path: Path) -> None:
    attachments = tmp_path / "att"
    await _fill(db_url, AttachmentStore(attachments))
    key = decode_backup_key(new_backup_key())
    made = await nightly_backup(db_url, TZ, tmp_path / "nightly", 3, attachments, key)
    assert made is not None and made.suffix == ".tar"
    _database, files, encrypted = _read_backup(made, key)
    assert [data for _sha, data in files] == [PHOTO] and encrypted


@pytest.mark.sqlite_only(reason="SQLite's file backup and restore")
async def test_evidence_of_a_plan_items_work_is_in_the_backup(db_url: str, tmp_path: Path) -> None:
    """A photo sent as a reply to a reminder (#12) is kept like a note's file, and backed up."""
    store = AttachmentStore(tmp_path / "attachments")
    await _fill(db_url, store)
    evidence = b"%PDF- a report as evidence"
    kept = store.put(evidence)
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            author = (await session.exec(select(Person))).one()
            session.add(
                Evidence(
                    occurrence_key="1.4@2026-11", person_id=author.id,  # type: ignore[arg-type]
                    kind="document", sha256=kept.sha256, size=kept.size, at=NOW,
                )
            )  # fmt: skip
            await session.commit()
    finally:
        await engine.dispose()
    made = backup_database(database_path(db_url), tmp_path / "b", now=NOW, attachments=store)
    _database, files, _encrypted = _read_backup(made, None)
    assert sorted(data for _sha, data in files) == sorted([PHOTO, evidence])


@pytest.mark.sqlite_only(reason="SQLite's file backup and restore")
def test_backup_and_restore_as_processes_encrypted_and_a_wrong_key_is_one_line(
    tmp_path: Path,
) -> None:
    """The entry points themselves: `python -m bot backup-key` makes a key, `backup` uses it,
    then `restore` with another key (one line, exit 1, nothing changed) and the right one."""
    import asyncio

    db = tmp_path / "data" / "kenes.db"
    url = f"sqlite+aiosqlite:///{db}"
    from db.engine import upgrade_database

    upgrade_database(url)
    asyncio.run(_fill(url, AttachmentStore(db.parent / "attachments")))
    made_key = run_bot("backup-key", cwd=tmp_path)
    key = made_key.stdout.strip()
    assert made_key.code == 0 and decode_backup_key(key) is not None, made_key.output
    made = run_bot("backup", cwd=tmp_path, DATABASE_URL=url, BACKUP_KEY=key)
    assert made.code == 0 and made.stderr == "", made.output
    backup = Path(made.stdout.strip())
    assert backup.parent == db.parent / "backups" and backup.is_file()
    before = db.read_bytes()
    wrong = run_bot(
        "restore",
        str(backup),
        "--yes",
        cwd=tmp_path,
        DATABASE_URL=url,
        BACKUP_KEY=new_backup_key(),
    )
    assert wrong.code == 1 and "Traceback" not in wrong.output
    (line,) = wrong.stderr.splitlines()
    assert "BACKUP_KEY" in line and "nothing was changed" in line
    assert db.read_bytes() == before
    right = run_bot(
        "restore", str(backup), "--yes", cwd=tmp_path, DATABASE_URL=url, BACKUP_KEY=key
    )
    assert right.code == 0 and "1 attached files" in right.stdout, right.output
    assert NAME not in made.output + wrong.output + right.output


def test_on_postgresql_backup_and_restore_point_at_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://kenes:s3cret-pw@db.school.kz/kenes"
    # The entry point as a process: exit code and its whole output.
    done = run_bot("backup", "--database-url", url, cwd=tmp_path)
    assert done.code == 1
    output = done.output
    assert output.count("\n") == 1 and "pg_dump" in output, output
    assert "Traceback" not in output and "s3cret" not in output
    assert main(["restore", "some.dump", "--database-url", url, "--yes"]) == 1
    captured = capsys.readouterr()
    restore = captured.out + captured.err
    assert restore.count("\n") == 1 and "pg_restore" in restore and "s3cret" not in restore
