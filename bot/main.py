"""Start the bot: settings, database (migrated), plan, calendar, bot, dispatcher, polling."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import replace
from datetime import time
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from bot.config import CALENDAR_DIR, Settings


def run(*, receive_updates: bool = True) -> int:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiosqlite logs every statement's parameters at DEBUG, SQLAlchemy's engine at INFO:
    # children's names and notes. Never let them into a log, whatever LOG_LEVEL says.
    for noisy in ("aiosqlite", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if settings.bot_token is None:
        print(
            "BOT_TOKEN is not set: copy .env.example to .env and put the token there.",
            file=sys.stderr,
        )
        return 1
    try:
        return asyncio.run(amain(settings, receive_updates=receive_updates))
    except KeyboardInterrupt:
        return 0


async def amain(settings: Settings, *, receive_updates: bool = True) -> int:
    from bot.core.calendar import CalendarError, find_calendar, load_calendar
    from bot.core.plan import PlanError, load_plan
    from bot.core.schedule import DEFAULT_POLICY
    from bot.factory import create_bot, create_dispatcher
    from db.engine import create_engine, create_session_pool, upgrade_database

    tz = ZoneInfo(settings.timezone)
    clock = SystemClock(tz)
    try:
        plan = load_plan(settings.plan_path)
        calendar_path = settings.calendar_path or find_calendar(CALENDAR_DIR, clock.now().date())
        calendar = load_calendar(calendar_path)
        policy = replace(
            DEFAULT_POLICY,
            quiet_start=time(settings.quiet_start_hour),
            quiet_end=time(settings.quiet_end_hour),
        )
    except (PlanError, CalendarError, ValueError) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    await asyncio.to_thread(upgrade_database, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        bot = create_bot(settings)
        dp = create_dispatcher(
            settings=settings,
            session_pool=create_session_pool(engine),
            plan=plan,
            calendar=calendar,
            clock=clock,
            reminder_policy=policy,
            nightly_backup=receive_updates,
        )
        if receive_updates:
            await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())
        else:  # python -m bot send
            from bot.cli.send import send_only

            await send_only(dp, bot)
    finally:
        await engine.dispose()
    return 0
