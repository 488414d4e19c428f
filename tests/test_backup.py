"""Backups: the online backup API with retention, the CLI, and the README's restore procedure."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.backup import BackupError, backup_database, backups, database_path
from bot.cli import main
from db.engine import create_engine, create_session_pool
from db.models import Incident, IncidentVersion, Person, Student

TZ = ZoneInfo("Asia/Aqtobe")
NOW = datetime(2026, 11, 24, 2, 30, tzinfo=TZ)


async def _fill(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            author = Person(key="sp", name="Social Pedagogue", roles=["social_pedagogue"])
            student = Student(full_name="Сапаров Ерлан", class_name="7Ә")
            session.add_all([author, student])
            await session.flush()
            note = Incident(
                student_id=student.id,  # type: ignore[arg-type]
                author_person_id=author.id,  # type: ignore[arg-type]
                category="fight",  # type: ignore[arg-type]
                occurred_at=NOW,
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


def _names(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT full_name FROM student")]


@pytest.mark.sqlite_only(reason="SQLite's online backup API")
async def test_backup_keeps_the_newest_and_each_copy_is_whole(db_url: str, tmp_path: Path) -> None:
    await _fill(db_url)
    db_path = database_path(db_url)
    target = tmp_path / "backups"
    made = [
        backup_database(db_path, target, now=NOW + timedelta(days=i), keep=3) for i in range(5)
    ]
    assert backups(target) == made[-3:]
    assert _names(made[-1]) == ["Сапаров Ерлан"]
    assert not list(target.glob("*.partial"))
    with pytest.raises(BackupError):
        backup_database(tmp_path / "missing.db", target, now=NOW)


@pytest.mark.sqlite_only(reason="the SQLite file restore")
async def test_restore_procedure_from_the_readme(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README "Backup and restore": back up, stop the bot, `python -m bot restore FILE --yes`."""
    await _fill(db_url)
    target = tmp_path / "nightly"
    assert main(["backup", "--database-url", db_url, "--dir", str(target), "--keep", "2"]) == 0
    (backup,) = backups(target)
    assert str(backup) in capsys.readouterr().out
    # Disaster: the notes are gone from the live database.
    with sqlite3.connect(database_path(db_url)) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DELETE FROM incident_version")
        db.execute("DELETE FROM incident")
        db.execute("DELETE FROM student")
    assert _names(database_path(db_url)) == []
    assert main(["restore", str(backup), "--database-url", db_url]) == 2  # asks for --yes
    assert main(["restore", str(backup), "--database-url", db_url, "--yes"]) == 0
    assert _names(database_path(db_url)) == ["Сапаров Ерлан"]
    # The bot's own engine reads it back, migrated schema and all.
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            version = await session.get(IncidentVersion, 1)
            assert version is not None and version.text == "note text"
    finally:
        await engine.dispose()
    with sqlite3.connect(database_path(db_url)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_on_postgresql_backup_and_restore_point_at_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://kenes:s3cret-pw@db.school.kz/kenes"
    done = subprocess.run(  # the entry point as a process: exit code and its whole output
        [sys.executable, "-m", "bot", "backup", "--database-url", url],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no .env here
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert output.count("\n") == 1 and "pg_dump" in output, output
    assert "Traceback" not in output and "s3cret" not in output
    assert main(["restore", "some.dump", "--database-url", url, "--yes"]) == 1
    restore = capsys.readouterr().out
    assert restore.count("\n") == 1 and "pg_restore" in restore and "s3cret" not in restore
