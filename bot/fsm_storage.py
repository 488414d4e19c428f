"""Dialogue state in the bot's own database: an aiogram `BaseStorage` over the `fsm_state` table.

A half-written incident note or session record survives a restart, a crash or a deploy, and
any replica can carry on a dialogue another one began; no second server (Redis) is needed.
The production dispatcher uses it (`bot.factory.create_dispatcher`).

* One row per aiogram `StorageKey` (bot, chat, user, thread, business connection, destiny);
  the row goes when its dialogue ends (no state and no data), so the table holds only the
  dialogues in progress.
* Each call is one short transaction, committed; inside an update whose database session is
  already open (`bot.middlewares.CURRENT_SESSION`), that session's, so an update never holds
  two connections at once. `update_data` writes before it reads (an
  UPDATE of the row's time), which takes SQLite's write lock or PostgreSQL's row lock first,
  so two updates of one dialogue at once never lose one another's keys.
* Drafts may hold a child's name or a note's text: a dialogue untouched for `STALE_AFTER`
  (two days) is dropped by `purge` (the scheduler runs it nightly), and nothing here logs
  data.
* Reads are cached in memory (``cache=True``, the default): aiogram reads the state of every
  update, and a database round trip per update would cost a third of the bot's update rate
  (`bench/bench_updates.py`). The database stays the truth for writes, and the cache is
  written through (under a per-key lock, so it follows the database's order). This assumes
  one process receives a chat's updates, which polling guarantees (Telegram allows one
  poller per bot; `python -m bot send` replicas never touch dialogues). Several processes
  receiving updates for the same chats (webhook replicas) must use ``cache=False``.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from db.dialect import upsert
from db.models import FsmState

__all__ = ["STALE_AFTER", "DbStorage"]

STALE_AFTER: Final = timedelta(days=2)
CACHE_SIZE: Final = 10_000  # dialogues remembered (least recently used go first)
_EMPTY: Final = "{}"
_LOCKS: Final = 64  # striped per-key locks for writes


class DbStorage(BaseStorage):
    """aiogram FSM storage in the `fsm_state` table (see the module docstring)."""

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        cache: bool = True,
    ) -> None:
        self.session_pool = session_pool
        self.clock = clock
        self.cache = cache
        self._cached: OrderedDict[StorageKey, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._locks = [asyncio.Lock() for _ in range(_LOCKS)]

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._lock(key):
            if value is None and self._empty(key):
                return  # nothing to clear (a /start clears the state): no write at all
            await self._set_state(key, value)

    async def _set_state(self, key: StorageKey, value: str | None) -> None:
        async with self._session() as session:
            if value is None:
                await session.exec(sa.delete(FsmState).where(*_is(key), _data_is_empty()))
                await session.exec(
                    sa.update(FsmState).where(*_is(key)).values(state=None, **self._touch())
                )
            else:
                await upsert(
                    session,
                    FsmState,
                    {**_key_values(key), "state": value, "data": _EMPTY, **self._touch()},
                    key=_KEY_COLUMNS,
                    update=["state", "updated_at"],
                )
            await session.commit()
            self._remember(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._read(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._lock(key):
            if not data and self._empty(key):
                return  # nothing to clear: no write at all
            await self._set_data(key, data)

    async def _set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._session() as session:
            await self._write_data(session, key, data)
            await session.commit()
            self._remember(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._read(key)
        return dict(data)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        async with self._lock(key), self._session() as session:
            # Write first: the row (PostgreSQL) or the database (SQLite) is ours until commit.
            await session.exec(sa.update(FsmState).where(*_is(key)).values(**self._touch()))
            text = (await session.exec(select(FsmState.data).where(*_is(key)))).first()
            merged = {**_loads(text), **data}
            await self._write_data(session, key, merged)
            await session.commit()
            self._remember(key, data=merged)
        return dict(merged)

    async def close(self) -> None:
        pass  # the engine belongs to whoever made the session pool

    async def purge(self, before: datetime | None = None) -> int:
        """Drop dialogues untouched since `before` (default: `STALE_AFTER` ago); how many."""
        cutoff = before or self.clock.now() - STALE_AFTER
        async with self._session() as session:
            result = await session.exec(
                sa.delete(FsmState).where(col(FsmState.updated_at) < cutoff)
            )
            await session.commit()
        self._cached.clear()  # read again from the database on the next update
        return result.rowcount

    # --- internals -----------------------------------------------------------------------

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        """The update's own session when it is open (its transaction, committed with ours),
        else a short one from the pool."""
        from bot.middlewares import CURRENT_SESSION

        update = CURRENT_SESSION.get()
        opened = update.opened if update is not None else None
        if opened is not None:
            yield opened
            return
        async with self.session_pool() as session:
            yield session

    def _lock(self, key: StorageKey) -> asyncio.Lock:
        return self._locks[hash(key) % _LOCKS]

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        if self.cache and key in self._cached:
            self._cached.move_to_end(key)
            return self._cached[key]
        # Under the key's lock, so a write cannot land between this read and its caching.
        async with self._lock(key):
            if self.cache and key in self._cached:
                return self._cached[key]
            async with self._session() as session:
                row = (
                    await session.exec(select(FsmState.state, FsmState.data).where(*_is(key)))
                ).first()
            entry = (row[0], _loads(row[1])) if row is not None else (None, {})
            if self.cache:
                self._cached[key] = entry
                if len(self._cached) > CACHE_SIZE:
                    self._cached.popitem(last=False)
        return entry

    def _empty(self, key: StorageKey) -> bool:
        """True if the cache knows `key` has no dialogue (no state, no data: no row)."""
        return self.cache and self._cached.get(key) == (None, {})

    def _remember(self, key: StorageKey, **change: Any) -> None:
        """After a committed write: update the cached entry, if there is one (else the next
        read fetches the whole row)."""
        entry = self._cached.get(key)
        if entry is not None:
            state, data = entry
            self._cached[key] = (change.get("state", state), change.get("data", data))

    def _touch(self) -> dict[str, Any]:
        return {"updated_at": self.clock.now()}

    async def _write_data(
        self, session: AsyncSession, key: StorageKey, data: Mapping[str, Any]
    ) -> None:
        if not data:
            await session.exec(sa.delete(FsmState).where(*_is(key), col(FsmState.state).is_(None)))
            await session.exec(
                sa.update(FsmState).where(*_is(key)).values(data=_EMPTY, **self._touch())
            )
            return
        await upsert(
            session,
            FsmState,
            {**_key_values(key), "state": None, "data": _dumps(data), **self._touch()},
            key=_KEY_COLUMNS,
            update=["data", "updated_at"],
        )


_KEY_COLUMNS: Final = [
    "bot_id",
    "chat_id",
    "user_id",
    "thread_id",
    "business_connection_id",
    "destiny",
]


def _key_values(key: StorageKey) -> dict[str, Any]:
    return {
        "bot_id": key.bot_id,
        "chat_id": key.chat_id,
        "user_id": key.user_id,
        "thread_id": key.thread_id or 0,
        "business_connection_id": key.business_connection_id or "",
        "destiny": key.destiny,
    }


def _is(key: StorageKey) -> list[sa.ColumnElement[bool]]:
    return [getattr(FsmState, name) == value for name, value in _key_values(key).items()]


def _data_is_empty() -> sa.ColumnElement[bool]:
    return col(FsmState.data) == _EMPTY


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}
