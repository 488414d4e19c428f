"""Alembic environment for Kenes, on SQLite and PostgreSQL.

In code (`db.engine.upgrade_database`) the migrations run on the connection the caller passes
(``config.attributes["connection"]``: an async engine's connection inside ``run_sync``). From the
``alembic`` command line the database URL comes from ``alembic -x url=...``, the
``DATABASE_URL`` environment variable (the bot's own setting), or ``sqlalchemy.url`` in
``db/alembic.ini``, and the same async driver is used (`db.engine.async_url`).

SQLite specifics:

* The connection gets the bot's pragmas (WAL, foreign keys, busy timeout); see `db.engine`.
* ``render_as_batch=True``: SQLite cannot ALTER most things, so Alembic rebuilds the table.
* While migrations run, foreign keys are switched off and checked with
  ``PRAGMA foreign_key_check`` before the commit. This is SQLite's own procedure for schema
  changes (https://www.sqlite.org/lang_altertable.html#otheralter): a batch rebuild drops the
  old table, and with enforcement on, that drop would run ``ON DELETE CASCADE`` / ``SET NULL``
  on every referring row. Enforcement is switched back on afterwards.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel

from db.engine import async_url, create_migration_engine
from db.models import StrEnumType, UTCDateTime  # importing db.models registers the tables

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> sa.URL:
    url = config.attributes.get("url")
    if url is None:
        url = context.get_x_argument(as_dictionary=True).get("url")
    if url is None:
        url = os.environ.get("DATABASE_URL")
    if url is None:
        url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass -x url=..., set DATABASE_URL or sqlalchemy.url")
    return async_url(url)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render our column types as the plain storage types, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.impl_instance.length})"
    return False


def configure_options() -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "render_as_batch": True,
        "compare_type": True,
        "render_item": render_item,
    }


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # db.engine.migrate: the caller's connection
        run_on_connection(connection)
    else:  # the alembic command line
        asyncio.run(run_on_new_engine())


async def run_on_new_engine() -> None:
    engine = create_migration_engine(database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on_connection)
    finally:
        await engine.dispose()


def run_on_connection(connection: sa.Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Outside any transaction, where SQLite honours this pragma.
        driver_execute(connection, "PRAGMA foreign_keys=OFF")
    try:
        # db.engine makes SQLAlchemy emit BEGIN itself, so SQLite DDL is transactional: the
        # whole upgrade commits or rolls back as one.
        context.configure(
            connection=connection, transactional_ddl=sqlite or None, **configure_options()
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if violations:
                    raise RuntimeError(f"foreign key violations after migration: {violations}")
    finally:
        if sqlite:
            driver_execute(connection, "PRAGMA foreign_keys=ON")


def driver_execute(connection: sa.Connection, statement: str) -> None:
    """Run `statement` on the DBAPI connection itself, outside SQLAlchemy's transaction."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
