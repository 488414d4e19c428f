"""`python -m bot send`: the reminder clock and the outbox, without receiving updates.

A second replica for sending: run it beside `python -m bot run` (or several of it on one
PostgreSQL). Every process plans reminders (keyed, so each is planned once); exactly one sends
at a time, the holder of the outbox lease, and when it dies another takes over within the
lease's time (``OUTBOX_LEASE_TTL_S``, 6 s; see `bot.scheduler.outbox.lease`). Stops on SIGTERM
or SIGINT, releasing the lease.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # aiogram takes seconds to import: not for every command of the CLI
    from aiogram import Bot, Dispatcher

log = logging.getLogger(__name__)


def add_send_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = sub.add_parser(
        "send", help="send reminders only (no updates): a stand-by sender beside `run`"
    )
    send.set_defaults(handler=_send)


def _send(args: argparse.Namespace) -> int:
    from bot.main import run

    return run(receive_updates=False)


async def send_only(dp: Dispatcher, bot: Bot) -> None:
    """The dispatcher's start-up (people from the plan, outbox, scheduler) and shut-down, with
    no polling in between: wait for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    await dp.emit_startup(bot=bot, **workflow)
    log.info("sending only: reminders are planned and sent here; updates are not received")
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        try:
            await dp.emit_shutdown(bot=bot, **workflow)
        finally:
            await bot.session.close()
