"""Benchmark: one reminder to every member of staff through the outbox, in real time.

Against the fake Telegram server (fakegram) with Telegram's flood limits switched on (30
messages/s per bot with a burst of 30, about 1/s per private chat), it prints for each run the
messages per second achieved against the 30/s ceiling, the 429 answers received, duplicates
(chats that got the reminder twice) and losses (chats that got nothing):

* the physical baseline: the fake server's own capacity with the limits off (unpaced
  concurrent calls) and a bare aiogram loop of ``send_message`` paced at 25/s;
* the outbox at 25/s and at 28/s (`bot.scheduler.outbox.DEFAULT_RATE_PER_S`);
* the same with 5% of calls answered 502 (retried after the outbox's backoff, so the run
  ends with a tail of retries: both the sending rate and the time to reach everyone are shown);
* "tick → outbox": the real reminder path. The staff are database people with accounts (all
  class teachers), `bot.scheduler.jobs.tick` plans plan item 1.8 ("every school day", due at
  08:30 on Tuesday 24 November 2026: exactly one reminder per class teacher) and enqueues it
  (the tick's own duration is shown), then the real `Outbox` sends it, with and without 5xx.
  A duplicate here is a chat that got more messages than the tick enqueued for it.

The default run prints both the direct rows (outbox rows enqueued by hand) and the tick rows,
on SQLite, and on PostgreSQL too in the same run when ``KENES_TEST_PG_URL`` names a server
(`scripts/with-postgres` starts a throwaway one and sets it):

    .venv/bin/python -m bench.bench_fanout             # 1,000 staff, SQLite
    scripts/with-postgres .venv/bin/python -m bench.bench_fanout   # SQLite and PostgreSQL
    .venv/bin/python -m bench.bench_fanout --quick     # 200 staff
    .venv/bin/python -m bench.bench_fanout --via-tick  # only the tick → outbox rows
    .venv/bin/python -m bench.bench_fanout --staff 500 --rates 25,28,29 --fail 0.05
    .venv/bin/python -m bench.bench_fanout --databases postgres     # one database only

Real sleeps here: this measures wall-clock throughput. Nothing runs at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import CALENDAR_DIR, DEFAULT_PLAN
from bot.core.calendar import load_calendar
from bot.core.overrides import PlanOverrides, apply_overrides
from bot.core.plan import load_plan
from bot.core.roles import Role
from bot.scheduler.jobs import AppContext, tick
from bot.scheduler.outbox import DEFAULT_RATE_PER_S, DrainStats, Outbox, enqueue
from db.engine import create_engine, create_session_pool
from db.models import Account, Person, Reminder, ReminderState
from fakegram import FakeTelegram, FakeUser
from tests.databases import Databases, PostgresDatabases, SqliteDatabases

CEILING = 30.0
TEXT = "⏰ <b>Ертең кеңес отырысы</b> 14:00, 204-кабинет. / Завтра заседание совета в 14:00."


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RunningClock:
    """Wall-clock time that starts at `start`: the tick's moment, moving in real time (the
    outbox's backoff and next attempts need time to pass)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


@dataclass
class Result:
    label: str
    sent: int
    seconds: float  # from the first send to the last delivery
    send_rate: float  # messages per second while sending
    too_many: int
    duplicates: int
    losses: int
    note: str = ""

    def row(self) -> str:
        return (
            f"{self.label:<44} {self.sent:>6} {self.seconds:>8.1f} {self.send_rate:>8.1f} "
            f"{self.send_rate / CEILING:>6.0%} {self.too_many:>5} {self.duplicates:>5} "
            f"{self.losses:>6}  {self.note}"
        )


HEADER = (
    f"{'run':<44} {'sent':>6} {'secs':>8} {'msg/s':>8} {'of30':>6} {'429s':>5} "
    f"{'dups':>5} {'lost':>6}"
)


def limited_server() -> FakeTelegram:
    fake = FakeTelegram()
    fake.rate_limits.configure(enabled=True, strict=False)  # 30/s global, ~1/s per chat
    return fake


def make_staff(fake: FakeTelegram, n: int) -> list[FakeUser]:
    return [fake.user(id=100_000 + k, started=True) for k in range(n)]


def count(fake: FakeTelegram, users: Sequence[FakeUser]) -> tuple[int, int, int]:
    """(429 answers, chats that got more than one message, chats that got none)."""
    too_many = sum(1 for error in fake.errors if error.status == 429)
    received = [len(user.bot_messages) for user in users]
    return too_many, sum(1 for n in received if n > 1), sum(1 for n in received if n == 0)


async def server_capacity(n: int, concurrency: int = 16) -> Result:
    """How fast the fake server answers sendMessage at all (limits off, unpaced)."""
    async with FakeTelegram() as fake:
        users = make_staff(fake, n)
        bot = fake.make_bot()
        queue = list(users)
        started = time.monotonic()

        async def worker() -> None:
            while queue:
                user = queue.pop()
                await bot.send_message(user.id, TEXT, parse_mode="HTML")

        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            await bot.session.close()
        seconds = time.monotonic() - started
        too_many, dups, lost = count(fake, users)
    return Result(
        "fake server, limits off (ceiling)",
        n,
        seconds,
        n / seconds,
        too_many,
        dups,
        lost,
        f"{concurrency} concurrent, unpaced",
    )


async def bare_loop(n: int, rate: float = 25.0) -> Result:
    """A plain aiogram loop: one send_message every 1/rate s, 429 honoured, no database."""
    async with limited_server() as fake:
        users = make_staff(fake, n)
        bot = fake.make_bot()
        started = time.monotonic()
        sent = 0
        try:
            for k, user in enumerate(users):
                await asyncio.sleep(max(0.0, started + k / rate - time.monotonic()))
                while True:
                    try:
                        await bot.send_message(user.id, TEXT, parse_mode="HTML")
                    except TelegramRetryAfter as exc:
                        await asyncio.sleep(exc.retry_after)
                        continue
                    sent += 1
                    break
        finally:
            await bot.session.close()
        seconds = time.monotonic() - started
        too_many, dups, lost = count(fake, users)
    return Result(
        f"bare aiogram loop @ {rate:g}/s", sent, seconds, sent / seconds, too_many, dups, lost
    )


async def send_all(
    fake: FakeTelegram, pool: async_sessionmaker[AsyncSession], clock: Clock, rate: float
) -> tuple[DrainStats, float]:
    """Drain the outbox until nothing is pending (waiting out the retries' backoff); returns
    the drains' totals and the wall-clock seconds from the first send to the last."""
    bot = fake.make_bot()
    outbox = Outbox(bot, pool, clock, rate_per_s=rate, holder="bench")
    totals = DrainStats()
    started = time.monotonic()
    try:
        while True:
            totals += await outbox.drain()
            async with pool() as session:
                pending, next_at = (
                    await session.exec(
                        select(func.count(), func.min(Reminder.next_attempt_at)).where(
                            col(Reminder.state) == ReminderState.PENDING
                        )
                    )
                ).one()
            if not pending:
                break
            await asyncio.sleep(max(0.0, (next_at - clock.now()).total_seconds()))
    finally:
        await bot.session.close()
    return totals, time.monotonic() - started


def outbox_note(fake: FakeTelegram, totals: DrainStats, too_many: int) -> str:
    injected = sum(1 for error in fake.errors if error.status == 502)
    note = f"{injected} 502s injected, {totals.retried} retried, {totals.failed} failed"
    if totals.rate_limited != too_many:
        note += f" (outbox counted {totals.rate_limited} 429s)"
    return note


async def outbox_run(n: int, rate: float, fail: float, dbs: Databases, workdir: Path) -> Result:
    url = await asyncio.to_thread(fresh_database, dbs, workdir)
    engine = create_engine(url)
    pool = create_session_pool(engine)
    clock = SystemClock()
    try:
        async with limited_server() as fake:
            users = make_staff(fake, n)
            now = clock.now()
            async with pool() as session:
                for user in users:
                    await enqueue(
                        session,
                        dedup_key=f"council-4|person:{user.id}|day_before",
                        chat_id=user.id,
                        text=TEXT,
                        kind="day_before",
                        due_at=now,
                        now=now,
                    )
                await session.commit()
            if fail:
                fake.faults.fail_randomly(fail, status=502, seed=7)
            totals, seconds = await send_all(fake, pool, clock, rate)
            too_many, dups, lost = count(fake, users)
            note = outbox_note(fake, totals, too_many)
    finally:
        await engine.dispose()
    label = f"{dbs.name}: outbox @ {rate:g}/s" + (f", {fail:.0%} 5xx" if fail else "")
    return Result(
        label,
        totals.sent,
        seconds,
        totals.sent / totals.duration if totals.duration else 0.0,
        too_many,
        dups,
        lost,
        note,
    )


# Plan item 1.8 ("every school day", class teachers) is due at 08:30 on a school day; at this
# moment it is the only reminder a class teacher has (Tuesday: no weekly digest). A daily duty
# is a weekly check-in by default (#12): here it is a card each day, the heaviest fan-out.
TICK_ITEM = "1.8"
TICK_AT = (2026, 11, 24, 8, 30)
JOINED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)  # the staff joined when the year began


async def add_staff(pool: async_sessionmaker[AsyncSession], users: Sequence[FakeUser]) -> None:
    """One class teacher with a joined account per fake user (chat id = user id)."""
    async with pool() as session:
        people = [
            Person(
                key=f"bench-ct-{user.id}",
                name=f"Сынып жетекшісі {k + 1}",
                roles=[str(Role.CLASS_TEACHER)],
                class_name=f"{k % 11 + 1}А",
            )
            for k, user in enumerate(users)
        ]
        session.add_all(people)
        await session.flush()
        session.add_all(
            Account(
                person_id=person.id, telegram_user_id=user.id, chat_id=user.id, joined_at=JOINED
            )  # type: ignore[arg-type]
            for person, user in zip(people, users, strict=True)
        )
        await session.commit()


async def tick_run(n: int, rate: float, fail: float, dbs: Databases, workdir: Path) -> Result:
    """The real path: people and accounts in the database, `tick` plans and enqueues the
    reminder, the `Outbox` sends it."""
    url = await asyncio.to_thread(fresh_database, dbs, workdir)
    engine = create_engine(url)
    pool = create_session_pool(engine)
    calendar = load_calendar(CALENDAR_DIR / "2026-2027.json")
    daily_cards = PlanOverrides(routine={TICK_ITEM: "card"})
    plan = apply_overrides(load_plan(DEFAULT_PLAN), daily_cards)
    ctx = AppContext(session_pool=pool, plan=plan, calendar=calendar)
    moment = datetime(*TICK_AT, tzinfo=calendar.tz)
    try:
        async with limited_server() as fake:
            users = make_staff(fake, n)
            await add_staff(pool, users)
            t0 = time.perf_counter()
            ticked = await tick(ctx, moment)
            tick_s = time.perf_counter() - t0
            again = await tick(ctx, moment + timedelta(minutes=1))  # keyed: nothing new
            async with pool() as session:
                rows = (
                    await session.exec(select(Reminder.chat_id, Reminder.occurrence_key))
                ).all()
            expected = Counter(chat for chat, _ in rows)
            items = {key.split("@")[0] for _, key in rows if key}
            if items != {TICK_ITEM} or set(expected) != {u.id for u in users}:
                raise RuntimeError(f"the tick planned {sorted(items)} for {len(expected)} chats")
            if fail:
                fake.faults.fail_randomly(fail, status=502, seed=7)
            totals, seconds = await send_all(fake, pool, RunningClock(moment), rate)
            too_many = sum(1 for error in fake.errors if error.status == 429)
            received = {user.id: len(user.bot_messages) for user in users}
            dups = sum(1 for chat, got in received.items() if got > expected[chat])
            lost = sum(1 for chat, got in received.items() if got < expected[chat])
            note = (
                f"tick: {ticked.enqueued} rows in {tick_s * 1000:.0f} ms"
                f" (re-tick {again.enqueued}); " + outbox_note(fake, totals, too_many)
            )
    finally:
        await engine.dispose()
    label = f"{dbs.name}: tick → outbox @ {rate:g}/s" + (f", {fail:.0%} 5xx" if fail else "")
    return Result(
        label,
        totals.sent,
        seconds,
        totals.sent / totals.duration if totals.duration else 0.0,
        too_many,
        dups,
        lost,
        note,
    )


def databases(wanted: str) -> list[str]:
    """The databases to run on: ``sqlite``, ``postgres`` (default: SQLite, and PostgreSQL
    when ``KENES_TEST_PG_URL`` is set)."""
    if wanted:
        return [name.strip() for name in wanted.split(",") if name.strip()]
    if os.environ.get("KENES_TEST_PG_URL"):
        return ["sqlite", "postgres"]
    print("PostgreSQL: not run (no KENES_TEST_PG_URL; run under scripts/with-postgres)\n")
    return ["sqlite"]


def fresh_database(dbs: Databases, workdir: Path) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    return dbs.migrated(workdir)


def open_databases(name: str, workdir: Path) -> Databases:
    if name == "sqlite":
        return SqliteDatabases(workdir)
    if name == "postgres":
        admin_url = os.environ.get("KENES_TEST_PG_URL")
        if not admin_url:
            raise SystemExit("--databases postgres needs KENES_TEST_PG_URL: scripts/with-postgres")
        return PostgresDatabases(admin_url)
    raise SystemExit(f"unknown database {name!r}: use sqlite or postgres")


async def main_async(args: argparse.Namespace) -> int:
    n = 200 if args.quick else args.staff
    rates = [float(r) for r in args.rates.split(",")]
    tick_rates = [float(r) for r in args.tick_rates.split(",")]
    print(f"Fan-out of one reminder to {n} staff (private chats), real time.")
    print(f"Limits on the fake server: {CEILING:g}/s per bot (burst 30), 1/s per chat (burst 3).")
    print(f"Outbox default rate: {DEFAULT_RATE_PER_S:g}/s. Target: >= 27 msg/s, no 429.\n")
    print(HEADER)
    results: list[Result] = []

    def show(result: Result) -> None:
        results.append(result)
        print(result.row(), flush=True)

    if not args.skip_baseline:
        show(await server_capacity(n))
        show(await bare_loop(n, 25.0))
    with tempfile.TemporaryDirectory(prefix="kenes-bench-") as tmp:
        for name in databases(args.databases):
            dbs = await asyncio.to_thread(open_databases, name, Path(tmp))
            try:
                for fail in (0.0, args.fail) if args.fail else (0.0,):
                    if not args.via_tick:
                        for rate in rates:
                            workdir = Path(tmp) / f"{name}-{rate:g}-{fail:g}"
                            show(await outbox_run(n, rate, fail, dbs, workdir))
                    for rate in tick_rates:
                        workdir = Path(tmp) / f"{name}-tick-{rate:g}-{fail:g}"
                        show(await tick_run(n, rate, fail, dbs, workdir))
            finally:
                await asyncio.to_thread(dbs.close)
    bad = [r for r in results if r.duplicates or r.losses]
    if bad:
        print("\nDUPLICATES OR LOSSES in: " + ", ".join(r.label for r in bad))
        return 1
    print("\nmsg/s: messages sent per second of sending (for the outbox, the drains' own time;")
    print("with 5xx the 'secs' column also includes waiting out the last retries' backoff).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=1000, help="number of staff (chats)")
    parser.add_argument("--quick", action="store_true", help="200 staff")
    parser.add_argument("--rates", default="25,28", help="outbox rates to try, comma-separated")
    parser.add_argument(
        "--tick-rates",
        default=f"{DEFAULT_RATE_PER_S:g}",
        help="outbox rates for the tick → outbox runs, comma-separated",
    )
    parser.add_argument(
        "--via-tick", action="store_true", help="only the tick → outbox runs (no direct rows)"
    )
    parser.add_argument("--fail", type=float, default=0.05, help="share of calls answered 502")
    parser.add_argument("--skip-baseline", action="store_true", help="outbox runs only")
    parser.add_argument(
        "--databases",
        default="",
        help="sqlite,postgres (default: sqlite, and postgres if KENES_TEST_PG_URL is set)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="outbox logs at INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(main_async(args))
    except TelegramAPIError as exc:
        print(f"unexpected Telegram error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
