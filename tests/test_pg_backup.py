"""scripts/pg-backup and scripts/pg-restore against the throwaway PostgreSQL server of
scripts/with-postgres (the PostgreSQL half of the suite; Docker is not needed: the scripts are
what the docker-compose.yml `backup` service runs).

A backup is checked before it counts, only the newest N are kept, a restore brings back the
database (all of it, or one school's schema, leaving the other schools alone) and the attached
files, and the bot's migrations find the restored database at their head.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import PROJECT_ROOT
from db.engine import create_engine, create_session_pool, upgrade_database
from db.models import Student
from tests.databases import backend

pytestmark = pytest.mark.skipif(
    backend() != "postgres", reason="PostgreSQL's own tools: run in the PostgreSQL half"
)
CREATED = "2026-11-24T09:00:00+05:00"


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url)
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if bins:  # Debian's server package: the tools of the newest version first
        env["PATH"] = f"{bins[-1]}:{env['PATH']}"
    return env


def _script(name: str, *args: str | Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROJECT_ROOT / "scripts" / name), *map(str, args)],
        env=_env(url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _names(url: str, schema: str | None = None) -> list[str]:
    engine = create_engine(url, schema=schema)
    try:
        async with create_session_pool(engine)() as session:
            rows = await session.exec(select(Student.full_name).order_by(Student.full_name))
            return list(rows.all())
    finally:
        await engine.dispose()


async def _set_names(url: str, names: list[str], schema: str | None = None) -> None:
    from datetime import datetime

    engine = create_engine(url, schema=schema)
    try:
        async with create_session_pool(engine)() as session:
            for student in (await session.exec(select(Student))).all():
                await session.delete(student)
            now = datetime.fromisoformat(CREATED)
            session.add_all(Student(full_name=n, class_name="7Ә", created_at=now) for n in names)
            await session.commit()
    finally:
        await engine.dispose()


def test_backup_keeps_the_newest_and_restore_brings_back_the_database_and_files(
    db_url: str, tmp_path: Path
) -> None:
    asyncio.run(_set_names(db_url, ["Бэкапов Арман"]))
    backups = tmp_path / "backups"
    backups.mkdir()
    for old in ("20200101-000000", "20200102-000000"):
        (backups / f"kenes-{old}.dump").write_bytes(b"an old backup")
    data = tmp_path / "data"
    (data / "attachments").mkdir(parents=True)
    (data / "attachments" / "ab12.bin").write_bytes(b"a photo of a note")

    done = _script("pg-backup", "--dir", backups, "--keep", "2", "--files", data, url=db_url)
    assert done.returncode == 0, done.stderr
    dump, archive = (Path(line) for line in done.stdout.split())
    assert dump.name.startswith("kenes-2") and dump.suffix == ".dump"
    assert sorted(p.name for p in backups.glob("*.dump")) == [
        "kenes-20200102-000000.dump",
        dump.name,
    ]  # the oldest went
    assert archive.is_file() and archive.name.endswith("-files.tar.gz")

    asyncio.run(_set_names(db_url, ["Кейін қосылған"]))  # the day goes wrong after it
    asked = _script("pg-restore", dump, url=db_url)
    assert asked.returncode == 1 and "would restore the whole database" in asked.stdout
    assert asyncio.run(_names(db_url)) == ["Кейін қосылған"]  # without --yes, nothing
    restored = tmp_path / "restored"
    done = _script("pg-restore", dump, "--files", archive, "--into", restored, "--yes", url=db_url)
    assert done.returncode == 0, done.stderr
    assert asyncio.run(_names(db_url)) == ["Бэкапов Арман"]
    assert (restored / "attachments" / "ab12.bin").read_bytes() == b"a photo of a note"
    upgrade_database(db_url)  # the bot's start: the restored database is at the head


def test_one_school_is_restored_and_the_others_are_left_alone(
    empty_db_url: str, tmp_path: Path
) -> None:
    for schema in ("north", "south"):
        upgrade_database(empty_db_url, schema=schema)
        asyncio.run(_set_names(empty_db_url, [f"{schema} before"], schema))
    done = _script("pg-backup", "--dir", tmp_path, url=empty_db_url)
    assert done.returncode == 0, done.stderr
    dump = Path(done.stdout.strip())
    for schema in ("north", "south"):
        asyncio.run(_set_names(empty_db_url, [f"{schema} after"], schema))
    done = _script("pg-restore", dump, "--schema", "north", "--yes", url=empty_db_url)
    assert done.returncode == 0, done.stderr
    assert asyncio.run(_names(empty_db_url, "north")) == ["north before"]
    assert asyncio.run(_names(empty_db_url, "south")) == ["south after"]  # untouched
    refused = _script("pg-backup", "--keep", "0", url=empty_db_url)
    assert refused.returncode == 2 and "--keep" in refused.stderr
    sqlite = _script("pg-backup", url=f"sqlite+aiosqlite:///{tmp_path}/kenes.db")
    assert sqlite.returncode == 2 and "python -m bot backup" in sqlite.stderr
