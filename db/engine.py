"""Engines, sessions and migrations.

`create_engine` builds the bot's async engine; every new SQLite connection gets the pragmas in
`SQLITE_PRAGMAS` (WAL, foreign keys enforced, a busy timeout, synchronous=NORMAL).
`upgrade_database` / `downgrade_database` run Alembic programmatically over a sync (pysqlite)
engine built by `create_migration_engine`, with the same pragmas; the Alembic configuration is
built in code and points at the installed `db/migrations`, whatever the working directory.

Nothing here runs at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def create_engine(url: str, *, log_parameters: bool = False) -> AsyncEngine:
    """The bot's async engine. For SQLite: makes the file's directory, sets the pragmas.

    Statement parameters (children's names, note texts) are kept out of SQLAlchemy's errors
    and log lines (``hide_parameters``) unless `log_parameters` (the developer flag
    ``DEV_LOG_SQL``)."""
    sa_url = make_url(url)
    _ensure_sqlite_directory(sa_url)
    engine = create_async_engine(sa_url, hide_parameters=not log_parameters)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def create_migration_engine(url: str | URL) -> Engine:
    """A sync engine for Alembic: the async driver swapped for its sync twin, same pragmas.

    On SQLite, pysqlite's own transaction handling is switched off and SQLAlchemy emits BEGIN
    itself, so that DDL runs inside the migration's transaction and a failed migration rolls
    back whole (see "Serializable isolation / Savepoints / Transactional DDL" in the SQLAlchemy
    SQLite dialect documentation).
    """
    sa_url = sync_url(url)
    _ensure_sqlite_directory(sa_url)
    engine = sa.create_engine(sa_url, hide_parameters=True)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas_autocommit)
        event.listen(engine, "begin", _emit_begin)
    return engine


def sync_url(url: str | URL) -> URL:
    """The URL with its async driver replaced: ``sqlite+aiosqlite`` becomes ``sqlite+pysqlite``."""
    sa_url = make_url(url)
    backend, _, driver = sa_url.drivername.partition("+")
    sync_drivers = {"aiosqlite": "pysqlite", "asyncpg": "psycopg", "psycopg_async": "psycopg"}
    if driver in sync_drivers:
        sa_url = sa_url.set(drivername=f"{backend}+{sync_drivers[driver]}")
    return sa_url


def alembic_config(url: str | URL | None = None) -> Config:
    """Alembic's configuration built in code: script location is the installed migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # Passed as an object, not through the ini option, so '%' in a password needs no escaping.
        config.attributes["url"] = sync_url(url)
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` on the database at `url` (sync; call before polling)."""
    command.upgrade(alembic_config(url), revision)


def downgrade_database(url: str, revision: str = "base") -> None:
    """Run ``alembic downgrade <revision>`` on the database at `url`."""
    command.downgrade(alembic_config(url), revision)


# --- internals ----------------------------------------------------------------------------------


def _ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):  # a URI filename; leave it to SQLite
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _set_sqlite_pragmas_autocommit(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # pysqlite: no implicit BEGIN/COMMIT of its own
    _set_sqlite_pragmas(dbapi_connection, connection_record)


def _emit_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN")
