"""Webhook mode end to end: the production dispatcher behind the production webhook server
(bot/serve/webhook.py), the strict fake Telegram POSTing every update to it over loopback HTTP
with the secret header, the real database, a hand-set clock.

The same conversations as by polling (a teacher joins and taps Done, a note in four taps);
a request with a wrong or missing secret is refused 401 and logged without its body; a stop
lets the update in progress finish before the dispatcher shuts down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlmodel import select

from bot.clock import ManualClock
from bot.serve.health import database_answers, report
from bot.serve.school import close_webhook, open_webhook
from db.engine import create_engine
from db.models import Incident, Student
from fakegram import FakeTelegram
from tests.harness import Kenes, kenes_app, tap
from tests.webhooks import PUBLIC_URL, SECRET, WEBHOOK_PATH, webhook_server

CHILD = "Сапаров Ерлан"
NOTE = "Үзілісте сыныптасын итеріп жіберді (Wq-5521)"


@pytest.fixture
async def kenes(fakegram: FakeTelegram, db_url: str, clock: ManualClock) -> AsyncIterator[Kenes]:
    async with kenes_app(fakegram, db_url, clock, run_mode="webhook") as app:
        yield app


async def test_a_teacher_joins_asks_and_taps_by_webhook(
    kenes: Kenes, fakegram: FakeTelegram
) -> None:
    (set_webhook,) = fakegram.calls_to("setWebhook")
    assert set_webhook["url"] == PUBLIC_URL + WEBHOOK_PATH
    assert set_webhook["secret_token"] == SECRET
    assert set_webhook.get("drop_pending_updates") in (None, False)
    assert "message" in set_webhook["allowed_updates"]
    assert "callback_query" in set_webhook["allowed_updates"]

    teacher = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await teacher.command("/help")
    assert "/tasks" in (await teacher.next_message()).text
    await teacher.command("/tasks")
    listing = await teacher.next_message()  # one message: the items, each a button
    assert listing.buttons, listing.text
    await tap(teacher, listing.button_labels[0])  # the item opens in the same message
    assert await tap(teacher, "✅ Выполнено") == "Записано."
    edited = teacher.chat.get(listing.message_id)
    assert edited is not None and edited.edited

    assert fakegram.calls_to("getUpdates") == []  # no polling at all
    requests = fakegram.webhook_requests
    await fakegram.wait_until(lambda: all(r.ok for r in requests))  # the last answers after
    assert len(requests) >= 4 and all(r.secret == SECRET for r in requests)
    assert all(r.reply_method is None for r in requests)  # replies go through the session


async def test_a_note_in_four_taps_by_webhook(kenes: Kenes) -> None:
    async with kenes.pool() as session:
        session.add(Student(full_name=CHILD, class_name="7Ә", created_at=kenes.clock.now()))
        await session.commit()
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await pedagogue.command("/incident")
    assert "О ком запись" in (await pedagogue.next_message()).text
    for label in ["7Ә", f"{CHILD} · 7Ә", "драка/насилие"]:
        await tap(pedagogue, label)
    await pedagogue.send(NOTE)
    await pedagogue.next_message()
    await tap(pedagogue, "✅ Сохранить · сейчас")
    assert "Запись №1 сохранена" in pedagogue.last_bot_message.text
    async with kenes.pool() as session:
        note = (await session.exec(select(Incident))).one()
    assert note.category == "fight"


@pytest.mark.fakegram_allow("Wrong response from the webhook")
async def test_a_wrong_or_missing_secret_is_401_and_logged_without_the_body(
    kenes: Kenes, fakegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    teacher = await kenes.join("amangeldi-sm", "Сания")
    server_url = fakegram.webhook_target(PUBLIC_URL + WEBHOOK_PATH)
    assert server_url is not None
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": teacher.id, "type": "private"},
            "from": {"id": teacher.id, "is_bot": False, "first_name": "x"},
            "text": f"/help {NOTE}",
        },
    }
    async with aiohttp.ClientSession() as http:
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "guessed-" + SECRET}, {}):
            async with http.post(server_url, json=forged, headers=headers) as response:
                assert response.status == 401
        async with http.post(server_url + "/no-such-school", json=forged) as response:
            assert response.status == 404
    await teacher.no_message()  # nothing reached the handlers
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1  # the first at once; then at most one line a minute, counted
    assert "webhook -: 1 request(s) refused: wrong or missing secret" in refused[0].getMessage()
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "Wq-5521" not in everything and "guessed-" not in everything

    # Telegram itself with a stale secret (the bot set a new one): refused, kept, retried.
    fakegram.webhooks.retry_s = 0.01
    fakegram.bot().webhook_secret = "stale-" + SECRET
    await teacher.command("/help")
    await fakegram.wait_until(lambda: fakegram.webhook_requests[-1].status == 401)
    info = await kenes.bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
    assert info.pending_update_count == 1
    fakegram.bot().webhook_secret = SECRET
    assert "/tasks" in (await teacher.next_message()).text


class Hold(BaseMiddleware):
    """Holds updates whose text is `text` until released (an update in progress at a stop)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if event.message is not None and event.message.text == self.text:
            self.arrived.set()
            await self.release.wait()
        return await handler(event, data)


async def test_a_stop_finishes_the_update_in_progress(
    fakegram: FakeTelegram, db_url: str, clock: ManualClock
) -> None:
    async with kenes_app(fakegram, db_url, clock) as app:  # joined by polling
        teacher = await app.join("amangeldi-sm", "Сания")
    app.build()  # a new dispatcher, now behind the webhook
    hold = Hold("/help")
    app.dp.update.outer_middleware(hold)  # after InFlightUpdates: the stop waits for it
    async with webhook_server(fakegram) as server:
        endpoint = await open_webhook(
            server, "", app.dp, app.bot, PUBLIC_URL + WEBHOOK_PATH, SECRET
        )
        await teacher.command("/help")
        await hold.arrived.wait()
        stopping = asyncio.create_task(close_webhook(server, endpoint, delete=True))
        await fakegram.wait_until(lambda: fakegram.calls_to("deleteWebhook") != [])
        assert not endpoint.accepting and not stopping.done()
        hold.release.set()
        await stopping
        assert "/tasks" in (await teacher.next_message()).text  # answered before the stop
        assert fakegram.webhook_requests[-1].ok
        assert server.endpoints == {}
    await app.engine.dispose()


async def test_health_is_the_database_answering(db_url: str) -> None:
    engine = create_engine(db_url)
    down = create_engine("postgresql+asyncpg://kenes@127.0.0.1:9/kenes")  # nothing listens
    try:
        assert await database_answers(engine)
        assert not await database_answers(down)
    finally:
        await engine.dispose()
        await down.dispose()
    assert report({"": "ok"}) == (200, {"status": "ok", "schools": {"-": "ok"}})
    assert report({"a": "ok", "b": "database unreachable"})[0] == 503
    assert report({"a": "ok"}, starting=True)[1]["status"] == "starting"
