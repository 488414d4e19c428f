"""Factories for the production object graph. Tests build exactly these, pointed at a fake server.

Nothing here runs at import time: `main()` (or a test) calls them.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import TELEGRAM_API_URL, Settings
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.retry_after import RetryAfterMiddleware, Sleep


def create_bot(
    settings: Settings, session: BaseSession | None = None, *, retry_sleep: Sleep | None = None
) -> Bot:
    """The bot, its session honouring Telegram's `retry_after` for every request outside the
    outbox (`bot.retry_after`; `retry_sleep` is injected by tests)."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set: put it in .env (see .env.example)")
    if session is None:
        session = AiohttpSession()
        if settings.telegram_api_url.rstrip("/") != TELEGRAM_API_URL:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/"))
    from bot.protect import ProtectRequests

    session.middleware(ProtectRequests())  # notes, cards, the register: protect_content
    session.middleware(RetryAfterMiddleware(sleep=retry_sleep))
    from bot.response_types import KeepResponseTypes

    session.middleware(KeepResponseTypes())  # pydantic builds each response class once
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_dispatcher(
    *,
    settings: Settings,
    session_pool: async_sessionmaker[AsyncSession],
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    storage: BaseStorage | None = None,
    updates_at_once: int | None = None,
    replicas: int | None = None,
    **extra: Any,
) -> Dispatcher:
    from bot.access_cache import REPLICA_TTL_S, TTL_S, AccessCache
    from bot.fsm_storage import DbStorage
    from bot.handlers import get_routers
    from bot.lifecycle import (
        finish_updates,
        on_shutdown,
        on_startup,
        start_outbox,
        start_scheduler,
        stop_outbox,
        stop_scheduler,
    )
    from bot.middlewares import (
        AccessMiddleware,
        CommandEndsDialogue,
        DbSessionMiddleware,
        InFlightUpdates,
    )

    if "attachment_store" not in extra:  # files attached to notes, kept by the school
        from bot.config import attachments_folder
        from bot.services.attachments import AttachmentStore

        extra["attachment_store"] = AttachmentStore(attachments_folder(settings))
    from bot.strangers import LOOKUP_TTL, REPLICA_LOOKUP_TTL, StrangerBook

    # Several replicas receiving one bot's updates (WEBHOOK_REPLICAS) share one database and
    # see one another's writes only there: every in-memory cache below is short or off.
    shared = (settings.webhook_replicas if replicas is None else replicas) > 1
    dp = Dispatcher(
        # Dialogues survive a restart; their read cache only when no other replica writes.
        storage=storage or DbStorage(session_pool, clock, cache=not shared),
        disable_fsm=True,  # registered below, after the front door: strangers never reach it
        settings=settings,
        session_pool=session_pool,
        plan=plan,
        calendar=calendar,
        clock=clock,
        **extra,
    )
    # At most this many updates at a time (default: `UPDATES_AT_ONCE`, below the database pool).
    in_flight = InFlightUpdates() if updates_at_once is None else InFlightUpdates(updates_at_once)
    dp["in_flight"] = in_flight
    dp.update.outer_middleware(in_flight)  # first: a stop waits for what is in flight
    dp.update.outer_middleware(DbSessionMiddleware(session_pool))
    # The caches of this school's database only (many schools in one process).
    bind = session_pool.kw.get("bind")
    strangers = StrangerBook(lookup_ttl=REPLICA_LOOKUP_TTL if shared else LOOKUP_TTL, bind=bind)
    dp["strangers"] = strangers
    cache = AccessCache(REPLICA_TTL_S if shared else TTL_S, bind=bind)
    dp.update.outer_middleware(AccessMiddleware(cache, strangers=strangers))
    dp.update.outer_middleware(dp.fsm)  # dialogue state (and its lock) for those let in
    dp.message.outer_middleware(CommandEndsDialogue())
    dp.include_routers(*get_routers())
    dp.startup.register(on_startup)
    dp.shutdown.register(finish_updates)  # first: answers still go out, then the rest stops
    dp.shutdown.register(on_shutdown)
    dp.startup.register(start_outbox)
    dp.startup.register(start_scheduler)
    dp.shutdown.register(stop_scheduler)
    dp.shutdown.register(stop_outbox)
    return dp
