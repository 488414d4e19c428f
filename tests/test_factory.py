"""The production factories: the Telegram address is a setting; commands menus per language."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.factory import create_bot
from fakegram import FakeTelegram
from tests.harness import Kenes


async def test_telegram_api_url_setting_points_the_bot_at_another_server(
    fakegram: FakeTelegram,
) -> None:
    settings = Settings(
        _env_file=None, bot_token=fakegram.token, telegram_api_url=fakegram.base_url
    )
    bot = create_bot(settings)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    assert me.username == "kenes_test_bot"
    assert fakegram.calls_to("getMe")


def test_missing_token_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="BOT_TOKEN"):
        create_bot(Settings(_env_file=None))


async def test_commands_menu_is_set_per_language_and_admins_get_theirs(kenes: Kenes) -> None:
    calls = kenes.fake.calls_to("setMyCommands")
    by_language = {c.get("language_code"): c for c in calls}
    assert {None, "kk", "ru"} <= set(by_language)
    ru = [c["description"] for c in by_language["ru"]["commands"]]
    kk = [c["description"] for c in by_language["kk"]["commands"]]
    assert "Помощь" in ru and "Көмек" in kk
    assert all(c["command"] != "staff" for c in by_language["ru"]["commands"])
    admin = await kenes.admin()
    await admin.command("/help")
    help_text = (await admin.next_message()).text
    assert "/staff" in help_text and "/reassign" in help_text


async def test_scheduler_starts_and_stops_with_the_dispatcher(
    fakegram: FakeTelegram, db_url: str, clock
) -> None:
    from bot.scheduler.jobs import JOB_ID
    from tests.harness import kenes_app

    async with kenes_app(fakegram, db_url, clock, scheduler_enabled=True) as app:
        scheduler = app.dp["scheduler"]
        assert scheduler.running
        job = scheduler.get_job(JOB_ID)
        assert job is not None and job.trigger.fields[-1].name == "second"
        assert "bot" not in job.kwargs and all(type(a).__name__ != "Bot" for a in job.args)
    assert not scheduler.running


async def test_a_stop_lets_the_update_in_flight_finish_before_the_session_closes(
    fakegram: FakeTelegram, db_url: str, clock
) -> None:
    """aiogram closes the bot's session on stop without waiting for the updates it is still
    handling; the answer being sent was cut off (and, in the tests, an update still in flight
    at teardown failed the test: the "1 error" of a busy CI machine). A stop now waits."""
    import asyncio

    from aiogram import F
    from aiogram.types import Message

    from tests.harness import ADMIN_ID, kenes_app

    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow(message: Message) -> None:
        started.set()
        await release.wait()
        await message.answer("done")
        finished.append("handler")

    async with kenes_app(fakegram, db_url, clock) as app:
        app.dp.message.register(slow, F.text == "slow")  # the dispatcher's own, before routers
        app.dp.shutdown.register(lambda: finished.append("shutdown"))  # runs after the wait
        admin = fakegram.user(id=ADMIN_ID, first_name="Admin")
        await admin.send("slow")
        await asyncio.wait_for(started.wait(), 5)
        stopping = asyncio.create_task(app.dp.stop_polling())
        in_flight = app.dp["in_flight"]
        await asyncio.wait_for(in_flight.draining.wait(), 5)  # the stop has begun, and waits
        assert not stopping.done() and finished == []
        release.set()
        await stopping
    assert finished == ["handler", "shutdown"]
    assert (await admin.next_message()).text == "done"
    assert not fakegram.errors


async def test_a_stop_lets_the_tick_in_flight_finish_and_logs_no_error(
    fakegram: FakeTelegram,
    db_url: str,
    clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """APScheduler's shutdown cancels the jobs still running and logs a cancelled one as an
    error with a CancelledError traceback (a SIGTERM in the middle of a tick, seen in the real
    process's log). A stop now pauses the clock, lets the tick finish, then shuts it down."""
    import asyncio
    import logging

    from bot.scheduler import jobs
    from tests.harness import kenes_app

    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow_tick(ctx: jobs.AppContext, now: object) -> jobs.TickResult:
        started.set()
        await release.wait()
        finished.append("tick")
        return jobs.TickResult()

    monkeypatch.setattr(jobs, "tick", slow_tick)
    caplog.set_level(logging.INFO)
    async with kenes_app(fakegram, db_url, clock, scheduler_enabled=True) as app:
        scheduler = app.dp["scheduler"]
        await asyncio.wait_for(started.wait(), 30)  # the first tick, at once, is running
        pause = scheduler.pause

        def paused() -> None:  # the stop has begun: the tick may end now
            pause()
            release.set()

        monkeypatch.setattr(scheduler, "pause", paused)
    assert finished == ["tick"]
    assert not scheduler.running
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [(r.name, r.getMessage()) for r in errors]
