"""Start the bot: settings (all checked first), logging, database (migrated), plan, calendar, bot,
dispatcher, polling."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import replace
from datetime import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from bot.config_check import (
    Checked,
    Problem,
    check_settings,
    example_line,
    mask_token,
    print_problems,
)

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.types import User

log = logging.getLogger(__name__)

DEV_LOG_SQL_WARNING = (
    "DEV_LOG_SQL=1: SQL statements are logged WITH their parameters (children's names, note "
    "texts). For a developer's machine only: never on a school's server."
)


def run(*, receive_updates: bool = True) -> int:
    """`python -m bot run`; `receive_updates=False` is `python -m bot send` (reminders only)."""
    # Every setting is checked before anything else: one line per problem, exit 1, no
    # traceback, no network call.
    checked = check_settings()
    if not checked.ok:
        print_problems(checked.problems)
        return 1
    settings = checked.settings
    from bot.logs import configure_logging

    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    configure_logging(
        settings.log_level.strip().upper(),
        ZoneInfo(settings.timezone),
        secrets=[token],
        dev_log_sql=settings.dev_log_sql,
    )
    if settings.dev_log_sql:
        print(DEV_LOG_SQL_WARNING, file=sys.stderr)
    try:
        return asyncio.run(amain(checked, receive_updates=receive_updates))
    except KeyboardInterrupt:
        return 0
    except Exception:  # the last stop: logged by type and stack only (bot.logs), exit 1
        log.critical("the bot stopped on an unexpected error", exc_info=True)
        return 1


async def amain(checked: Checked, *, receive_updates: bool = True) -> int:
    from bot.core.schedule import DEFAULT_POLICY
    from bot.factory import create_bot, create_dispatcher
    from bot.serve.checks import run_mode
    from db.engine import create_engine, create_session_pool, upgrade_database

    settings = checked.settings
    webhook = receive_updates and run_mode(settings) == "webhook"
    if webhook or settings.schools_file is not None:  # bot/serve: a webhook, many schools
        from bot.serve.host import serve

        return await serve(checked, receive_updates=receive_updates)
    assert checked.plan is not None and checked.calendar is not None
    clock = SystemClock(ZoneInfo(settings.timezone))
    policy = replace(
        DEFAULT_POLICY,
        quiet_start=time(settings.quiet_start_hour),
        quiet_end=time(settings.quiet_end_hour),
    )
    bot = create_bot(settings)
    me = await _wait_for_telegram(bot)  # before the database: a refused token changes nothing
    if me is None:
        await bot.session.close()
        print_problems([_token_rejected(checked)])
        return 1
    log.info("bot id %s, @%s", me.id, me.username)
    try:
        await asyncio.to_thread(
            upgrade_database, settings.database_url, schema=settings.database_schema
        )
        engine = create_engine(
            settings.database_url,
            log_parameters=settings.dev_log_sql,
            schema=settings.database_schema,
        )
        try:
            dp = create_dispatcher(
                settings=settings,
                session_pool=create_session_pool(engine),
                plan=checked.plan,
                calendar=checked.calendar,
                clock=clock,
                reminder_policy=policy,
                nightly_backup=receive_updates,
            )
            if receive_updates:
                from bot.lifecycle import settle_heap
                from bot.serve.health import polling_heartbeat

                dp.startup.register(settle_heap)  # last: after what start-up builds

                # Telegram refuses getUpdates while a webhook (of a webhook run) is set.
                await bot.delete_webhook(drop_pending_updates=False)
                async with polling_heartbeat(settings, engine):
                    await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())
            else:  # python -m bot send: a stand-by sender beside `run`
                from bot.cli.send import send_only

                await send_only(dp, bot)
        finally:
            await engine.dispose()
    finally:
        await bot.session.close()  # polling closes it too; a failed migration must as well
    return 0


async def _wait_for_telegram(bot: Bot) -> User | None:
    """The bot's own account (the first network call), retried while Telegram cannot be
    reached; None if Telegram refuses the token."""
    from aiogram.exceptions import TelegramNotFound, TelegramUnauthorizedError

    from bot.retry_after import until_reached

    try:
        return await until_reached(bot.get_me)
    except (TelegramUnauthorizedError, TelegramNotFound):
        return None


def _token_rejected(checked: Checked) -> Problem:
    token = checked.settings.bot_token
    return Problem(
        setting="BOT_TOKEN",
        shown=mask_token(token.get_secret_value()) if token else "",
        key="cfg_token_rejected",
        example=example_line("bot_token"),
    )
