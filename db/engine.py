"""Engines, sessions and migrations, for SQLite (the embedded default) and PostgreSQL.

`create_engine` builds the bot's async engine from ``DATABASE_URL``:

* ``sqlite+aiosqlite:///data/kenes.db`` (the default): every new connection gets the pragmas
  in `SQLITE_PRAGMAS` (WAL, foreign keys enforced, a busy timeout, synchronous=NORMAL);
* ``postgresql+asyncpg://user:password@host/db`` (a district's server). ``postgresql://`` and
  ``postgres://`` mean the same: asyncpg is the one PostgreSQL driver.

`upgrade_database` / `downgrade_database` run Alembic programmatically over the same async
driver (Alembic's "connection sharing with asyncio" recipe: `AsyncConnection.run_sync`), so there
is no second, sync driver to install. On SQLite the migration connection leaves transactions to
SQLAlchemy, which emits BEGIN itself, so DDL runs inside the migration's transaction and a failed
migration rolls back whole. The Alembic configuration is built in code and points at the
installed `db/migrations`, whatever the working directory.

Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)

# The async driver for each backend, whatever driver (or none) the URL names.
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}


def async_url(url: str | URL) -> URL:
    """The URL with the backend's async driver: ``sqlite:///x.db`` → ``sqlite+aiosqlite:///x.db``,
    ``postgresql://…`` or ``postgres://…`` → ``postgresql+asyncpg://…``."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    driver = ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return sa_url.set(drivername=f"{backend}+{driver}")


def create_engine(url: str | URL, *, log_parameters: bool = False) -> AsyncEngine:
    """The bot's async engine. For SQLite: makes the file's directory, sets the pragmas.

    Statement parameters (children's names, note texts) are kept out of SQLAlchemy's errors
    and log lines (``hide_parameters``) unless `log_parameters` (the developer flag
    ``DEV_LOG_SQL``)."""
    sa_url = async_url(url)
    _ensure_sqlite_directory(sa_url)
    engine = create_async_engine(sa_url, hide_parameters=not log_parameters)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def create_migration_engine(url: str | URL) -> AsyncEngine:
    """The engine Alembic runs on: the bot's engine, and on SQLite transactional DDL.

    pysqlite (under aiosqlite) would commit before DDL on its own; its transaction handling is
    switched off and SQLAlchemy emits BEGIN itself (see "Serializable isolation / Savepoints /
    Transactional DDL (asyncio version)" in the SQLAlchemy SQLite dialect documentation).
    PostgreSQL's DDL is transactional as it is.
    """
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_autocommit_driver)
        event.listen(engine.sync_engine, "begin", _emit_begin)
    return engine


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration built in code: script location is the installed migrations;
    `connection` (if given) is the one the migrations run on (see db/migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_database(url: str | URL, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` on the database at `url`. Sync: runs the async
    migration to its end in a thread of its own, so it may be called from anywhere."""
    _run_in_thread(lambda: migrate(url, lambda config: command.upgrade(config, revision)))


def downgrade_database(url: str | URL, revision: str = "base") -> None:
    """Run ``alembic downgrade <revision>`` on the database at `url`."""
    _run_in_thread(lambda: migrate(url, lambda config: command.downgrade(config, revision)))


async def migrate(url: str | URL, run: Callable[[Config], Any]) -> None:
    """Run an Alembic command (`run(config)`) on one connection of a fresh migration engine."""
    engine = create_migration_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(lambda sync: run(alembic_config(sync)))
            await connection.commit()  # Alembic commits its own transaction; this is a no-op
    finally:
        await engine.dispose()


# --- internals ----------------------------------------------------------------------------------


def _run_in_thread(make: Callable[[], Any]) -> None:
    """``asyncio.run(make())`` in a new thread: works whether or not this thread runs a loop,
    and leaves this thread's event loop (a test runner's, the bot's) alone."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(make())
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    thread = threading.Thread(target=target, name="kenes-migrate")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


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


def _sqlite_autocommit_driver(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # pysqlite: no implicit BEGIN/COMMIT of its own


def _emit_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN")
