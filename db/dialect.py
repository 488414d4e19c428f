"""The statements whose SQL differs between SQLite and PostgreSQL, in one place.

Everything else in Kenes is plain SQLAlchemy that both databases run alike. What is here:

* `insert_ignore`: ``INSERT … ON CONFLICT (key) DO NOTHING`` (a key planned twice, a tap
  recorded twice, a claim taken twice), telling whether this call inserted the row;
* `upsert`: ``INSERT … ON CONFLICT (key) DO UPDATE SET … [WHERE …]``, telling whether a row
  was inserted or updated (a conditional update that did not apply counts as neither);
* `has_prefix`: "the column starts with this text", case-sensitive on both (``LIKE`` is not:
  SQLite's ignores ASCII case, PostgreSQL's does not).

Both SQLite (3.24+) and PostgreSQL (9.5+) speak ``ON CONFLICT``; SQLAlchemy only builds the
clause from the dialect's own `insert` construct, which is what `_insert` picks.

What needs nothing here: claiming a row (the outbox's ``UPDATE … SET state = 'sending' WHERE
id = … AND state = 'pending'``) is atomic on both, since PostgreSQL re-checks the WHERE of an
UPDATE that waited for another's row lock, and SQLite has one writer at a time. A read that
must not race a write writes first (``UPDATE`` the row, then read it): that takes the row's
lock on PostgreSQL and the write lock on SQLite (see `bot.fsm_storage`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["dialect_name", "has_prefix", "insert_ignore", "upsert"]


def dialect_name(session: AsyncSession) -> str:
    """``sqlite`` or ``postgresql``: the database behind `session`."""
    return session.get_bind().dialect.name


async def insert_ignore(
    session: AsyncSession,
    table: Any,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
) -> bool:
    """``INSERT … ON CONFLICT (key) DO NOTHING``; True if this call inserted the row.

    `table` is a model class or a `sa.Table`; `key` names the columns of a unique constraint.
    Does not commit.
    """
    statement = _insert(session, table).values(**values).on_conflict_do_nothing(index_elements=key)
    result = await session.exec(statement)
    return bool(result.rowcount == 1)


async def upsert(
    session: AsyncSession,
    table: Any,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    update: Sequence[str],
    where: sa.ColumnElement[bool] | None = None,
) -> bool:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET <update> = excluded.<update> [WHERE where]``.

    True if a row was inserted or updated; False if the row existed and `where` (which sees the
    existing row under the table's own column names) kept it as it was. Does not commit.
    """
    statement = _insert(session, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=key,
        set_={name: statement.excluded[name] for name in update},
        where=where,
    )
    result = await session.exec(statement)
    return bool(result.rowcount == 1)


def has_prefix(column: Any, prefix: str) -> sa.ColumnElement[bool]:
    """`column` starts with `prefix`, exactly (no wildcards, case-sensitive) on both databases.

    Put a selective condition beside it: like ``LIKE 'x%'`` here, it uses no index.
    """
    return sa.func.substr(column, 1, len(prefix)) == prefix


def _insert(session: AsyncSession, table: Any) -> Any:
    name = dialect_name(session)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no ON CONFLICT for the {name!r} dialect")
