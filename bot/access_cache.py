"""Who a Telegram user is, kept in memory between updates.

Looking the account up costs a database round trip on every update (about 1 ms through
aiosqlite's worker thread: most of Kenes' per-update cost, see bench/bench_updates.py). The
front door asks this cache first. Correctness comes first:

* Every flush that writes a `person` or `account` row, and every bulk UPDATE or DELETE of those
  tables, in this process, clears every cache of that database at once (a cache made with the
  school's engine as `bind`; one without clears on any database's): access revoked in the chat
  ends at once, and many schools in one process do not clear one another's.
* Entries expire after `ttl` seconds (`TTL_S`), a backstop for writes by another process on
  the same database (the command line, a second sender, another webhook replica).
* Handlers get transient copies, shared by the updates that hit the cache: treat them as
  read-only. A change to a person or an account is made on a row loaded in the handler's own
  session, and its flush clears the cache.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import ORMExecuteState, Session

from db.models import Account, Person

# Writes in this process clear the cache at once; the lifetime only bounds how long a write by
# another process (`python -m bot send` marking an account unreachable) goes unseen. Staff
# write a few times in a few minutes: at 30 s most of their updates missed the cache and paid
# a lookup and a commit (bench/bench_frontdoor.py, issue #16).
TTL_S = 300.0
# Several webhook replicas on one database: a revocation handled by one reaches the others'
# caches only when their entries expire.
REPLICA_TTL_S = 15.0

_WATCHED = frozenset({Person.__tablename__, Account.__tablename__})
_caches: weakref.WeakSet[AccessCache] = weakref.WeakSet()
_listening = False


class AccessCache:
    def __init__(
        self,
        ttl: float = TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        bind: AsyncEngine | None = None,
    ) -> None:
        self.ttl = ttl
        self.monotonic = monotonic
        self.bind = bind.sync_engine if bind is not None else None
        self._entries: dict[int, tuple[float, Account, Person]] = {}
        _caches.add(self)
        _listen()

    def get(self, telegram_user_id: int) -> tuple[Account, Person] | None:
        entry = self._entries.get(telegram_user_id)
        if entry is None:
            return None
        expires, account, person = entry
        if self.monotonic() >= expires:
            del self._entries[telegram_user_id]
            return None
        return account, person

    def put(self, telegram_user_id: int, account: Account, person: Person) -> None:
        self._entries[telegram_user_id] = (
            self.monotonic() + self.ttl,
            Account(**account.model_dump()),  # copies: not tied to the session that read them
            Person(**{**person.model_dump(), "roles": list(person.roles)}),
        )

    def clear(self) -> None:
        self._entries.clear()


def _clear_all(bind: object) -> None:
    """Clear the caches of the database `bind` (a sync engine; None: unknown, all of them)."""
    for cache in list(_caches):
        if bind is None or cache.bind is None or cache.bind is bind:
            cache.clear()


def _after_flush(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Person | Account):
            _clear_all(session.bind)
            return


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) in _WATCHED:
        _clear_all(state.session.bind)


def _listen() -> None:
    global _listening
    if not _listening:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        _listening = True
