"""What happens when the dispatcher starts and stops."""

from __future__ import annotations

import gc
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands import refresh_menu, set_default_commands
from bot.core.plan import Plan
from bot.services.staff import sync_people
from db.models import Account, AccountState, Person

log = logging.getLogger(__name__)


async def on_startup(bot: Bot, session_pool: async_sessionmaker[AsyncSession], plan: Plan) -> None:
    async with session_pool() as session:
        added = await sync_people(session, plan)
        if added:
            log.info("added %d people from the plan", added)
        privileged = (
            await session.exec(
                select(Account, Person)
                .join(Person, col(Person.id) == col(Account.person_id))
                .where(col(Account.state) == AccountState.JOINED)
            )
        ).all()
    try:
        await set_default_commands(bot)
    except TelegramAPIError as exc:
        log.warning("could not set the commands menu: %s", exc)
        return
    for account, person in privileged:  # everyone's own menu, in their language
        await refresh_menu(bot, account.chat_id, str(account.language), person.roles)


UPDATE_GRACE_S = 10.0


async def finish_updates(dispatcher: Dispatcher) -> None:
    """Let the updates being handled finish before the bot's session closes (see
    `bot.middlewares.InFlightUpdates`)."""
    in_flight = dispatcher.workflow_data.get("in_flight")
    if in_flight is not None:
        await in_flight.drain(UPDATE_GRACE_S)
    strangers = dispatcher.workflow_data.get("strangers")
    clock = dispatcher.workflow_data.get("clock")
    if strangers is not None and clock is not None:
        strangers.report(clock.now(), force=True)  # the last minute's counts, if any


async def on_shutdown() -> None:
    log.info("stopped")


async def start_scheduler(dispatcher: Dispatcher, **data: Any) -> None:
    """The reminder clock starts with the dispatcher (see `bot.scheduler.jobs`)."""
    from bot.scheduler import jobs

    await jobs.start(dispatcher, **data)
    scheduler = dispatcher.workflow_data.get("scheduler")
    # The nightly backup rides on the same APScheduler, in the process that receives updates
    # (a `python -m bot send` replica beside it would copy the same file at the same time).
    if scheduler is not None and data.get("nightly_backup", True):
        from bot.backup import schedule_nightly_backup
        from bot.config import attachments_folder
        from bot.config_check import decode_backup_key

        calendar = data["calendar"]
        settings = data["settings"]
        key = settings.backup_key.get_secret_value() if settings.backup_key else None
        schedule_nightly_backup(
            scheduler,
            settings.database_url,
            calendar.tz,
            backup_dir=settings.backup_dir,
            keep=settings.backup_keep,
            attachments_dir=attachments_folder(settings),
            key=decode_backup_key(key) if key else None,
        )
        from bot.services.retention import schedule_nightly_retention

        schedule_nightly_retention(  # closed cases anonymised after RETENTION_YEARS
            scheduler,
            data["session_pool"],
            data["clock"],
            calendar.tz,
            settings.retention_years,
            data.get("attachment_store"),
        )


async def start_outbox(dispatcher: Dispatcher, bot: Bot, **data: Any) -> None:
    """The sender of the outbox runs beside polling; the tick wakes it (`bot.scheduler.jobs`)."""
    import asyncio

    from bot.scheduler.outbox import Outbox

    if not data.get("outbox_enabled", True):
        return
    settings = data["settings"]
    outbox = Outbox(
        bot,
        data["session_pool"],
        data["clock"],
        rate_per_s=settings.outbox_rate_per_s,
        lease_ttl_s=settings.outbox_lease_ttl_s,
    )
    dispatcher["outbox"] = outbox
    dispatcher["outbox_task"] = asyncio.create_task(outbox.run_forever(), name="outbox")


async def stop_outbox(dispatcher: Dispatcher) -> None:
    outbox = dispatcher.workflow_data.pop("outbox", None)
    task = dispatcher.workflow_data.pop("outbox_task", None)
    if outbox is None or task is None:
        return
    outbox.stop()
    await task


async def stop_scheduler(dispatcher: Dispatcher) -> None:
    from bot.scheduler import jobs

    await jobs.stop(dispatcher)


async def settle_heap() -> None:
    """The last startup hook of `python -m bot run` (polling): what start-up built (the plan,
    routers, texts, the ORM's mappers: most of the process's objects) is left out of the
    garbage collector's passes, which otherwise walk it again and again while updates wait
    (as `bot.serve.host` does for many schools). Not for tests: they build many bots in one
    process, and what is frozen is never collected."""
    gc.collect()
    gc.freeze()
