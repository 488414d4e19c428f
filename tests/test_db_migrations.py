"""Every migration walks up, down and up again; the head schema is exactly the models. On the
database the suite runs on (SQLite, or PostgreSQL: tests/databases.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import db.models  # noqa: F401 - registers the tables
from db.engine import (
    MIGRATIONS_DIR,
    alembic_config,
    async_url,
    create_migration_engine,
    downgrade_database,
    upgrade_database,
)

Schema = dict[str, set[str]]  # table -> column names, without alembic_version
T = TypeVar("T")


@pytest.fixture
def url(empty_db_url: str) -> str:
    return empty_db_url


def on_connection(url: str, read: Callable[[sa.Connection], T]) -> T:
    """`read(connection)` on a sync view of a migration engine's connection."""

    async def run() -> T:
        engine = create_migration_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def read_schema(url: str) -> tuple[Schema, str | None]:
    def read(connection: sa.Connection) -> tuple[Schema, str | None]:
        inspector = sa.inspect(connection)
        schema = {
            table: {column["name"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }
        return schema, MigrationContext.configure(connection).get_current_revision()

    return on_connection(url, read)


def test_every_migration_walks_up_down_and_up_again(url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, "no migrations found"

    schemas = [read_schema(url)]  # schemas[i]: after the first i revisions
    assert schemas[0] == ({}, None)
    for revision in revisions:
        upgrade_database(url, revision.revision)
        schemas.append(read_schema(url))
        assert schemas[-1][1] == revision.revision

    head_tables = set(schemas[-1][0])
    assert head_tables == set(SQLModel.metadata.tables)

    for step in range(len(revisions), 0, -1):
        downgrade_database(url, "-1")
        assert read_schema(url) == schemas[step - 1], f"downgrade of {revisions[step - 1]}"

    upgrade_database(url)
    assert read_schema(url) == schemas[-1]


def test_head_schema_matches_models(url: str) -> None:
    upgrade_database(url)

    def compare(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    assert on_connection(url, compare) == []


def test_upgrade_is_idempotent_and_independent_of_cwd(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    upgrade_database(url)
    upgrade_database(url)
    schema, revision = read_schema(url)
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert set(schema) == set(SQLModel.metadata.tables)


@pytest.mark.sqlite_only(reason="SQLite pragmas")
def test_migration_connection_has_the_pragmas(url: str) -> None:
    upgrade_database(url)

    def pragmas(connection: sa.Connection) -> tuple[object, object]:
        return (
            connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
            connection.exec_driver_sql("PRAGMA foreign_keys").scalar(),
        )

    assert on_connection(url, pragmas) == ("wal", 1)


def test_command_line_ini_finds_the_same_migrations() -> None:
    ini = MIGRATIONS_DIR.parent / "alembic.ini"
    from_ini = ScriptDirectory.from_config(Config(str(ini)))
    in_code = ScriptDirectory.from_config(alembic_config())
    assert Path(from_ini.dir).resolve() == Path(in_code.dir).resolve()
    assert from_ini.get_heads() == in_code.get_heads()


def test_async_url_picks_the_one_async_driver() -> None:
    assert str(async_url("sqlite:///data/kenes.db")) == "sqlite+aiosqlite:///data/kenes.db"
    assert str(async_url("sqlite+aiosqlite:///x.db")) == "sqlite+aiosqlite:///x.db"
    for url in (
        "postgresql://k@db/kenes",
        "postgres://k@db/kenes",
        "postgresql+psycopg://k@db/kenes",
    ):
        assert str(async_url(url)) == "postgresql+asyncpg://k@db/kenes"
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        async_url("mysql://k@db/kenes")
