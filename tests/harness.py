"""The end-to-end harness: the production Dispatcher, real polling over HTTP, a strict fake
Telegram server, a real migrated database (SQLite, or PostgreSQL: tests/databases.py) and a
hand-set clock.

    async def test_x(kenes):
        teacher = await kenes.join("amangeldi-sm", "Сания")
        await teacher.command("/help")
        reply = await teacher.next_message()
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import ManualClock
from bot.config import CALENDAR_DIR, DEFAULT_PLAN, Settings
from bot.core.calendar import SchoolCalendar, load_calendar
from bot.core.plan import Plan, load_plan
from bot.factory import create_bot, create_dispatcher
from bot.retry_after import Sleep
from bot.services import staff
from db.engine import create_engine, create_session_pool
from db.models import Person
from fakegram import FakeTelegram
from fakegram.chats import FakeMessage, FakeUser
from tests.databases import data_folder


@cache
def seed_plan() -> Plan:
    return load_plan(DEFAULT_PLAN)


@cache
def seed_calendar() -> SchoolCalendar:
    return load_calendar(CALENDAR_DIR / "2026-2027.json")


@dataclass
class Kenes:
    """One running Kenes: bot, dispatcher and database, with helpers that read like the work."""

    fake: FakeTelegram
    settings: Settings
    clock: ManualClock
    engine: AsyncEngine
    pool: async_sessionmaker[AsyncSession]
    plan: Plan
    calendar: SchoolCalendar
    bot: Bot = field(init=False)
    dp: Dispatcher = field(init=False)
    extra: dict[str, Any] = field(default_factory=dict)
    run_mode: str = "polling"  # or "webhook": updates POSTed by the fake (tests/webhooks.py)
    retry_sleep: Sleep | None = None  # the 429 middleware's wait (bot.retry_after)

    def build(self) -> None:
        # The production factory with the fake server's session (it skips aiohttp's 250 ms
        # TLS grace on close); TELEGRAM_API_URL itself is covered by test_factory.py.
        self.bot = create_bot(
            self.settings, session=self.fake.make_bot().session, retry_sleep=self.retry_sleep
        )
        self.dp = create_dispatcher(
            settings=self.settings,
            session_pool=self.pool,
            plan=self.plan,
            calendar=self.calendar,
            clock=self.clock,
            **self.extra,
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        if self.run_mode == "webhook":
            from tests.webhooks import webhook_running

            async with webhook_running(self.fake, self.dp, self.bot):
                yield
            return
        async with self.fake.polling(self.dp, self.bot, polling_timeout=1):
            yield

    async def person(self, key: str) -> Person:
        async with self.pool() as session:
            person = (await session.exec(select(Person).where(Person.key == key))).first()
            assert person is not None, f"no person {key!r} in the database"
            return person

    async def invite_token(self, key: str) -> str:
        async with self.pool() as session:
            person = (await session.exec(select(Person).where(Person.key == key))).one()
            return await staff.create_invite(session, person, by=None, now=self.clock.now())

    async def join(
        self, key: str, first_name: str = "Staff", *, language_code: str | None = "kk"
    ) -> FakeUser:
        """A Telegram user opens an invite for plan person `key`; returns them, inbox read."""
        user = self.fake.user(first_name=first_name, language_code=language_code)
        token = await self.invite_token(key)
        await user.command("/start", token)
        await user.next_message()
        return user

    async def admin(self, first_name: str = "Admin", *, language_code: str = "kk") -> FakeUser:
        """The ADMIN_IDS user, known after their first message."""
        user = self.fake.user(
            id=self.settings.admin_ids[0], first_name=first_name, language_code=language_code
        )
        await user.command("/help")
        await user.next_message()
        return user


ADMIN_ID = 4242


@asynccontextmanager
async def kenes_app(
    fake: FakeTelegram,
    db_url: str,
    clock: ManualClock,
    *,
    token: str | None = None,
    run_mode: str = "polling",
    retry_sleep: Sleep | None = None,
    **extra: Any,
) -> AsyncIterator[Kenes]:
    """The bot on `db_url`; `token`: another bot of the fake server (registered if new), e.g.
    the same school moved to a new bot; `run_mode="webhook"`: updates come by webhook."""
    if token is not None and token not in fake.bots:
        fake.add_bot(token, username=f"kenes_{token.split(':')[0]}_bot")
    folders = {}
    data = data_folder(db_url)  # the test's folder (beside the database file on SQLite)
    if data is not None:
        folders = {
            "attachments_dir": data / "attachments",
            "backup_dir": data / "backups",
            "plans_dir": data / "plans",
        }
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=token or fake.token,
        telegram_api_url=fake.base_url,
        admin_ids=[ADMIN_ID],
        database_url=db_url,
        **folders,
    )
    # Tests drive time: the scheduler's own minute ticks stay off unless a test asks for them.
    extra.setdefault("scheduler_enabled", False)
    extra.setdefault("outbox_enabled", False)  # tests drain the outbox by hand
    engine = create_engine(db_url)
    app = Kenes(
        fake=fake,
        settings=settings,
        clock=clock,
        engine=engine,
        pool=create_session_pool(engine),
        plan=seed_plan(),
        calendar=seed_calendar(),
        extra=extra,
        run_mode=run_mode,
        retry_sleep=retry_sleep,
    )
    app.build()
    try:
        async with app.running():
            yield app
    finally:
        await engine.dispose()


async def eventually(
    fake: FakeTelegram, check: Callable[[], Awaitable[bool]], rounds: int = 20
) -> None:
    """Wait until `check()` holds, re-checking each time the bot polls again (no sleeps)."""
    for _ in range(rounds):
        if await check():
            return
        await fake.wait_for_call("getUpdates", since=len(fake.calls))
    raise AssertionError(f"condition not met after {rounds} polls")


async def tap(user: FakeUser, label: str) -> str | None:
    """Tap an inline button and wait for the bot's answer (it comes after the new screen)."""
    await user.tap(label)
    return (await user.next_callback_answer()).text


async def settled(kenes: Kenes, rounds: int = 20) -> None:
    """Wait until the bot has fetched every update sent so far and finished handling them
    (nothing in flight): after this, "the bot sent nothing" is a fact, not a timeout."""
    state = kenes.fake.bot(kenes.settings.bot_token.get_secret_value())  # type: ignore[union-attr]
    in_flight = kenes.dp["in_flight"]

    async def done() -> bool:
        return not state.updates and not in_flight.tasks  # every update confirmed and done

    await eventually(kenes.fake, done, rounds)


async def tick_and_send(kenes: Kenes, now: datetime) -> int:
    """Move the clock to `now`, tick, send what is due (the outbox drained by hand, no
    pacing); returns the messages the tick enqueued."""
    from bot.scheduler.jobs import AppContext, tick
    from bot.scheduler.outbox import Outbox

    kenes.clock.set(now)
    ctx = kenes.dp.workflow_data["app_context"]
    assert isinstance(ctx, AppContext)
    result = await tick(ctx, now)
    await Outbox(
        kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0, holder="t"
    ).drain()
    return result.enqueued


def unread(user: FakeUser) -> list[FakeMessage]:
    """The bot's messages `user` has not read yet (now read)."""
    chat = user.chat
    new = chat.bot_messages[chat.read_cursor :]
    chat.read_cursor = len(chat.bot_messages)
    return new
