"""The outbox: enqueue once, send once, pace, retry, give up, and split long texts.

The bot talks to `ScriptedSession`, an aiogram session that answers like the Bot API (success
JSON, or error JSON pushed through aiogram's own `check_response`, so the real exception
classes come out) and records when each message was sent on a fake clock. `FakeTime` is that
clock: the outbox's `sleep` moves it forward instead of waiting, so nothing here really sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.scheduler.outbox import (
    DrainStats,
    Outbox,
    cancel,
    enqueue,
    split_message,
    telegram_length,
)
from db.engine import create_engine, create_session_pool
from db.models import Account, AccountState, Lease, Person, Reminder, ReminderState
from fakegram import FakeTelegram, FakeUser, format_violations

TZ = ZoneInfo("Asia/Aqtobe")
START = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
TOKEN = "42:TEST-outbox-token"


# --- fakes --------------------------------------------------------------------------------------


class FakeTime:
    """Monotonic seconds and an aware wall clock that move only when the outbox sleeps."""

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.t = 0.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    def advance(self, seconds: float) -> None:
        self.t += seconds

    async def sleep(self, seconds: float) -> None:
        target = self.t + max(seconds, 0.0)
        self.slept += max(seconds, 0.0)
        await asyncio.sleep(0)  # let whatever was started before the sleep run first
        self.t = max(self.t, target)


@dataclass
class Sent:
    at: float
    chat_id: int
    text: str
    reply_markup: Any
    message_id: int


Outcome = Callable[[], tuple[int, dict[str, Any]]] | type[Exception]


@dataclass
class ScriptedSession(BaseSession):
    """Answers `sendMessage` like Telegram; `fail(chat_id, *outcomes)` scripts the next calls."""

    time: FakeTime = field(default_factory=FakeTime)
    sent: list[Sent] = field(default_factory=list)
    attempts: list[tuple[float, int]] = field(default_factory=list)  # (time, chat) of every call
    script: dict[int, list[Outcome]] = field(default_factory=dict)
    delivered: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        super().__init__()

    def fail(self, chat_id: int, *outcomes: Outcome) -> None:
        self.script.setdefault(chat_id, []).extend(outcomes)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> Any:
        assert isinstance(method, SendMessage), method
        chat_id = int(method.chat_id)
        at = self.time.t  # when the request left
        self.attempts.append((at, chat_id))
        await asyncio.sleep(0)  # an HTTP call yields to the loop
        queued = self.script.get(chat_id)
        if queued:
            outcome = queued.pop(0)
            if isinstance(outcome, type):
                raise outcome(method=method, message="Connection reset by peer")
            status, body = outcome()
            return self.check_response(bot, method, status, json.dumps(body))
        message_id = len(self.sent) + 1
        markup = method.reply_markup
        self.sent.append(
            Sent(
                at,
                chat_id,
                method.text,
                markup.model_dump(exclude_none=True) if markup is not None else None,
                message_id,
            )
        )
        body = {
            "ok": True,
            "result": {
                "message_id": message_id,
                "date": int(self.time.now().timestamp()),
                "chat": {"id": chat_id, "type": "private"},
                "text": method.text,
            },
        }
        self.delivered.set()
        return self.check_response(bot, method, 200, json.dumps(body)).result

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        raise NotImplementedError
        yield b""  # pragma: no cover

    async def close(self) -> None:
        pass


def error(status: int, description: str, **parameters: Any) -> Outcome:
    def outcome() -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return status, body

    return outcome


TOO_MANY = error(429, "Too Many Requests: retry after 3", retry_after=3)
BAD_GATEWAY = error(502, "Bad Gateway")
BLOCKED = error(403, "Forbidden: bot was blocked by the user")
CANT_PARSE = error(400, "Bad Request: can't parse entities: unsupported start tag")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def tg(fake_time: FakeTime) -> ScriptedSession:
    return ScriptedSession(time=fake_time)


@pytest.fixture
def make_outbox(
    session_pool: async_sessionmaker[AsyncSession], tg: ScriptedSession, fake_time: FakeTime
) -> Callable[..., Outbox]:
    def make(pool: async_sessionmaker[AsyncSession] | None = None, **kwargs: Any) -> Outbox:
        options: dict[str, Any] = {
            "sleep": fake_time.sleep,
            "monotonic": fake_time.monotonic,
            "holder": "test-1",
        }
        options.update(kwargs)
        return Outbox(Bot(TOKEN, session=tg), pool or session_pool, fake_time, **options)

    return make


@pytest.fixture
async def second_pool(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Another engine on the same file: what a second process would have."""
    engine: AsyncEngine = create_engine(db_url)
    try:
        yield create_session_pool(engine)
    finally:
        await engine.dispose()


async def put(
    pool: async_sessionmaker[AsyncSession],
    key: str,
    chat_id: int,
    *,
    at: datetime = START,
    text: str | None = None,
    person_id: int | None = None,
    **kwargs: Any,
) -> bool:
    async with pool() as session:
        new = await enqueue(
            session,
            dedup_key=key,
            chat_id=chat_id,
            text=text if text is not None else f"Reminder {key}",
            kind="day_before",
            due_at=at,
            now=START,
            person_id=person_id,
            **kwargs,
        )
        await session.commit()
    return new


async def rows(pool: async_sessionmaker[AsyncSession]) -> list[Reminder]:
    async with pool() as session:
        return list((await session.exec(select(Reminder).order_by(col(Reminder.id)))).all())


async def row(pool: async_sessionmaker[AsyncSession], key: str) -> Reminder:
    async with pool() as session:
        return (await session.exec(select(Reminder).where(Reminder.dedup_key == key))).one()


async def add_person(
    pool: async_sessionmaker[AsyncSession],
    key: str,
    name: str,
    chat_id: int,
    *,
    roles: list[str] | None = None,
    language: str = "kk",
) -> Person:
    async with pool() as session:
        person = Person(key=key, name=name, roles=roles or ["teacher"])
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(
            Account(
                person_id=person.id,
                telegram_user_id=chat_id,
                chat_id=chat_id,
                language=language,
            )
        )
        await session.commit()
        return person


# --- enqueue ------------------------------------------------------------------------------------


async def test_enqueue_same_key_twice_makes_one_row(session_pool) -> None:
    assert await put(session_pool, "council-4|person:1|day_before", 100) is True
    assert await put(session_pool, "council-4|person:1|day_before", 100, text="other") is False
    [only] = await rows(session_pool)
    assert only.text == "Reminder council-4|person:1|day_before"
    assert only.state is ReminderState.PENDING and only.next_attempt_at == START


async def test_concurrent_enqueue_from_two_processes_makes_one_row(
    session_pool, second_pool
) -> None:
    results = await asyncio.gather(
        *(put(pool, "k|same", 100) for pool in (session_pool, second_pool, session_pool))
    )
    assert sorted(results) == [False, False, True]
    assert len(await rows(session_pool)) == 1


# --- sending ------------------------------------------------------------------------------------


async def test_drain_sends_due_rows_in_order_and_records_them(
    session_pool, make_outbox, tg, fake_time
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="✅", callback_data="r:1")]]
    )
    await put(session_pool, "b", 200, at=START + timedelta(seconds=1))
    await put(session_pool, "a", 100, reply_markup=markup)
    await put(session_pool, "later", 100, at=START + timedelta(hours=1))
    fake_time.advance(1)
    stats = await make_outbox().drain()
    assert (stats.sent, stats.retried, stats.failed, stats.unreachable) == (2, 0, 0, 0)
    assert [s.chat_id for s in tg.sent] == [100, 200]
    assert tg.sent[0].reply_markup == {
        "inline_keyboard": [[{"text": "✅", "callback_data": "r:1"}]]
    }
    a, b, later = [await row(session_pool, key) for key in ("a", "b", "later")]
    assert a.state is ReminderState.SENT and a.telegram_message_id == 1
    assert a.sent_at is not None
    assert timedelta(seconds=1) <= a.sent_at - fake_time.start < timedelta(seconds=2)
    assert b.state is ReminderState.SENT and b.telegram_message_id == 2
    assert later.state is ReminderState.PENDING and later.attempts == 0


async def test_429_pauses_all_sending_then_retries_the_same_row(
    session_pool, make_outbox, tg
) -> None:
    for chat in (100, 200, 300):
        await put(session_pool, f"r{chat}", chat)
    tg.fail(100, TOO_MANY)
    stats = await make_outbox(rate_per_s=10).drain()
    assert (stats.sent, stats.rate_limited, stats.retried, stats.failed) == (3, 1, 0, 0)
    refused_at = tg.attempts[0][0]
    assert tg.attempts[0][1] == 100
    # Nothing at all went out during the pause; the refused row went first afterwards.
    assert all(s.at >= refused_at + 3 for s in tg.sent)
    assert [s.chat_id for s in tg.sent] == [100, 200, 300]
    first = await row(session_pool, "r100")
    assert first.state is ReminderState.SENT and first.attempts == 0


async def test_server_error_backs_off_then_succeeds(
    session_pool, make_outbox, tg, fake_time
) -> None:
    await put(session_pool, "r", 100)
    tg.fail(100, BAD_GATEWAY)
    outbox = make_outbox()
    stats = await outbox.drain()
    assert (stats.sent, stats.retried) == (0, 1)
    waiting = await row(session_pool, "r")
    assert waiting.state is ReminderState.PENDING and waiting.attempts == 1
    assert waiting.next_attempt_at == fake_time.now() + timedelta(seconds=5)
    assert waiting.last_error == "TelegramServerError: Bad Gateway"
    assert (await outbox.drain()).sent == 0  # not due yet
    fake_time.advance(5)
    assert (await outbox.drain()).sent == 1
    done = await row(session_pool, "r")
    assert done.state is ReminderState.SENT and done.attempts == 1
    assert len(tg.sent) == 1


async def test_dropped_connection_is_retried(session_pool, make_outbox, tg, fake_time) -> None:
    await put(session_pool, "r", 100)
    tg.fail(100, TelegramNetworkError, TelegramNetworkError)
    outbox = make_outbox()
    assert (await outbox.drain()).retried == 1
    fake_time.advance(5)
    assert (await outbox.drain()).retried == 1
    assert (await row(session_pool, "r")).next_attempt_at == fake_time.now() + timedelta(
        seconds=30
    )
    fake_time.advance(30)
    assert (await outbox.drain()).sent == 1
    assert [s.chat_id for s in tg.sent] == [100]


async def test_gives_up_after_max_attempts(session_pool, make_outbox, tg, fake_time) -> None:
    await put(session_pool, "r", 100)
    tg.fail(100, *[BAD_GATEWAY] * 3)
    outbox = make_outbox(max_attempts=3, backoff=(5, 30))
    totals = DrainStats()
    for _ in range(5):
        totals += await outbox.drain()
        fake_time.advance(60)
    assert (totals.retried, totals.failed, totals.sent) == (2, 1, 0)
    gone = await row(session_pool, "r")
    assert gone.state is ReminderState.FAILED and gone.attempts == 3
    assert gone.last_error == "TelegramServerError: Bad Gateway"
    assert tg.sent == []


async def test_forbidden_marks_unreachable_and_tells_each_admin_once(
    session_pool, make_outbox, tg, fake_time
) -> None:
    teacher = await add_person(session_pool, "t1", "Әсел <Б>", 100)
    admin_kk = await add_person(session_pool, "a1", "Admin KK", 900, roles=["admin"])
    await add_person(session_pool, "a2", "Admin RU", 901, roles=["admin", "chair"], language="ru")
    await add_person(session_pool, "x", "Not admin", 902)
    await put(session_pool, "r1", 100, person_id=teacher.id)
    await put(session_pool, "r2", 100, person_id=teacher.id)
    await put(session_pool, "other", 300)
    tg.fail(100, BLOCKED, BLOCKED)
    outbox = make_outbox()
    stats = await outbox.drain()
    assert (stats.unreachable, stats.sent) == (2, 3)  # "other" and two admin notices
    r1, r2 = await row(session_pool, "r1"), await row(session_pool, "r2")
    assert r1.state is ReminderState.UNREACHABLE and "blocked by the user" in (r1.last_error or "")
    assert r2.state is ReminderState.UNREACHABLE  # not even tried
    assert [chat for _, chat in tg.attempts].count(100) == 1
    notices = {s.chat_id: s.text for s in tg.sent if s.chat_id in (900, 901)}
    assert set(notices) == {900, 901}
    assert "Әсел &lt;Б&gt;" in notices[900] and "хабарламаларды" in notices[900]
    assert "не получает" in notices[901]
    async with session_pool() as session:
        account = (await session.exec(select(Account).where(Account.chat_id == 100))).one()
    assert account.state is AccountState.BLOCKED
    refused_at = account.unreachable_since
    assert refused_at is not None and account.unreachable_notified
    assert timedelta(0) <= refused_at - fake_time.start < timedelta(seconds=1)
    keys = [r.dedup_key for r in await rows(session_pool) if r.kind == "unreachable_admin"]
    since = refused_at.astimezone(UTC).isoformat(timespec="seconds")
    assert keys == [
        f"unreachable:{teacher.id}:{since}|admin:{admin_kk.id}",
        f"unreachable:{teacher.id}:{since}|admin:{admin_kk.id + 1}",
    ]
    # Another reminder to the same person later: refused again, but admins are not told twice.
    fake_time.advance(3600)
    await put(session_pool, "r3", 100, person_id=teacher.id, at=fake_time.now())
    again = await outbox.drain()
    assert (again.unreachable, again.sent) == (1, 0)
    assert len([s for s in tg.sent if s.chat_id in (900, 901)]) == 2


async def test_bad_request_fails_the_row_and_never_logs_the_text(
    session_pool, make_outbox, tg, caplog
) -> None:
    await put(session_pool, "r", 100, text="Оқушы Secret Child туралы")
    tg.fail(100, CANT_PARSE)
    with caplog.at_level(logging.DEBUG, logger="bot.scheduler.outbox"):
        stats = await make_outbox().drain()
    assert (stats.failed, stats.sent, stats.retried) == (1, 0, 0)
    failed = await row(session_pool, "r")
    assert failed.state is ReminderState.FAILED
    assert failed.last_error == "Bad Request: can't parse entities: unsupported start tag"
    assert "can't parse entities" in caplog.text and f"reminder {failed.id}" in caplog.text
    assert "Secret Child" not in caplog.text


async def test_two_processes_draining_at_once_send_each_row_once(
    session_pool, second_pool, make_outbox, tg
) -> None:
    for n in range(30):
        await put(session_pool, f"r{n}", 1000 + n % 10)
    first = make_outbox(holder="process-1")
    second = make_outbox(second_pool, holder="process-2")
    a, b = await asyncio.gather(first.drain(), second.drain())
    assert a.sent + b.sent == 30
    assert [a.lease_busy, b.lease_busy].count(True) == 1
    assert sorted(s.text for s in tg.sent) == sorted(f"Reminder r{n}" for n in range(30))
    assert {r.state for r in await rows(session_pool)} == {ReminderState.SENT}


async def test_second_process_waits_for_the_lease_then_takes_over(
    session_pool, second_pool, make_outbox, tg, fake_time
) -> None:
    first = make_outbox(holder="process-1", lease_ttl_s=90)
    second = make_outbox(second_pool, holder="process-2", lease_ttl_s=90)
    await first.drain()  # takes the lease (nothing to send)
    await put(session_pool, "r", 100, at=fake_time.now())
    held = await second.drain()
    assert held.lease_busy and held.sent == 0 and tg.sent == []
    fake_time.advance(91)  # process 1 died: its lease runs out
    taken = await second.drain()
    assert not taken.lease_busy and taken.sent == 1
    async with session_pool() as session:
        lease = await session.get(Lease, "outbox")
    assert lease is not None and lease.holder == "process-2"
    await second.release_lease()
    assert not (await first.drain()).lease_busy


async def test_a_sender_whose_lease_ran_out_claims_nothing(
    session_pool, second_pool, make_outbox, tg, fake_time
) -> None:
    """A stalled process (its lease ran out, another took over) must not send a row it had
    already read: the claim itself checks the lease (the fence)."""
    first = make_outbox(holder="process-1", lease_ttl_s=6)
    second = make_outbox(second_pool, holder="process-2", lease_ttl_s=6)
    await put(session_pool, "r", 100)
    assert await first.lease.acquire()
    [row] = await first.store.fetch_due()
    fake_time.advance(7)  # process 1 stalls past its lease; process 2 takes over
    assert await second.lease.acquire()
    assert not await first.store.claim(row) and not first.lease.held
    assert (await second.drain()).sent == 1 and len(tg.sent) == 1


@dataclass
class SlowSession(ScriptedSession):
    """Telegram answers only when `gate` is set (a slow network); `entered` when asked."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> Any:
        self.entered.set()
        await self.gate.wait()
        return await super().make_request(bot, method, timeout)


class SteppedTime(FakeTime):
    """Fake time that moves only when the test says: `beat` moves it on, wakes the sleepers
    whose time has come and waits until each sleeps again (has done its work)."""

    def __init__(self) -> None:
        super().__init__()
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self.slept_count = 0
        self._slept = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.t + max(seconds, 0.0), future))
        self.slept_count += 1
        self._slept.set()
        try:
            await future
        finally:
            self.sleepers = [s for s in self.sleepers if s[1] is not future]

    async def beat(self, seconds: float) -> None:
        self.t += seconds
        due = [future for deadline, future in self.sleepers if deadline <= self.t]
        before = self.slept_count
        for future in due:
            future.set_result(None)
        while self.slept_count < before + len(due):
            self._slept.clear()
            await self._slept.wait()


async def test_a_live_sender_keeps_its_lease_through_a_slow_send(
    session_pool, second_pool
) -> None:
    """The heartbeat renews the lease while one HTTP call lasts five times the lease."""
    time = SteppedTime()
    slow = SlowSession(time=time)
    options: dict[str, Any] = {
        "sleep": time.sleep,
        "monotonic": time.monotonic,
        "lease_ttl_s": 6,
        "rate_per_s": 1000,
        "per_chat_interval_s": 0,
    }
    first = Outbox(Bot(TOKEN, session=slow), session_pool, time, holder="p1", **options)
    second = Outbox(Bot(TOKEN, session=slow), second_pool, time, holder="p2", **options)
    await put(session_pool, "r", 100)
    loop = asyncio.create_task(first.run_forever())
    await asyncio.wait_for(slow.entered.wait(), 5)  # the send is in flight, and stays there
    for _ in range(15):  # 30 s
        await asyncio.wait_for(time.beat(2), 5)
    assert time.t >= 30
    assert (await second.drain()).lease_busy  # process 2 cannot take over a live sender
    slow.gate.set()
    await asyncio.wait_for(slow.delivered.wait(), 5)
    first.stop()
    await asyncio.wait_for(loop, 5)
    assert [sent.chat_id for sent in slow.sent] == [100]
    assert (await row(session_pool, "r")).state == ReminderState.SENT


async def test_row_left_sending_by_a_crash_is_resent_late(session_pool, make_outbox, tg) -> None:
    await put(session_pool, "stuck", 100)
    await put(session_pool, "fine", 200)
    async with session_pool() as session:
        stuck = (await session.exec(select(Reminder).where(Reminder.dedup_key == "stuck"))).one()
        stuck.state = ReminderState.SENDING  # claimed, then kill -9 before the answer was stored
        session.add(stuck)
        await session.commit()
    stats = await make_outbox().drain()
    assert (stats.recovered, stats.sent) == (1, 2)
    resent = await row(session_pool, "stuck")
    assert resent.state is ReminderState.SENT and resent.late and resent.attempts == 1
    assert not (await row(session_pool, "fine")).late


async def test_pacing_per_chat_and_global(session_pool, make_outbox, tg) -> None:
    # Three rows each for chats 1..3, one row each for chats 10..29, all due now.
    for n in range(3):
        for chat in (1, 2, 3):
            await put(session_pool, f"c{chat}-{n}", chat)
    for chat in range(10, 30):
        await put(session_pool, f"c{chat}", chat)
    stats = await make_outbox(rate_per_s=5, per_chat_interval_s=1.0).drain()
    assert stats.sent == 29 and stats.rate_limited == 0
    times = [s.at for s in tg.sent]
    assert times == sorted(times)
    assert all(b - a >= 0.2 - 1e-9 for a, b in itertools.pairwise(times))
    for second in range(int(times[-1]) + 1):
        assert sum(second <= t < second + 1 - 1e-9 for t in times) <= 5
    for chat in (1, 2, 3):
        mine = [s for s in tg.sent if s.chat_id == chat]
        assert [s.text for s in mine] == [f"Reminder c{chat}-{n}" for n in range(3)]
        assert all(b.at - a.at >= 1.0 - 1e-9 for a, b in itertools.pairwise(mine))
    # Other chats were not held up behind the busy ones: 29 messages in about 29 / 5 s.
    assert times[-1] == pytest.approx(28 * 0.2)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [(BAD_GATEWAY, [0.0, 0.2, 0.2]), (TelegramNetworkError, [0.0, 0.2, 0.4])],
    ids=["5xx-refunded", "dropped-connection-counted"],
)
async def test_a_5xx_gives_its_slot_back_but_a_dropped_connection_does_not(
    session_pool, make_outbox, tg, failure, expected
) -> None:
    """Telegram delivered nothing on a 5xx, so it does not count toward the pace (the third
    send takes its slot); a dropped connection may have delivered, so it counts."""
    for chat in (1, 2, 3):
        await put(session_pool, f"r{chat}", chat)
    tg.fail(1, failure)
    await make_outbox(rate_per_s=5, per_chat_interval_s=0).drain()
    assert [at for at, _chat in tg.attempts] == pytest.approx(expected)


async def test_limit_caps_rows_taken(session_pool, make_outbox, tg) -> None:
    for chat in range(5):
        await put(session_pool, f"r{chat}", chat)
    outbox = make_outbox()
    assert (await outbox.drain(limit=2)).sent == 2
    assert (await outbox.drain()).sent == 3


# --- long texts ---------------------------------------------------------------------------------


async def test_long_text_is_sent_as_ordered_parts_markup_on_the_last(
    session_pool, make_outbox, tg
) -> None:
    paragraph = "<b>Жоспар</b> " + "сөз " * 300
    text = "\n\n".join(paragraph.strip() for _ in range(8))  # about 9,700 characters
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]
    )
    assert await put(session_pool, "long", 100, text=text, reply_markup=markup)
    assert not await put(session_pool, "long", 100, text=text, reply_markup=markup)
    stored = await rows(session_pool)
    assert [r.dedup_key for r in stored] == ["long", "long#2/3", "long#3/3"]
    assert [r.reply_markup is not None for r in stored] == [False, False, True]
    stats = await make_outbox().drain()
    assert stats.sent == 3
    assert [s.text for s in tg.sent] == [r.text for r in stored]
    assert [s.reply_markup is not None for s in tg.sent] == [False, False, True]


async def test_cancel_takes_back_every_unsent_part(session_pool, make_outbox, tg) -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    await put(session_pool, "long", 100, text=text)
    await put(session_pool, "long-other", 100)
    async with session_pool() as session:
        assert await cancel(session, "long") == 3
        await session.commit()
    assert (await make_outbox().drain()).sent == 1
    assert [s.text for s in tg.sent] == ["Reminder long-other"]


async def test_crash_between_parts_does_not_resend_earlier_parts(
    session_pool, make_outbox, tg
) -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    await put(session_pool, "long", 100, text=text)
    async with session_pool() as session:
        parts = list((await session.exec(select(Reminder).order_by(col(Reminder.id)))).all())
        assert len(parts) == 3
        parts[0].state, parts[0].telegram_message_id = ReminderState.SENT, 77
        parts[1].state = ReminderState.SENDING  # the crash came while sending part 2
        session.add_all(parts[:2])
        await session.commit()
    stats = await make_outbox().drain()
    assert (stats.recovered, stats.sent) == (1, 2)
    assert [s.text for s in tg.sent] == [parts[1].text, parts[2].text]


async def test_a_part_put_back_holds_the_later_parts(
    session_pool, make_outbox, tg, fake_time
) -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    await put(session_pool, "long", 100, text=text)
    tg.fail(100, BAD_GATEWAY)
    outbox = make_outbox()
    stats = await outbox.drain()
    assert (stats.sent, stats.retried) == (0, 1)
    fake_time.advance(5)
    assert (await outbox.drain()).sent == 3
    assert [s.text for s in tg.sent] == [r.text for r in await rows(session_pool)]


# --- one message per moment: the parts it carries (state merged) -------------------------------


async def put_moment(pool: async_sessionmaker[AsyncSession], chat_id: int, person_id: int) -> None:
    """Three things due to one person at one moment (bot.scheduler.moments): two tasks and a
    summary, planned as three rows in state merged and one message that carries them."""
    from bot.scheduler import moments

    def part(key: str, section: str, occ: str | None) -> moments.Part:
        return moments.Part(
            key=key, kind="day_before", section=section, person_id=person_id, chat_id=chat_id,
            lang="kk", late=False, occurrence_key=occ, text=f"alone {key}", markup=None,
            line=moments.plain_line(f"line {key}"),
            items=((occ, "day_before"),) if occ else (), doable=occ is not None,
        )  # fmt: skip

    parts = [part("t1", "task", "1.1@2026-11-24"), part("t2", "task", "1.2@2026-11-24"),
             part("sum", "escalation", None)]  # fmt: skip
    async with pool() as session:
        assert await moments.enqueue_moment(session, parts, START) == 1
        assert await moments.enqueue_moment(session, parts, START) == 0  # planned once
        await session.commit()


async def test_a_moments_parts_are_never_sent_on_their_own(session_pool, make_outbox, tg) -> None:
    person = await add_person(session_pool, "t1", "Әсел", 100)
    assert person.id is not None
    await put_moment(session_pool, 100, person.id)
    stats = await make_outbox().drain()
    assert stats.sent == 1 and len(tg.sent) == 1
    assert "line t1" in tg.sent[0].text and "line sum" in tg.sent[0].text
    states = {r.dedup_key: r.state for r in await rows(session_pool)}
    assert states == {
        "t1": ReminderState.MERGED, "t2": ReminderState.MERGED, "sum": ReminderState.MERGED,
        "moment:sum": ReminderState.SENT,
    }  # fmt: skip
    # A crash while sending the message: the message goes again (late), never its parts.
    async with session_pool() as session:
        carrier = (
            await session.exec(select(Reminder).where(Reminder.dedup_key == "moment:sum"))
        ).one()
        carrier.state = ReminderState.SENDING
        session.add(carrier)
        await session.commit()
    again = await make_outbox().drain()
    assert (again.recovered, again.sent) == (1, 1) and len(tg.sent) == 2
    assert {r.state for r in await rows(session_pool) if r.dedup_key != "moment:sum"} == {
        ReminderState.MERGED
    }


async def test_a_moment_that_cannot_be_delivered_takes_its_parts_along(
    session_pool, make_outbox, tg
) -> None:
    person = await add_person(session_pool, "t1", "Әсел", 100)
    assert person.id is not None
    await put_moment(session_pool, 100, person.id)
    await put(session_pool, "elsewhere", 200)
    tg.fail(100, BLOCKED)
    stats = await make_outbox().drain()
    assert stats.unreachable == 1
    found = {r.dedup_key: r for r in await rows(session_pool)}
    for key in ("t1", "t2", "sum", "moment:sum"):  # nothing of it reads as delivered or merged
        assert found[key].state is ReminderState.UNREACHABLE, key
    assert "carried by reminder" in (found["t1"].last_error or "")
    assert found["elsewhere"].state is ReminderState.SENT


# --- the production loop ------------------------------------------------------------------------


async def test_run_forever_sends_on_wake_without_polling(session_pool, tg) -> None:
    outbox = Outbox(
        Bot(TOKEN, session=tg),
        session_pool,
        tg.time,
        rate_per_s=1000,
        per_chat_interval_s=0,
        idle_poll_s=3600,
        holder="loop",
    )
    drains = 0
    drained = asyncio.Event()
    real_drain = outbox.drain

    async def counting_drain(limit: int | None = None) -> DrainStats:
        nonlocal drains
        drains += 1
        try:
            return await real_drain(limit)
        finally:
            drained.set()

    outbox.drain = counting_drain  # type: ignore[method-assign]
    loop = asyncio.create_task(outbox.run_forever())
    await asyncio.wait_for(drained.wait(), 2)  # the first drain, at start, found nothing
    for _ in range(100):  # many turns of the event loop: a polling loop would drain again
        await asyncio.sleep(0)
    assert drains == 1  # idle: waiting, not polling
    await put(session_pool, "r", 100)
    outbox.wake()
    await asyncio.wait_for(tg.delivered.wait(), 2)
    outbox.stop()
    await asyncio.wait_for(loop, 2)
    assert drains == 2
    async with session_pool() as session:
        assert await session.get(Lease, "outbox") is None  # released on the way out


# --- against the strict fake Telegram server (its flood limits run on the same fake clock) -----


@pytest.fixture
async def fake_server(fake_time: FakeTime) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=fake_time.monotonic) as fake:
        fake.rate_limits.configure(enabled=True, strict=True)  # every 429 is a violation
        yield fake
    unexpected = fake.unexpected_violations()
    assert not unexpected, format_violations(unexpected, fake.transcript())


@pytest.fixture
async def server_outbox(
    fake_server: FakeTelegram, session_pool, fake_time: FakeTime
) -> AsyncIterator[Outbox]:
    bot = fake_server.make_bot()
    try:
        yield Outbox(
            bot,
            session_pool,
            fake_time,
            sleep=fake_time.sleep,
            monotonic=fake_time.monotonic,
            holder="server-test",
        )
    finally:
        await bot.session.close()


def staff(fake: FakeTelegram, n: int) -> list[FakeUser]:
    return [fake.user(id=10_000 + k, started=True) for k in range(n)]


async def test_fanout_within_telegram_limits_reaches_everyone_once(
    fake_server, server_outbox, session_pool, fake_time
) -> None:
    users = staff(fake_server, 60)
    for user in users:
        for kind in ("week_before", "day_before"):
            await put(session_pool, f"council-4|{user.id}|{kind}", user.id, text=kind)
    stats = await server_outbox.drain()
    assert (stats.sent, stats.rate_limited, stats.retried) == (120, 0, 0)
    for user in users:
        assert [m.text for m in user.bot_messages] == ["week_before", "day_before"]
    # 120 messages at 28/s on the fake clock, plus at most the last chat's 1 s interval.
    assert 119 / 28 <= stats.duration <= 119 / 28 + 1.0


async def test_server_429_pauses_and_everything_arrives_once(
    fake_server, server_outbox, session_pool
) -> None:
    fake_server.rate_limits.configure(enabled=True, strict=False, global_rate=10, global_burst=5)
    users = staff(fake_server, 20)
    for user in users:
        await put(session_pool, f"r|{user.id}", user.id)
    stats = await server_outbox.drain()
    assert stats.sent == 20 and stats.rate_limited > 0 and stats.failed == 0
    assert all(len(user.bot_messages) == 1 for user in users)


async def test_server_errors_and_dropped_connections_are_retried(
    fake_server, server_outbox, session_pool, fake_time
) -> None:
    users = staff(fake_server, 5)
    for user in users:
        await put(session_pool, f"r|{user.id}", user.id)
    fake_server.faults.fail_next(2, status=502)
    fake_server.faults.drop_next(1)  # the request never reaches the chat
    stats = await server_outbox.drain()
    assert (stats.sent, stats.retried) == (2, 3)
    fake_time.advance(5)
    assert (await server_outbox.drain()).sent == 3
    assert all(len(user.bot_messages) == 1 for user in users)


async def test_a_lost_answer_means_a_resend(
    fake_server, server_outbox, session_pool, fake_time
) -> None:
    """Documented limit: the Bot API has no idempotency key; a send whose answer is lost is
    sent again (at least once rather than maybe never)."""
    [user] = staff(fake_server, 1)
    await put(session_pool, "r", user.id)
    fake_server.faults.drop_next(1, after=True)
    assert (await server_outbox.drain()).retried == 1
    fake_time.advance(5)
    assert (await server_outbox.drain()).sent == 1
    assert len(user.bot_messages) == 2


async def test_blocked_user_on_the_server_is_reported_to_admins(
    fake_server, server_outbox, session_pool
) -> None:
    user, admin = staff(fake_server, 2)
    teacher = await add_person(session_pool, "t", "Ержан", user.id)
    await add_person(session_pool, "a", "Admin", admin.id, roles=["admin"])
    user.block()
    await put(session_pool, "r", user.id, person_id=teacher.id)
    stats = await server_outbox.drain()
    assert (stats.unreachable, stats.sent) == (1, 1)
    assert user.bot_messages == []
    [notice] = admin.bot_messages
    assert "Ержан" in (notice.text or "")


async def test_long_text_goes_out_in_parts_the_server_accepts(
    fake_server, server_outbox, session_pool
) -> None:
    [user] = staff(fake_server, 1)
    text = "\n\n".join(
        f"<b>{n}.</b> <i>Жоспар &amp; есеп</i> " + "мәтін " * 120 for n in range(1, 13)
    )
    await put(session_pool, "long", user.id, text=text)
    stats = await server_outbox.drain()
    assert stats.sent == len(user.bot_messages) == 3
    received = re.sub(r"\s+", "", "".join(m.text or "" for m in user.bot_messages))
    assert received == re.sub(r"\s+", "", plain(text)[0])


# --- split_message ------------------------------------------------------------------------------


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain(html_text: str) -> tuple[str, bool]:
    parser = _Balance()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.text), parser.ok and not parser.stack


def check_split(text: str, limit: int) -> list[str]:
    parts = split_message(text, limit)
    for part in parts:
        assert telegram_length(part) <= limit, part
        _, balanced = plain(part)
        assert balanced, part
        assert part.strip()
    whole, _ = plain(text)
    # Nothing lost or reordered: only the whitespace at the cuts may differ.
    assert re.sub(r"\s+", "", "".join(plain(p)[0] for p in parts)) == re.sub(r"\s+", "", whole)
    return parts


def test_split_short_text_is_unchanged() -> None:
    text = "<b>Кеңес</b> &amp; жиналыс\n\n"
    assert split_message(text) == [text]


def test_split_measures_after_entity_parsing() -> None:
    text = "&lt;" * 4096  # 16,384 characters of HTML, 4,096 after parsing
    assert split_message(text) == [text]
    parts = check_split("&amp;" * 10, 4)
    assert parts == ["&amp;" * 4, "&amp;" * 4, "&amp;" * 2]  # never inside an entity
    assert split_message("😀" * 3, 4) == ["😀😀", "😀"]  # UTF-16, as Telegram counts


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    paragraphs = check_split("aaaa bbbb\ncccc\n\ndddd eeee", 20)
    assert paragraphs == ["aaaa bbbb\ncccc", "dddd eeee"]
    lines = check_split("aaaa bbbb cc\ndddd eeee ffff", 20)
    assert lines == ["aaaa bbbb cc", "dddd eeee ffff"]
    # A break that would leave a part less than half full loses to a later, lesser one.
    early = check_split("aaaa\n\nbbbb cccc dddd eeee", 20)
    assert early == ["aaaa\n\nbbbb cccc dddd", "eeee"]
    words = check_split("aaaa bbbb cccc dddd eeee", 12)
    assert words == ["aaaa bbbb", "cccc dddd", "eeee"]
    assert check_split("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_split_reopens_formatting_that_spans_a_cut() -> None:
    text = '<b>bold <a href="https://e.kz/?a=1&amp;b=2">link one two</a> tail</b> end'
    parts = check_split(text, 10)
    assert parts == [
        '<b>bold <a href="https://e.kz/?a=1&amp;b=2">link</a></b>',
        '<b><a href="https://e.kz/?a=1&amp;b=2">one two</a></b>',
        "<b>tail</b> end",
    ]


def test_split_large_mixed_text_keeps_everything() -> None:
    paragraph = (
        "<b>3.4.3</b> Оқушы <i>Нұрлан &amp; Ко</i> туралы: <code>#12</code> "
        + "ескерту сабаққа келмеді " * 40
        + "<blockquote>дәйексөз "
        + "мәтін " * 30
        + "</blockquote>"
    )
    text = "\n\n".join([paragraph] * 12) + "\n" + "<pre>" + "код\n" * 400 + "</pre>"
    parts = check_split(text, 4096)
    assert len(parts) >= 3
    assert all(telegram_length(p) > 2048 for p in parts[:-1])  # cuts are not wasteful
