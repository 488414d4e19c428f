"""The outbox: every outgoing message is a `Reminder` row, sent once, paced, and recorded.

Planning code calls `enqueue` (an ``INSERT … ON CONFLICT(dedup_key) DO NOTHING``, so a key
gives one row however many ticks or processes plan it) and then `Outbox.wake`. One `Outbox`
per process drains due rows (`drain`, or `run_forever` in production).

Exactly once, and what happens on a crash
    Only the holder of the ``lease`` row named ``"outbox"`` sends; a second process's `drain`
    returns at once while the lease is held (it is renewed during a drain and released when
    `run_forever` stops). Each row is *claimed* by a conditional UPDATE (pending → sending,
    committed), sent, and the result is committed in its own transaction straight after the
    HTTP answer. No transaction is ever open across an HTTP call.

    A row found in ``sending`` when a drain starts was left by a crash (kill -9, power loss):
    the lease guarantees nobody else is sending it. **Policy: resend it**, marked ``late``,
    with ``attempts + 1`` (so a row that keeps crashing the process ends up ``failed``). A
    possible duplicate is better than a lost reminder, and the window in which a duplicate can
    happen is only the time between Telegram's answer and one small UPDATE commit
    (milliseconds). The same holds for a connection dropped *after* Telegram accepted the
    message: the Bot API has no idempotency key, so that send is retried (at least once).

Pacing
    A single global spacing of ``1 / rate_per_s`` between send starts (no bursts), a 429 pauses
    *all* sending for ``retry_after`` seconds, and at least ``per_chat_interval_s`` between
    two sends to one chat (rows for that chat wait; other chats go on). Up to ``max_in_flight``
    requests run at once (one per chat), so the rate is kept even when Telegram answers slowly.
    All waiting goes through the injected ``sleep``/``monotonic``.

    ``rate_per_s`` defaults to `DEFAULT_RATE_PER_S` = 28. The issue asks both for "at most 25
    messages/s" and for ≥ 27 msg/s against Telegram's 30/s ceiling. The 25 was headroom
    against bursts; with strict spacing (no bursts) 28/s keeps 7% headroom, meets the
    throughput target, and produced no 429 against the rate-limited fake server
    (`bench/bench_fanout.py` prints both 25 and 28). Pass ``rate_per_s=25`` to be more careful.

Errors (each outcome is stored on the row, counted in `DrainStats` and logged with ids and the
error text only — never the message text, which may name a child)
    * `TelegramRetryAfter` (429): global pause, then the same row again; not an attempt.
    * `TelegramServerError` (5xx), `TelegramNetworkError`, other transient API errors:
      ``attempts + 1``, back to pending after `BACKOFF` (5 s, 30 s, 2 min, 10 min, 30 min…);
      after ``max_attempts`` the row is ``failed`` and admins are told (once per person and day;
      only if the catalogue has the ``delivery_failed_admin`` text, else it is logged as error).
    * `TelegramForbiddenError` (blocked, never started, deactivated): the row and the chat's
      other pending rows become ``unreachable``; the account gets ``unreachable_since`` (and
      ``state = blocked`` for "bot was blocked by the user"); every joined admin is told once
      per person and episode by an outbox row keyed
      ``unreachable:{person_id}:{unreachable_since}|admin:{admin_person_id}``.
    * `TelegramBadRequest`, `TelegramEntityTooLarge`: ``failed`` with ``last_error``.

Long texts
    `split_message` cuts an HTML text longer than Telegram's 4096 characters (measured after
    entity parsing, in UTF-16 code units like Telegram's offsets) at a paragraph, line or word
    boundary, closing the formatting tags that span the cut and re-opening them in the next
    part. `enqueue` stores the parts as separate rows at once: part 1 under ``dedup_key``
    itself, part *i* under ``"{dedup_key}#{i}/{n}"``, the reply markup on the last part only.
    Each part is thus sent and recorded on its own, so a crash between parts never resends
    earlier ones. Parts go in order: rows of one chat are sent in (next_attempt_at, id) order
    one at a time, and when a part is put back for a retry the later parts are held with it.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from aiogram import Bot
from aiogram import html as aiogram_html
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.clock import Clock
from bot.retry_after import outbox_sending
from db.models import Account, AccountState, Lease, Person, Reminder, ReminderState

__all__ = [
    "BACKOFF",
    "DEFAULT_RATE_PER_S",
    "TELEGRAM_TEXT_LIMIT",
    "DrainStats",
    "Outbox",
    "cancel",
    "enqueue",
    "split_message",
    "telegram_length",
]

logger = logging.getLogger(__name__)

TELEGRAM_TEXT_LIMIT: Final = 4096
DEFAULT_RATE_PER_S: Final = 28.0
DEFAULT_PER_CHAT_INTERVAL_S: Final = 1.0
BACKOFF: Final = (5.0, 30.0, 120.0, 600.0, 1800.0)  # seconds; the last value repeats
DEFAULT_MAX_ATTEMPTS: Final = 6
LEASE_NAME: Final = "outbox"
# Longer than one HTTP call can take (aiogram's default timeout is 60 s), so a live sender
# never loses the lease in the middle of a send.
DEFAULT_LEASE_TTL_S: Final = 90.0

_GRID_SLACK: Final = 0.1  # of a slot: how late a send may be and still keep the pacing grid

KIND_UNREACHABLE_ADMIN: Final = "unreachable_admin"
KIND_FAILED_ADMIN: Final = "delivery_failed_admin"
_ADMIN_KINDS: Final = frozenset({KIND_UNREACHABLE_ADMIN, KIND_FAILED_ADMIN})
_PART_RE: Final = re.compile(r"^(?P<base>.*)#(?P<i>\d+)/(?P<n>\d+)$", re.DOTALL)

Sleep = Callable[[float], Awaitable[Any]]
Monotonic = Callable[[], float]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


# --- splitting ----------------------------------------------------------------------------------

_TAG_RE: Final = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>""")
# What Telegram's HTML parser decodes; any other "&...;" stays verbatim.
_ENTITY_RE: Final = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_TEXT, _OPEN, _CLOSE = 0, 1, 2
_BREAKABLE: Final = frozenset(" \t\r\n")  # not NBSP: it is there to keep words together


@dataclass(frozen=True, slots=True)
class _Atom:
    kind: int
    raw: str
    plain: str = ""  # the text Telegram shows (tags: "")
    name: str = ""  # tag name (tags only)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(raw: str) -> str:
    decoded = html.unescape(raw)
    return decoded if decoded != raw else raw


def _atoms(html_text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    i, n = 0, len(html_text)
    while i < n:
        char = html_text[i]
        if char == "<" and (tag := _TAG_RE.match(html_text, i)):
            closing, name = tag.group(1), tag.group(2).lower()
            atoms.append(_Atom(_CLOSE if closing else _OPEN, tag.group(), name=name))
            i = tag.end()
        elif char == "&" and (entity := _ENTITY_RE.match(html_text, i)):
            atoms.append(_Atom(_TEXT, entity.group(), _decode_entity(entity.group())))
            i = entity.end()
        else:
            atoms.append(_Atom(_TEXT, char, char))
            i += 1
    return atoms


def telegram_length(html_text: str) -> int:
    """The length Telegram checks against its limit: tags stripped, entities decoded, UTF-16."""
    return sum(_utf16_len(atom.plain) for atom in _atoms(html_text))


def split_message(html_text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split an HTML text into parts of at most `limit` characters after entity parsing.

    Cuts at the last paragraph break (blank line) that fills at least half a part, else the
    last line break, else the last space; only a word longer than `limit` is cut inside (still
    never inside a tag or an ``&entity;``). The whitespace at a cut is dropped. Formatting tags
    open at a cut are closed at the end of the part and re-opened (with their attributes) at the
    start of the next. A text within the limit comes back unchanged as the only part.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    atoms = _atoms(html_text)
    sizes = [_utf16_len(atom.plain) for atom in atoms]
    if sum(sizes) <= limit:
        return [html_text]

    # The formatting tags open before each atom: (name, raw opening tag), outermost first.
    stacks: list[tuple[tuple[str, str], ...]] = []
    stack: list[tuple[str, str]] = []
    for atom in atoms:
        stacks.append(tuple(stack))
        if atom.kind == _OPEN:
            stack.append((atom.name, atom.raw))
        elif atom.kind == _CLOSE:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == atom.name:
                    del stack[depth:]
                    break
    stacks.append(tuple(stack))

    def is_space(k: int) -> bool:
        return atoms[k].kind == _TEXT and atoms[k].plain in _BREAKABLE

    parts: list[str] = []
    start, n = 0, len(atoms)
    while start < n:
        # The furthest end such that atoms[start:end] fits.
        end, used = start, 0
        while end < n and used + sizes[end] <= limit:
            used += sizes[end]
            end += 1
        if end >= n:
            cut = resume = n
        elif end == start:  # one atom wider than the limit (limit < 2, a surrogate pair)
            cut = resume = start + 1
        else:
            cut, resume = _choose_cut(atoms, sizes, start, end, limit, is_space)
        # Trailing whitespace and freshly opened tags go to the next part (`stacks[resume]`
        # still re-opens those tags there).
        while cut > start and (is_space(cut - 1) or atoms[cut - 1].kind == _OPEN):
            cut -= 1
        if any(sizes[k] and not is_space(k) for k in range(start, cut)):
            opening = "".join(raw for _, raw in stacks[start])
            body = "".join(atom.raw for atom in atoms[start:cut])
            closing = "".join(f"</{name}>" for name, _ in reversed(stacks[cut]))
            parts.append(opening + body + closing)
        while resume < n and is_space(resume):
            resume += 1
        start = resume
    return parts


def _choose_cut(
    atoms: Sequence[_Atom],
    sizes: Sequence[int],
    start: int,
    end: int,
    limit: int,
    is_space: Callable[[int], bool],
) -> tuple[int, int]:
    """Where to end the part that fits in atoms[start:end] (atom `end` overflows).

    Returns (cut, resume): the part is atoms[start:cut]; the next one starts at `resume`.
    """
    best: dict[int, tuple[int, int]] = {}  # priority -> (cut, visible length before it)
    used = 0
    for k in range(start, end + 1):
        if k > start and k < len(atoms) and is_space(k):
            char = atoms[k].plain
            if "\n" in char:
                previous = _previous_text(atoms, k, start)
                priority = 3 if previous is not None and "\n" in previous else 2
            else:
                priority = 1
            best[priority] = (k, used)
        if k < end:
            used += sizes[k]
    if not best:
        return end, end  # one word longer than a part: cut it between atoms
    for priority in (3, 2, 1):
        if priority in best and best[priority][1] * 2 >= limit:
            cut = best[priority][0]
            return cut, cut + 1
    cut = max(cut for cut, _ in best.values())
    return cut, cut + 1


def _previous_text(atoms: Sequence[_Atom], k: int, start: int) -> str | None:
    for j in range(k - 1, start - 1, -1):
        if atoms[j].kind == _TEXT:
            return atoms[j].plain
    return None


# --- enqueueing ---------------------------------------------------------------------------------


def _markup_json(reply_markup: Markup | dict[str, Any] | str | None) -> str | None:
    if reply_markup is None or isinstance(reply_markup, str):
        return reply_markup
    if isinstance(reply_markup, dict):
        return json.dumps(reply_markup, ensure_ascii=False)
    return reply_markup.model_dump_json(exclude_none=True)


def _markup_from_json(data: str | None) -> Markup | None:
    if data is None:
        return None
    payload = json.loads(data)
    if "inline_keyboard" in payload:
        return InlineKeyboardMarkup.model_validate(payload)
    if "keyboard" in payload:
        return ReplyKeyboardMarkup.model_validate(payload)
    if "remove_keyboard" in payload:
        return ReplyKeyboardRemove.model_validate(payload)
    if "force_reply" in payload:
        return ForceReply.model_validate(payload)
    raise ValueError(f"unknown reply_markup: keys {sorted(payload)}")


def part_key(dedup_key: str, index: int, count: int) -> str:
    """The dedup key of part `index` (1-based) of `count`: the key itself for part 1."""
    return dedup_key if index == 1 else f"{dedup_key}#{index}/{count}"


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    chat_id: int,
    text: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    person_id: int | None = None,
    occurrence_key: str | None = None,
    reply_markup: Markup | dict[str, Any] | str | None = None,
    late: bool = False,
) -> bool:
    """Put a message in the outbox under `dedup_key`; True if it was not there yet.

    ``INSERT … ON CONFLICT(dedup_key) DO NOTHING``: two ticks or two processes planning the
    same key at once still make one row. A text over Telegram's limit becomes several rows (see
    the module docstring). `next_attempt_at` starts at `due_at`, so a message planned for the
    past goes at once. Does not commit: the caller commits (with whatever else it changed) and
    then calls `Outbox.wake`.
    """
    if due_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("enqueue needs aware datetimes")
    if not text.strip():
        raise ValueError("an empty message cannot be sent")
    parts = split_message(text)
    markup = _markup_json(reply_markup)
    new_first = False
    for index, part in enumerate(parts, start=1):
        statement = (
            sqlite_insert(Reminder)
            .values(
                dedup_key=part_key(dedup_key, index, len(parts)),
                occurrence_key=occurrence_key,
                person_id=person_id,
                kind=kind,
                chat_id=chat_id,
                text=part,
                reply_markup=markup if index == len(parts) else None,
                state=ReminderState.PENDING,
                due_at=due_at,
                attempts=0,
                next_attempt_at=due_at,
                late=late,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedup_key"])
        )
        result = await session.exec(statement)
        if index == 1:
            new_first = result.rowcount == 1
            if not new_first:
                return False  # already planned (with all its parts)
    return new_first


async def cancel(session: AsyncSession, dedup_key: str) -> int:
    """Cancel a message (all its parts) that has not been sent; returns the rows cancelled."""
    result = await session.exec(
        sa.update(Reminder)
        .where(
            sa.or_(
                col(Reminder.dedup_key) == dedup_key,
                col(Reminder.dedup_key).startswith(f"{dedup_key}#", autoescape=True),
            ),
            col(Reminder.state) == ReminderState.PENDING,
        )
        .values(state=ReminderState.CANCELLED)
    )
    return result.rowcount


# --- sending ------------------------------------------------------------------------------------


@dataclass
class DrainStats:
    """What one `Outbox.drain` did. `duration` is in seconds of the injected monotonic clock."""

    sent: int = 0
    retried: int = 0  # transient errors put back for a later attempt
    failed: int = 0
    unreachable: int = 0  # rows marked unreachable (the 403'd row and its chat's other rows)
    rate_limited: int = 0  # 429 answers
    recovered: int = 0  # rows found in "sending" (a crash) and put back
    lease_busy: bool = False  # another process holds the lease: nothing was done
    duration: float = 0.0

    def __iadd__(self, other: DrainStats) -> DrainStats:
        for name in ("sent", "retried", "failed", "unreachable", "rate_limited", "recovered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.duration += other.duration
        return self


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    dedup_key: str
    person_id: int | None
    kind: str
    chat_id: int
    text: str
    reply_markup: str | None
    attempts: int
    next_attempt_at: datetime


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Outbox:
    """Sends due outbox rows through `bot`, one process at a time (see the module docstring)."""

    def __init__(
        self,
        bot: Bot,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        per_chat_interval_s: float = DEFAULT_PER_CHAT_INTERVAL_S,
        max_in_flight: int = 8,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: Sequence[float] = BACKOFF,
        lease_ttl_s: float = DEFAULT_LEASE_TTL_S,
        batch_size: int = 200,
        idle_poll_s: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        holder: str | None = None,
    ) -> None:
        if rate_per_s <= 0 or max_in_flight < 1 or max_attempts < 1 or not backoff:
            raise ValueError("rate_per_s, max_in_flight, max_attempts and backoff must be > 0")
        self.bot = bot
        self.session_pool = session_pool
        self.clock = clock
        self.rate_per_s = rate_per_s
        self.per_chat_interval_s = per_chat_interval_s
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.backoff = tuple(backoff)
        self.lease_ttl = timedelta(seconds=lease_ttl_s)
        self.batch_size = batch_size
        self.idle_poll_s = idle_poll_s
        self.holder = holder or default_holder()
        self._sleep = sleep
        self._monotonic = monotonic
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._drain_lock = asyncio.Lock()
        self._next_slot = float("-inf")  # monotonic time of the next global send slot
        self._credits = 0  # slots given back by 5xx answers, usable at once
        self._paused_until = float("-inf")  # a 429 pauses everything until then
        self._chat_ready: dict[int, float] = {}  # chat -> monotonic time it may get a message
        self._lease_renew_at: datetime | None = None

    # --- the production loop ----------------------------------------------------------------

    def wake(self) -> None:
        """Something was enqueued: drain now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run_forever(self) -> None:
        """Drain, then wait for `wake`, the next due row, or `idle_poll_s`; until `stop`.

        Releases the lease on the way out, so a restarted process need not wait for it.
        """
        self._stop.clear()
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    stats = await self.drain()
                    delay = await self._idle_delay(stats)
                # The loop must outlive any one failure (a locked database, a bug in one row):
                # the row stays claimed and is recovered by the next drain.
                except Exception:
                    logger.exception("outbox: drain failed; retrying in %.0f s", self.backoff[0])
                    delay = self.backoff[0]
                if not self._stop.is_set():
                    await self._wait_for_wake(delay)
        finally:
            await self.release_lease()

    async def _wait_for_wake(self, delay: float) -> None:
        waiter = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._sleep(max(delay, 0.0)))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, sleeper):
                task.cancel()
            await asyncio.gather(waiter, sleeper, return_exceptions=True)

    async def _idle_delay(self, stats: DrainStats) -> float:
        now = self.clock.now()
        async with self.session_pool() as session:
            if stats.lease_busy:
                lease = await session.get(Lease, LEASE_NAME)
                until = lease.expires_at if lease is not None else now
            else:
                until = (
                    await session.exec(
                        select(sa.func.min(Reminder.next_attempt_at)).where(
                            col(Reminder.state) == ReminderState.PENDING
                        )
                    )
                ).one() or now + timedelta(seconds=self.idle_poll_s)
        return min(max((until - now).total_seconds(), 0.0), self.idle_poll_s)

    # --- one drain --------------------------------------------------------------------------

    async def drain(self, limit: int | None = None) -> DrainStats:
        """Send every row due now (pending, ``next_attempt_at <= clock.now()``), in order.

        Returns at once with ``lease_busy`` if another process holds the lease. `limit` caps
        the number of rows taken (claimed) in this drain.
        """
        stats = DrainStats()
        started = self._monotonic()
        async with self._drain_lock:
            try:
                if not await self._acquire_lease():
                    stats.lease_busy = True
                    logger.debug("outbox: lease held by another process; not sending")
                    return stats
                stats.recovered = await self._recover()
                await self._drain(stats, limit)
            finally:
                stats.duration = self._monotonic() - started
        if stats.sent or stats.retried or stats.failed or stats.unreachable:
            logger.info(
                "outbox: sent=%d retried=%d failed=%d unreachable=%d 429s=%d in %.1f s",
                stats.sent,
                stats.retried,
                stats.failed,
                stats.unreachable,
                stats.rate_limited,
                stats.duration,
            )
        return stats

    async def _drain(self, stats: DrainStats, limit: int | None) -> None:
        now = self._monotonic()
        self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        queue: list[_Row] = []
        in_flight: dict[int, asyncio.Task[None]] = {}  # chat_id -> its send
        claimed = 0
        try:
            while True:
                self._reap(in_flight)
                if limit is not None and claimed >= limit:
                    break
                if not queue:
                    queue = await self._fetch_due()
                    if not queue:
                        if not in_flight:
                            break
                        await asyncio.wait(in_flight.values(), return_when="FIRST_COMPLETED")
                        continue
                if len(in_flight) >= self.max_in_flight:
                    await asyncio.wait(in_flight.values(), return_when="FIRST_COMPLETED")
                    continue
                # Pick at the moment of the next global slot, so a chat that becomes ready by
                # then is not overtaken by a later row.
                if (slot_wait := self._global_wait()) > 0:
                    await self._sleep(slot_wait)
                    continue
                index, wait = self._pick(queue, in_flight)
                if index is None:
                    if wait is None:  # every queued chat has a send in flight
                        await asyncio.wait(in_flight.values(), return_when="FIRST_COMPLETED")
                    else:
                        await self._sleep(wait)
                    continue
                row = queue.pop(index)
                if not await self._renew_lease_if_due():
                    logger.warning("outbox: lease lost to another process; stopping this drain")
                    break
                await self._take_slot(row.chat_id)
                if not await self._claim(row):
                    continue  # made unreachable, cancelled or held back meanwhile
                claimed += 1
                in_flight[row.chat_id] = asyncio.create_task(
                    self._deliver(row, stats), name=f"outbox-{row.id}"
                )
            while in_flight:
                await asyncio.wait(in_flight.values())
                self._reap(in_flight)
        except asyncio.CancelledError:
            # Shutting down: sends in flight are abandoned; their rows stay "sending" and the
            # next drain resends them (see the module docstring).
            for task in in_flight.values():
                task.cancel()
            raise
        finally:
            # On any other error the sends already started finish and are recorded.
            if in_flight:
                await asyncio.gather(*in_flight.values(), return_exceptions=True)

    @staticmethod
    def _reap(in_flight: dict[int, asyncio.Task[None]]) -> None:
        for chat_id, task in list(in_flight.items()):
            if task.done():
                del in_flight[chat_id]
                task.result()  # a bug in a send stops the drain; the row is recovered later

    def _pick(
        self, queue: list[_Row], in_flight: dict[int, asyncio.Task[None]]
    ) -> tuple[int | None, float | None]:
        """The first queued row whose chat may get a message now, or how long until one may."""
        now = self._monotonic()
        wait: float | None = None
        seen: set[int] = set()
        for index, row in enumerate(queue):
            if row.chat_id in seen or row.chat_id in in_flight:
                seen.add(row.chat_id)
                continue
            seen.add(row.chat_id)
            ready = self._chat_ready.get(row.chat_id, float("-inf"))
            if ready <= now:
                return index, None
            wait = ready - now if wait is None else min(wait, ready - now)
        return None, wait

    def _global_wait(self) -> float:
        if self._credits:  # a refunded slot may be used at once (not during a 429 pause)
            return self._paused_until - self._monotonic()
        return max(self._next_slot, self._paused_until) - self._monotonic()

    async def _take_slot(self, chat_id: int) -> None:
        """Wait for the global slot (spacing, 429 pause) and the chat's own interval."""
        while True:
            now = self._monotonic()
            chat_ready = self._chat_ready.get(chat_id, float("-inf"))
            start = max(self._next_slot, self._paused_until, chat_ready)
            if self._credits and max(self._paused_until, chat_ready) <= now:
                self._credits -= 1  # the slot a 5xx gave back
                self._chat_ready[chat_id] = now + self.per_chat_interval_s
                return
            if start <= now:
                interval = 1.0 / self.rate_per_s
                # Keep to the grid when only a wake-up overshoot (a fraction of a slot) made
                # us late, so overshoots do not add up and eat into the rate; after a longer
                # gap start a fresh grid (no catch-up burst).
                late = now - self._next_slot
                on_grid = 0.0 <= late <= interval * _GRID_SLACK
                self._next_slot = (self._next_slot if on_grid else now) + interval
                self._chat_ready[chat_id] = now + self.per_chat_interval_s
                return
            await self._sleep(start - now)

    def _refund_slot(self) -> None:
        """Give back the global slot of a send Telegram refused with a 5xx: it delivered
        nothing, so it does not count toward the 30/s; the next send may use the slot at once.
        A network error is not refunded: that message may have gone through."""
        self._credits += 1

    async def _deliver(self, row: _Row, stats: DrainStats) -> None:
        """Send a claimed row (the slot is already taken) and record the outcome."""
        markup = _markup_from_json(row.reply_markup)
        while True:
            try:
                with outbox_sending():  # a 429 comes here: the outbox pauses all sends itself
                    message = await self.bot.send_message(
                        chat_id=row.chat_id,
                        text=row.text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
            except TelegramRetryAfter as exc:
                stats.rate_limited += 1
                self._paused_until = max(
                    self._paused_until, self._monotonic() + float(exc.retry_after)
                )
                logger.warning(
                    "outbox: 429 on reminder %d, pausing all sends for %s s",
                    row.id,
                    exc.retry_after,
                )
                await self._take_slot(row.chat_id)
                continue
            except TelegramForbiddenError as exc:
                stats.unreachable += await self._record_unreachable(row, exc.message)
            except (TelegramBadRequest, TelegramEntityTooLarge) as exc:
                await self._record_failed(row, exc.message, attempts=row.attempts + 1)
                stats.failed += 1
                logger.error(
                    "outbox: reminder %d (%s) to chat %d refused: %s",
                    row.id,
                    row.dedup_key,
                    row.chat_id,
                    exc.message,
                )
            except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
                if isinstance(exc, TelegramServerError):
                    self._refund_slot()  # Telegram answered 5xx: nothing was sent
                error = getattr(exc, "message", None) or str(exc)
                if await self._record_transient(row, f"{type(exc).__name__}: {error}"):
                    stats.retried += 1
                else:
                    stats.failed += 1
            except TelegramAPIError as exc:  # 401, 404, 409, migrate: unexpected, retried
                if await self._record_transient(row, f"{type(exc).__name__}: {exc.message}"):
                    stats.retried += 1
                else:
                    stats.failed += 1
            else:
                await self._record_sent(row, message.message_id)
                stats.sent += 1
            return

    # --- the database side ------------------------------------------------------------------

    async def _fetch_due(self) -> list[_Row]:
        async with self.session_pool() as session:
            reminders = (
                await session.exec(
                    select(Reminder)
                    .where(
                        col(Reminder.state) == ReminderState.PENDING,
                        col(Reminder.next_attempt_at) <= self.clock.now(),
                    )
                    .order_by(col(Reminder.next_attempt_at), col(Reminder.id))
                    .limit(self.batch_size)
                )
            ).all()
        return [
            _Row(
                id=r.id or 0,
                dedup_key=r.dedup_key,
                person_id=r.person_id,
                kind=r.kind,
                chat_id=r.chat_id,
                text=r.text,
                reply_markup=r.reply_markup,
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at,
            )
            for r in reminders
        ]

    async def _claim(self, row: _Row) -> bool:
        async with self.session_pool() as session:
            result = await session.exec(
                sa.update(Reminder)
                .where(
                    col(Reminder.id) == row.id,
                    col(Reminder.state) == ReminderState.PENDING,
                    col(Reminder.next_attempt_at) <= self.clock.now(),
                )
                .values(state=ReminderState.SENDING)
            )
            await session.commit()
        return result.rowcount == 1

    async def _update_row(self, row: _Row, **values: Any) -> None:
        """One UPDATE of a claimed row in its own commit; a busy database is retried."""
        for attempt in range(3):
            try:
                async with self.session_pool() as session:
                    await session.exec(
                        sa.update(Reminder).where(col(Reminder.id) == row.id).values(**values)
                    )
                    await session.commit()
                return
            except OperationalError:
                if attempt == 2:
                    raise
                logger.warning("outbox: database busy recording reminder %d; retrying", row.id)
                await asyncio.sleep(0.05 * (attempt + 1))  # real time: the DB is real

    async def _record_sent(self, row: _Row, message_id: int) -> None:
        await self._update_row(
            row,
            state=ReminderState.SENT,
            sent_at=self.clock.now(),
            telegram_message_id=message_id,
        )
        logger.debug("outbox: reminder %d sent as message %d", row.id, message_id)

    async def _record_transient(self, row: _Row, error: str) -> bool:
        """attempts+1 and back to pending after the backoff; False if it is now failed."""
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            await self._record_failed(row, error, attempts=attempts, tell_admins=True)
            logger.error(
                "outbox: reminder %d (%s) failed after %d attempts: %s",
                row.id,
                row.dedup_key,
                attempts,
                error,
            )
            return False
        delay = self.backoff[min(attempts - 1, len(self.backoff) - 1)]
        retry_at = self.clock.now() + timedelta(seconds=delay)
        async with self.session_pool() as session:
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.id) == row.id)
                .values(
                    state=ReminderState.PENDING,
                    attempts=attempts,
                    next_attempt_at=retry_at,
                    last_error=error,
                )
            )
            await self._hold_later_parts(session, row, retry_at)
            await session.commit()
        logger.warning(
            "outbox: reminder %d attempt %d failed (%s); retry in %.0f s",
            row.id,
            attempts,
            error,
            delay,
        )
        return True

    async def _hold_later_parts(self, session: AsyncSession, row: _Row, until: datetime) -> None:
        """Keep parts i+1.. of a split message behind part i when part i is put back."""
        match = _PART_RE.match(row.dedup_key)
        base, index = (match["base"], int(match["i"])) if match else (row.dedup_key, 1)
        later = (
            await session.exec(
                select(Reminder.id, Reminder.dedup_key).where(
                    col(Reminder.dedup_key).startswith(f"{base}#", autoescape=True),
                    col(Reminder.state) == ReminderState.PENDING,
                    col(Reminder.next_attempt_at) < until,
                )
            )
        ).all()
        ids = [
            rid
            for rid, key in later
            if (m := _PART_RE.match(key)) and m["base"] == base and int(m["i"]) > index
        ]
        if ids:
            await session.exec(
                sa.update(Reminder).where(col(Reminder.id).in_(ids)).values(next_attempt_at=until)
            )

    async def _record_failed(
        self, row: _Row, error: str, *, attempts: int, tell_admins: bool = False
    ) -> None:
        now = self.clock.now()
        async with self.session_pool() as session:
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.id) == row.id)
                .values(state=ReminderState.FAILED, attempts=attempts, last_error=error)
            )
            if tell_admins and row.person_id is not None and row.kind not in _ADMIN_KINDS:
                await self._tell_admins(
                    session,
                    person_id=row.person_id,
                    kind=KIND_FAILED_ADMIN,
                    key=f"failed:{row.person_id}:{now.date().isoformat()}",
                    now=now,
                )
            await session.commit()

    async def _record_unreachable(self, row: _Row, error: str) -> int:
        """Mark the row, the chat's other pending rows and the account; tell admins once."""
        now = self.clock.now()
        async with self.session_pool() as session:
            # Write first: the transaction takes SQLite's write lock before reading.
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.id) == row.id)
                .values(state=ReminderState.UNREACHABLE, last_error=error)
            )
            others = await session.exec(
                sa.update(Reminder)
                .where(
                    col(Reminder.chat_id) == row.chat_id,
                    col(Reminder.state) == ReminderState.PENDING,
                )
                .values(
                    state=ReminderState.UNREACHABLE,
                    last_error=f"chat unreachable (reminder {row.id}): {error}",
                )
            )
            account_query = select(Account).where(
                col(Account.person_id) == row.person_id
                if row.person_id is not None
                else col(Account.chat_id) == row.chat_id
            )
            account = (await session.exec(account_query)).first()
            notices = 0
            if account is not None:
                if account.unreachable_since is None:
                    account.unreachable_since = now
                    account.unreachable_notified = False
                if "blocked by the user" in error and account.state == AccountState.JOINED:
                    account.state = AccountState.BLOCKED
                if not account.unreachable_notified:
                    since = account.unreachable_since.astimezone(UTC).isoformat(timespec="seconds")
                    notices = await self._tell_admins(
                        session,
                        person_id=account.person_id,
                        kind=KIND_UNREACHABLE_ADMIN,
                        key=f"unreachable:{account.person_id}:{since}",
                        now=now,
                    )
                    account.unreachable_notified = True
                session.add(account)
            await session.commit()
        logger.warning(
            "outbox: chat %d unreachable (reminder %d, person %s, %d more rows): %s; "
            "%d admin notices",
            row.chat_id,
            row.id,
            row.person_id,
            others.rowcount,
            error,
            notices,
        )
        if notices:
            self.wake()
        return 1 + others.rowcount

    async def _tell_admins(
        self, session: AsyncSession, *, person_id: int, kind: str, key: str, now: datetime
    ) -> int:
        """Enqueue `kind` (a text with {name}) to every joined admin but the person; new rows."""
        if kind not in texts.TEXTS:
            logger.error(
                "outbox: no %r text in the catalogue; admins not told about person %d",
                kind,
                person_id,
            )
            return 0
        person = await session.get(Person, person_id)
        if person is None:
            return 0
        admins = (
            await session.exec(
                select(Person, Account)
                .join(Account, col(Account.person_id) == col(Person.id))
                .where(
                    col(Account.state) == AccountState.JOINED,
                    col(Person.active).is_(True),
                    col(Person.id) != person_id,
                )
            )
        ).all()
        created = 0
        for admin, admin_account in admins:
            if "admin" not in admin.roles:
                continue
            created += await enqueue(
                session,
                dedup_key=f"{key}|admin:{admin.id}",
                chat_id=admin_account.chat_id,
                text=texts.t(
                    str(admin_account.language),
                    kind,
                    name=aiogram_html.quote(person.name),
                ),
                kind=kind,
                due_at=now,
                now=now,
                person_id=admin.id,
            )
        return created

    async def _recover(self) -> int:
        """Put rows left in ``sending`` by a crash back (late), or fail those out of attempts."""
        now = self.clock.now()
        async with self.session_pool() as session:
            stuck = (
                await session.exec(
                    select(Reminder.id, Reminder.attempts).where(
                        col(Reminder.state) == ReminderState.SENDING
                    )
                )
            ).all()
            if not stuck:
                return 0
            spent = [rid for rid, attempts in stuck if attempts + 1 >= self.max_attempts]
            error = "interrupted while sending (process stopped)"
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.state) == ReminderState.SENDING)
                .values(
                    state=ReminderState.PENDING,
                    attempts=col(Reminder.attempts) + 1,
                    next_attempt_at=now,
                    late=True,
                    last_error=f"{error}; resent",
                )
            )
            if spent:
                await session.exec(
                    sa.update(Reminder)
                    .where(col(Reminder.id).in_(spent))
                    .values(state=ReminderState.FAILED, last_error=f"{error}; out of attempts")
                )
            await session.commit()
        logger.warning(
            "outbox: recovered %d reminders left in 'sending' by a crash (ids %s); %d failed",
            len(stuck),
            ",".join(str(rid) for rid, _ in stuck[:20]),
            len(spent),
        )
        return len(stuck)

    # --- the lease --------------------------------------------------------------------------

    async def _acquire_lease(self) -> bool:
        """Take or renew the ``outbox`` lease; False if another holder's lease is live."""
        now = self.clock.now()
        statement = sqlite_insert(Lease).values(
            name=LEASE_NAME, holder=self.holder, expires_at=now + self.lease_ttl
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={
                "holder": statement.excluded.holder,
                "expires_at": statement.excluded.expires_at,
            },
            where=sa.or_(col(Lease.holder) == self.holder, col(Lease.expires_at) <= now),
        )
        async with self.session_pool() as session:
            result = await session.exec(statement)
            await session.commit()
        if result.rowcount == 1:
            self._lease_renew_at = now + self.lease_ttl / 3
            return True
        self._lease_renew_at = None
        return False

    async def _renew_lease_if_due(self) -> bool:
        """Renew the lease every third of its time; False if another process has taken it."""
        if self._lease_renew_at is not None and self.clock.now() < self._lease_renew_at:
            return True
        return await self._acquire_lease()

    async def release_lease(self) -> None:
        """Give the lease up (on shutdown), if this process holds it."""
        async with self.session_pool() as session:
            await session.exec(
                sa.delete(Lease).where(
                    col(Lease.name) == LEASE_NAME, col(Lease.holder) == self.holder
                )
            )
            await session.commit()
        self._lease_renew_at = None
