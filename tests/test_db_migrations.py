"""Every migration walks up, down and up again; the head schema is exactly the models."""

from __future__ import annotations

from pathlib import Path

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
    create_migration_engine,
    downgrade_database,
    sync_url,
    upgrade_database,
)

Schema = dict[str, set[str]]  # table -> column names, without alembic_version


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'kenes.db'}"


def read_schema(url: str) -> tuple[Schema, str | None]:
    engine = create_migration_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            schema = {
                table: {column["name"] for column in inspector.get_columns(table)}
                for table in inspector.get_table_names()
                if table != "alembic_version"
            }
            return schema, MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


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
    engine = create_migration_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


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


def test_migration_connection_has_the_pragmas(url: str) -> None:
    upgrade_database(url)
    engine = create_migration_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_command_line_ini_finds_the_same_migrations() -> None:
    ini = MIGRATIONS_DIR.parent / "alembic.ini"
    from_ini = ScriptDirectory.from_config(Config(str(ini)))
    in_code = ScriptDirectory.from_config(alembic_config())
    assert Path(from_ini.dir).resolve() == Path(in_code.dir).resolve()
    assert from_ini.get_heads() == in_code.get_heads()


def test_sync_url_swaps_the_async_driver() -> None:
    assert str(sync_url("sqlite+aiosqlite:///data/kenes.db")) == "sqlite+pysqlite:///data/kenes.db"
    assert str(sync_url("sqlite:///x.db")) == "sqlite:///x.db"
