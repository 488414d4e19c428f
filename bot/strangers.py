"""Strangers, kept in memory: who is not on the staff, when each was last refused, how many.

A school bot's link gets forwarded, and strangers write to it, some of them many times. Each
refusal is a sendMessage counted against the bot's Telegram limits (30/s in all, about one a
second per chat), so a stranger pressing /start in a loop would slow the whole school's
reminders. The front door (`bot.middlewares.AccessMiddleware`) asks this book first:

* **Who is not staff** is remembered after one database lookup (a bounded LRU of
  `REMEMBERED` users, each lookup good for `LOOKUP_TTL`). It is forgotten for a user the moment
  an `account` row is written for their Telegram id (an invite redeemed, an admin from
  `ADMIN_IDS` added), and for everyone the moment an invite is created (its Telegram user is not
  known until it is redeemed). A `/start` with an invite code never trusts the book: the invite
  is always checked in the database, so a redeemed invite works on the first try.
* **One answer per `REFUSAL_WINDOW`** per user: the refusal (a message, or an alert on a
  button), or the invite handler's "this link is expired / used / not valid". In between, a
  button gets a bare answerCallbackQuery (Telegram requires one) and a message is dropped
  without a word, so a flood from one stranger sends at most one message. Nothing about
  strangers is written to the database.
* **Groups**: the "I work in private messages" notice goes once per group (a `key_value` row,
  so once across restarts); after it the group is remembered here and nothing more is read or
  written for it.
* **A metric line** in the log, at most once per `METRIC_EVERY`: counts and the busiest user
  ids, never names.

The time is passed in (`now`, from the dispatcher's clock): tests move a hand-set clock.
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import ORMExecuteState, Session

from db.models import Account, Invite

log = logging.getLogger(__name__)

REMEMBERED: Final = 10_000  # strangers (and groups) kept; the least recently seen go first
LOOKUP_TTL: Final = timedelta(minutes=10)  # "not staff" is looked up again after this
REFUSAL_WINDOW: Final = timedelta(minutes=10)  # one refusal per user per window
METRIC_EVERY: Final = timedelta(minutes=1)  # at most one metric line per this
METRIC_TOP: Final = 3  # the busiest user ids named in the metric line
# With several webhook replicas an invite redeemed on one is not seen by another's book: there
# a "not staff" lookup is trusted only this long (a flood still costs one read per this).
REPLICA_LOOKUP_TTL: Final = timedelta(seconds=15)

_books: weakref.WeakSet[StrangerBook] = weakref.WeakSet()
_listening = False


@dataclass(slots=True)
class _Stranger:
    checked_at: datetime | None = None  # the last lookup that found no account; None: stale
    refused_at: datetime | None = None  # the last refusal sent (a message or an alert)


class StrangerBook:
    """See the module docstring. One per dispatcher (`dp["strangers"]`)."""

    def __init__(
        self,
        size: int = REMEMBERED,
        lookup_ttl: timedelta = LOOKUP_TTL,
        *,
        bind: AsyncEngine | None = None,
    ) -> None:
        self.size = size
        self.lookup_ttl = lookup_ttl
        # The school's database: only its writes concern this book (None: any database's),
        # as with `bot.access_cache.AccessCache`.
        self.bind = bind.sync_engine if bind is not None else None
        self._strangers: OrderedDict[int, _Stranger] = OrderedDict()
        self._groups: OrderedDict[int, None] = OrderedDict()
        self._counts: Counter[str] = Counter()
        self._by_user: Counter[int] = Counter()
        self._metric_since: datetime | None = None
        _books.add(self)
        _listen()

    # --- who is not staff ------------------------------------------------------------------

    def known(self, user_id: int, now: datetime) -> bool:
        """True if a lookup found no account for `user_id` less than `lookup_ttl` ago."""
        entry = self._strangers.get(user_id)
        if entry is None or entry.checked_at is None:
            return False
        if now - entry.checked_at >= self.lookup_ttl:
            entry.checked_at = None
            return False
        self._strangers.move_to_end(user_id)
        return True

    def looked_up(self, user_id: int, now: datetime) -> None:
        """A lookup found no account for `user_id`."""
        self._entry(user_id).checked_at = now
        self._count("looked up", user_id)

    def forget(self, user_id: int) -> None:
        """`user_id` may be staff now: look them up again, and refuse them afresh if not."""
        self._strangers.pop(user_id, None)

    def forget_lookups(self) -> None:
        """Everyone is looked up again (an invite was created: for whom is not known yet).
        When each was refused is kept: a stranger is still refused once per window."""
        for entry in self._strangers.values():
            entry.checked_at = None

    # --- answering ------------------------------------------------------------------------

    def may_refuse(self, user_id: int, now: datetime) -> bool:
        """True (and the refusal counted as sent) if `user_id` has not been refused within
        `REFUSAL_WINDOW`; False: stay silent."""
        entry = self._entry(user_id)
        if entry.refused_at is not None and now - entry.refused_at < REFUSAL_WINDOW:
            return False
        entry.refused_at = now
        self._count("refused", user_id)
        return True

    def silent(self, user_id: int, kind: str) -> None:
        """Count an update answered without a word (`kind`: "dropped", "button")."""
        self._count(kind, user_id)

    # --- groups ---------------------------------------------------------------------------

    def group_noticed(self, chat_id: int) -> bool:
        if chat_id in self._groups:
            self._groups.move_to_end(chat_id)
            return True
        return False

    def remember_group(self, chat_id: int) -> None:
        self._groups[chat_id] = None
        if len(self._groups) > self.size:
            self._groups.popitem(last=False)

    # --- the metric line ------------------------------------------------------------------

    def report(self, now: datetime, *, force: bool = False) -> None:
        """Log the counts since the last line, if `METRIC_EVERY` has passed (or `force`)."""
        if self._metric_since is None:
            self._metric_since = now
        if not self._counts or (not force and now - self._metric_since < METRIC_EVERY):
            return
        seconds = max(0, round((now - self._metric_since).total_seconds()))
        busiest = ", ".join(f"{uid}×{n}" for uid, n in self._by_user.most_common(METRIC_TOP))
        log.info(
            "front door: %d stranger updates from %d users in %d s (refused %d, buttons "
            "answered %d, dropped %d, looked up %d); busiest: %s",
            self._by_user.total(),
            len(self._by_user),
            seconds,
            self._counts["refused"],
            self._counts["button"],
            self._counts["dropped"],
            self._counts["looked up"],
            busiest,
        )
        self._counts.clear()
        self._by_user.clear()
        self._metric_since = now

    # --- internals ------------------------------------------------------------------------

    def _entry(self, user_id: int) -> _Stranger:
        entry = self._strangers.get(user_id)
        if entry is None:
            entry = self._strangers[user_id] = _Stranger()
            if len(self._strangers) > self.size:
                self._strangers.popitem(last=False)
        else:
            self._strangers.move_to_end(user_id)
        return entry

    def _count(self, kind: str, user_id: int) -> None:
        self._counts[kind] += 1
        if kind != "looked up":  # a lookup is part of an update already counted
            self._by_user[user_id] += 1


# --- keeping the book true: writes in this process --------------------------------------------


def _books_of(bind: object) -> list[StrangerBook]:
    """The books of the database `bind` (a sync engine; None: unknown, all of them)."""
    return [b for b in list(_books) if bind is None or b.bind is None or b.bind is bind]


def _after_flush(session: Session, _context: Any) -> None:
    invites = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Account):
            for book in _books_of(session.bind):
                book.forget(obj.telegram_user_id)
        elif isinstance(obj, Invite) and obj in session.new:
            invites = True
    if invites:
        for book in _books_of(session.bind):
            book.forget_lookups()


def _on_execute(state: ORMExecuteState) -> None:
    """A bulk INSERT or UPDATE of `account` (not one row at a time): look everyone up again."""
    if not (state.is_insert or state.is_update):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == Account.__tablename__:
        for book in _books_of(state.session.bind):
            book.forget_lookups()


def _listen() -> None:
    global _listening
    if not _listening:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        _listening = True
