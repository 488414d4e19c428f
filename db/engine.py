"""Engines, sessions and migrations, for SQLite (the embedded default) and PostgreSQL.

`create_engine` builds the bot's async engine from ``DATABASE_URL``:

* ``sqlite+aiosqlite:///data/kenes.db`` (the default): every new connection gets the pragmas
  in `SQLITE_PRAGMAS` (WAL, foreign keys enforced, a busy timeout, synchronous=NORMAL);
* ``postgresql+asyncpg://user:password@host/db`` (a district's server). ``postgresql://`` and
  ``postgres://`` mean the same: asyncpg is the one PostgreSQL driver. With a `schema`
  (``DATABASE_SCHEMA``: several schools in one database) every connection's ``search_path`` is
  that schema alone, so the same unqualified tables are the school's own; the migrations make
  the schema if it is missing and keep their version table in it.

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
import contextvars
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


def create_engine(
    url: str | URL,
    *,
    log_parameters: bool = False,
    schema: str | None = None,
    pool_size: int | None = None,
) -> AsyncEngine:
    """The bot's async engine. For SQLite: makes the file's directory, sets the pragmas.

    Statement parameters (children's names, note texts) are kept out of SQLAlchemy's errors
    and log lines (``hide_parameters``) unless `log_parameters` (the developer flag
    ``DEV_LOG_SQL``). `schema`: PostgreSQL's search path (see the module notes). `pool_size`:
    connections kept open (SQLAlchemy's default, 5, when None), as many more when busy: many
    schools in one process keep few each."""
    sa_url = async_url(url)
    _ensure_sqlite_directory(sa_url)
    options: dict[str, Any] = {}
    if schema is not None:
        if sa_url.get_backend_name() != "postgresql":
            raise ValueError("a schema needs PostgreSQL")
        options["connect_args"] = {"server_settings": {"search_path": quote_schema(schema)}}
    if pool_size is not None:
        options.update(pool_size=pool_size, max_overflow=pool_size)
    engine = create_async_engine(sa_url, hide_parameters=not log_parameters, **options)
    if sa_url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine


def quote_schema(schema: str) -> str:
    """The schema's name as an SQL identifier (``DATABASE_SCHEMA`` is checked to be plain)."""
    return '"' + schema.replace('"', '""') + '"'


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def create_migration_engine(url: str | URL, schema: str | None = None) -> AsyncEngine:
    """The engine Alembic runs on: the bot's engine, and on SQLite transactional DDL.

    pysqlite (under aiosqlite) would commit before DDL on its own; its transaction handling is
    switched off and SQLAlchemy emits BEGIN itself (see "Serializable isolation / Savepoints /
    Transactional DDL (asyncio version)" in the SQLAlchemy SQLite dialect documentation).
    PostgreSQL's DDL is transactional as it is.
    """
    engine = create_engine(url, schema=schema)
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


def upgrade_database(url: str | URL, revision: str = "head", schema: str | None = None) -> None:
    """Run ``alembic upgrade <revision>`` on the database at `url` (in `schema`, made if
    missing). Sync: runs the async migration to its end in a thread of its own, so it may be
    called from anywhere."""
    _run_in_thread(
        lambda: migrate(url, lambda config: command.upgrade(config, revision), schema=schema)
    )


def downgrade_database(url: str | URL, revision: str = "base", schema: str | None = None) -> None:
    """Run ``alembic downgrade <revision>`` on the database at `url`."""
    _run_in_thread(
        lambda: migrate(url, lambda config: command.downgrade(config, revision), schema=schema)
    )


async def migrate(url: str | URL, run: Callable[[Config], Any], schema: str | None = None) -> None:
    """Run an Alembic command (`run(config)`) on one connection of a fresh migration engine."""
    engine = create_migration_engine(url, schema)
    try:
        if schema is not None:
            async with engine.begin() as connection:
                await connection.exec_driver_sql(
                    f"CREATE SCHEMA IF NOT EXISTS {quote_schema(schema)}"
                )
        async with engine.connect() as connection:
            await connection.run_sync(lambda sync: run(alembic_config(sync)))
            await connection.commit()  # Alembic commits its own transaction; this is a no-op
    finally:
        await engine.dispose()


# --- internals ----------------------------------------------------------------------------------


# Alembic keeps the running migration in module globals (`alembic.context`): one at a time in
# a process, or two schools migrating at once would run on each other's connection.
_MIGRATING = threading.Lock()


def _run_in_thread(make: Callable[[], Any]) -> None:
    """``asyncio.run(make())`` in a new thread: works whether or not this thread runs a loop,
    and leaves this thread's event loop (a test runner's, the bot's) alone. One at a time."""
    with _MIGRATING:
        _run_in_new_thread(make)


def _run_in_new_thread(make: Callable[[], Any]) -> None:
    failure: list[BaseException] = []
    context = contextvars.copy_context()  # the caller's (its log lines' school, say)

    def target() -> None:
        try:
            context.run(asyncio.run, make())
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
