"""The sender: drains due outbox rows through the Bot API, paced, one process at a time.

See the package docstring for the guarantees; `store` holds the database side and `lease` the
choice of the one sending process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from aiogram import Bot
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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.retry_after import outbox_sending
from bot.scheduler.outbox.lease import DEFAULT_LEASE_TTL_S, SenderLease
from bot.scheduler.outbox.rows import markup_from_json
from bot.scheduler.outbox.store import OutboxStore, Row

__all__ = ["BACKOFF", "DEFAULT_RATE_PER_S", "DrainStats", "Outbox", "default_holder"]

logger = logging.getLogger(__name__)

DEFAULT_RATE_PER_S: Final = 28.0
DEFAULT_PER_CHAT_INTERVAL_S: Final = 1.0
BACKOFF: Final = (5.0, 30.0, 120.0, 600.0, 1800.0)  # seconds; the last value repeats
DEFAULT_MAX_ATTEMPTS: Final = 6

_GRID_SLACK: Final = 0.1  # of a slot: how late a send may be and still keep the pacing grid

Sleep = Callable[[float], Awaitable[Any]]
Monotonic = Callable[[], float]


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
        self.backoff = tuple(backoff)
        self.idle_poll_s = idle_poll_s
        self.holder = holder or default_holder()
        self.lease = SenderLease(session_pool, clock, self.holder, lease_ttl_s)
        self.store = OutboxStore(
            session_pool,
            clock,
            self.lease,
            max_attempts=max_attempts,
            backoff=backoff,
            batch_size=batch_size,
        )
        self._sleep = sleep
        self._monotonic = monotonic
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._drain_lock = asyncio.Lock()
        self._next_slot = float("-inf")  # monotonic time of the next global send slot
        self._credits = 0  # slots given back by 5xx answers, usable at once
        self._paused_until = float("-inf")  # a 429 pauses everything until then
        self._chat_ready: dict[int, float] = {}  # chat -> monotonic time it may get a message

    # --- the production loop ----------------------------------------------------------------

    def wake(self) -> None:
        """Something was enqueued: drain now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run_forever(self) -> None:
        """Drain, then wait for `wake`, the next due row, or `idle_poll_s`; until `stop`.

        Beside it runs the lease's heartbeat (`_heartbeat`). A stand-by (another process
        holds the lease) waits until that lease would run out, then tries again. Releases the
        lease on the way out, so a restarted process need not wait for it.
        """
        self._stop.clear()
        heartbeat = asyncio.create_task(self._heartbeat(), name="outbox-lease")
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
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            await self.release_lease()

    async def release_lease(self) -> None:
        """Give the lease up (on shutdown), if this process holds it."""
        await self.lease.release()

    async def _heartbeat(self) -> None:
        """Every third of the lease's time: renew it while this process holds it, however long
        a drain or one HTTP call takes; and when idle, wake the drain if a row is due that
        this process did not enqueue itself (another replica's tick planned it)."""
        while True:
            await self._sleep(self.lease.renew_every.total_seconds())
            if not self.lease.held:
                continue  # a stand-by: the drain loop tries at the lease's end
            try:
                if not await self.lease.acquire():
                    logger.warning("outbox: lease lost to another process")
                    continue
                if not self._drain_lock.locked():
                    due = await self.store.next_due_at()
                    if due is not None and due <= self.clock.now():
                        self.wake()
            except SQLAlchemyError as exc:  # the next beat tries again
                logger.warning("outbox: could not renew the lease: %s", type(exc).__name__)

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
        if stats.lease_busy:  # a stand-by: try again when the holder's lease would run out
            until = await self.lease.expires_at() or now
        else:
            until = await self.store.next_due_at() or now + timedelta(seconds=self.idle_poll_s)
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
                if not await self.lease.acquire():
                    stats.lease_busy = True
                    logger.debug("outbox: lease held by another process; not sending")
                    return stats
                stats.recovered = await self.store.recover()
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
        queue: list[Row] = []
        in_flight: dict[int, asyncio.Task[None]] = {}  # chat_id -> its send
        claimed = 0
        try:
            while True:
                self._reap(in_flight)
                if limit is not None and claimed >= limit:
                    break
                if not queue:
                    queue = await self.store.fetch_due()
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
                await self._take_slot(row.chat_id)
                if not await self.lease.keep():
                    logger.warning("outbox: lease lost to another process; stopping this drain")
                    break
                if not await self.store.claim(row):
                    if not self.lease.held:
                        logger.warning("outbox: lease ran out; stopping this drain")
                        break
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
        self, queue: list[Row], in_flight: dict[int, asyncio.Task[None]]
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

    async def _deliver(self, row: Row, stats: DrainStats) -> None:
        """Send a claimed row (the slot is already taken) and record the outcome."""
        markup = markup_from_json(row.reply_markup)
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
                marked, notices = await self.store.record_unreachable(row, exc.message)
                stats.unreachable += marked
                if notices:
                    self.wake()
            except (TelegramBadRequest, TelegramEntityTooLarge) as exc:
                await self.store.record_failed(row, exc.message, attempts=row.attempts + 1)
                stats.failed += 1
                logger.error(
                    "outbox: reminder %d (%s) to chat %d refused: %s",
                    row.id,
                    row.dedup_key,
                    row.chat_id,
                    exc,  # the exception, not its text: the log formatter keeps its safe part
                )
            except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
                if isinstance(exc, TelegramServerError):
                    self._refund_slot()  # Telegram answered 5xx: nothing was sent
                error = getattr(exc, "message", None) or str(exc)
                if await self.store.record_transient(row, f"{type(exc).__name__}: {error}"):
                    stats.retried += 1
                else:
                    stats.failed += 1
            except TelegramAPIError as exc:  # 401, 404, 409, migrate: unexpected, retried
                if await self.store.record_transient(row, f"{type(exc).__name__}: {exc.message}"):
                    stats.retried += 1
                else:
                    stats.failed += 1
            else:
                await self.store.record_sent(row, message.message_id)
                stats.sent += 1
            return
