"""fakegram's webhooks, as the Bot API describes them: setWebhook's rules, updates POSTed with
the secret header, retried until answered 2XY, one at a time per chat, a method call in the
answer executed, deleteWebhook handing the rest back to getUpdates.

The bot's side is a plain aiohttp server on loopback (what Telegram sees of any bot), then a
real aiogram dispatcher behind aiogram's own `SimpleRequestHandler`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from fakegram import FakeTelegram

PUBLIC = "https://school.example.kz"
SECRET = "s3cret_Token-for-the-webhook"

Answer = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


class BotServer:
    """A bot's HTTP server as Telegram sees it: records each request, answers with `answer`."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.answer = answer
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        update = json.loads(await request.text())
        self.requests.append((dict(request.headers), update))
        if self.answer is not None:
            return await self.answer(request, update)
        return web.json_response({})

    async def __aenter__(self) -> BotServer:
        app = web.Application()
        app.router.add_post("/tg/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def bot(fakegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fakegram.make_bot()
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.fixture
async def server(fakegram: FakeTelegram) -> AsyncIterator[BotServer]:
    async with BotServer() as server:
        fakegram.route_webhook(PUBLIC, server.url)
        yield server


async def test_set_webhook_is_refused_as_telegram_refuses_it(
    fakegram: FakeTelegram, bot: Bot, server: BotServer
) -> None:
    refused = {
        "http://school.example.kz/tg/hook": "An HTTPS URL must be provided",
        "https://school.example.kz:8080/tg/hook": "only on ports 80, 88, 443 or 8443",
        "https://elsewhere.example.kz/tg/hook": "Failed to resolve host",
    }
    for url, reason in refused.items():
        with fakegram.expect_violation(reason), pytest.raises(TelegramBadRequest):
            await bot.set_webhook(url)
    with fakegram.expect_violation("unallowed characters"), pytest.raises(TelegramBadRequest):
        await bot.set_webhook(PUBLIC + "/tg/hook", secret_token="no spaces please")
    with fakegram.expect_violation("max_connections"), pytest.raises(TelegramBadRequest):
        await bot.set_webhook(PUBLIC + "/tg/hook", max_connections=101)
    assert (await bot.get_webhook_info()).url == ""
    fakegram.route_webhook(PUBLIC + ":8443", server.url)  # another port: another route
    assert await bot.set_webhook(PUBLIC + ":8443/tg/hook", secret_token=SECRET) is True
    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections, info.pending_update_count) == (
        PUBLIC + ":8443/tg/hook",
        40,
        0,
    )
    with fakegram.expect_violation("webhook is active"), pytest.raises(TelegramConflictError):
        await bot.get_updates()
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""


async def test_updates_are_posted_with_the_secret_and_kept_until_answered_2xx(
    fakegram: FakeTelegram, bot: Bot, server: BotServer
) -> None:
    refuse = True

    async def answer(request: web.Request, update: dict[str, Any]) -> web.StreamResponse:
        if refuse:
            return web.Response(status=401, text="Unauthorized")
        return web.json_response({})

    server.answer = answer
    fakegram.webhooks.retry_s = 0.01
    alice = fakegram.user(first_name="Alice")
    await bot.set_webhook(PUBLIC + "/tg/hook", secret_token=SECRET, allowed_updates=["message"])
    await alice.send("сәлем")
    await fakegram.wait_until(lambda: len(server.requests) >= 2)
    headers, update = server.requests[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert headers["Content-Type"] == "application/json"
    assert update["message"]["text"] == "сәлем"
    assert server.requests[1][1]["update_id"] == update["update_id"]  # the same, again
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
    assert info.last_error_date is not None
    assert info.allowed_updates == ["message"]
    refuse = False
    await fakegram.wait_until(lambda: fakegram.webhook_requests[-1].ok)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    delivered = [r for r in fakegram.webhook_requests if r.ok]
    assert [r.update_id for r in delivered] == [update["update_id"]]


async def test_one_chat_waits_for_its_answer_while_others_go_on(
    fakegram: FakeTelegram, bot: Bot, server: BotServer
) -> None:
    release = asyncio.Event()

    async def answer(request: web.Request, update: dict[str, Any]) -> web.StreamResponse:
        if update["message"]["text"] == "first":
            await release.wait()
        return web.json_response({})

    server.answer = answer
    alice, bek = fakegram.user(first_name="Alice"), fakegram.user(first_name="Bek")
    await bot.set_webhook(PUBLIC + "/tg/hook")
    await alice.send("first")
    await alice.send("second")
    await bek.send("other chat")
    await fakegram.wait_until(lambda: len(server.requests) == 2)
    assert [u["message"]["text"] for _, u in server.requests] == ["first", "other chat"]
    assert "X-Telegram-Bot-Api-Secret-Token" not in server.requests[0][0]  # none was set
    release.set()
    await fakegram.wait_until(lambda: len(server.requests) == 3)
    assert server.requests[2][1]["message"]["text"] == "second"


async def test_a_method_in_the_answer_is_executed(
    fakegram: FakeTelegram, bot: Bot, server: BotServer
) -> None:
    async def answer(request: web.Request, update: dict[str, Any]) -> web.StreamResponse:
        chat = update["message"]["chat"]["id"]
        if update["message"]["text"] == "bad":
            return web.json_response({"method": "sendMessage", "chat_id": chat})
        return web.json_response({"method": "sendMessage", "chat_id": chat, "text": "жауап"})

    server.answer = answer
    alice = fakegram.user(first_name="Alice")
    await bot.set_webhook(PUBLIC + "/tg/hook")
    await alice.send("hello")
    assert (await alice.next_message()).text == "жауап"
    with fakegram.expect_violation("message text is empty"):
        await alice.send("bad")
        await fakegram.wait_until(lambda: fakegram.calls[-1].status == 400)
    assert [r.reply_method for r in fakegram.webhook_requests] == ["sendMessage"] * 2


async def test_delete_webhook_hands_pending_updates_back_to_get_updates(
    fakegram: FakeTelegram, bot: Bot
) -> None:
    alice = fakegram.user(first_name="Alice")
    async with BotServer() as down:  # a server that is gone: connection refused
        fakegram.route_webhook(PUBLIC, down.url)
    fakegram.webhooks.retry_s = 0.01
    await bot.set_webhook(PUBLIC + "/tg/hook")
    await alice.send("while the server was down")
    await fakegram.wait_until(lambda: len(fakegram.webhook_requests) >= 1)
    assert fakegram.webhook_requests[0].error == "Connection refused"
    assert await bot.delete_webhook()
    await fakegram.wait_until(lambda: fakegram.webhooks.in_flight(fakegram.bot()) == 0)
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.text == "while the server was down"


async def test_an_aiogram_dispatcher_behind_simple_request_handler(
    fakegram: FakeTelegram, bot: Bot
) -> None:
    """aiogram's own webhook handler, answering in the webhook response (multipart)."""
    router = Router()

    @router.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token=SECRET).register(
        app, path="/tg/hook"
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fakegram.route_webhook(PUBLIC, f"http://{host}:{port}")
    try:
        await bot.set_webhook(PUBLIC + "/tg/hook", secret_token=SECRET)
        alice = fakegram.user(first_name="Alice")
        await alice.send("<b>x</b> & y")
        assert (await alice.next_message()).text == "echo: <b>x</b> & y"
        assert fakegram.webhook_requests[-1].reply_method == "sendMessage"
        # A forged update without the secret gets aiogram's 401 and reaches no handler.
        await bot.set_webhook(PUBLIC + "/tg/hook", secret_token="another-secret")
        await alice.send("forged")
        await fakegram.wait_until(lambda: fakegram.webhook_requests[-1].status == 401)
        assert alice.bot_messages[-1].text == "echo: <b>x</b> & y"
        await bot.delete_webhook()
    finally:
        await runner.cleanup()
