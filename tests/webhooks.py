"""The production webhook server (bot/serve/webhook.py) in the test's process, with the fake
Telegram delivering to it over loopback HTTP (`FakeTelegram.route_webhook` plays the proxy that
holds the TLS certificate in front of a real server).

    async with webhook_running(fake, dp, bot) as server:
        await user.send("/help")      # the fake POSTs the update to the server
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher

from bot.serve.health import Report, report
from bot.serve.school import close_webhook, open_webhook
from bot.serve.webhook import WebhookServer
from fakegram import FakeTelegram

PUBLIC_URL = "https://kenes.test"
WEBHOOK_PATH = "/telegram"
SECRET = "harness-webhook-secret_0123456789"


@asynccontextmanager
async def webhook_server(fake: FakeTelegram) -> AsyncIterator[WebhookServer]:
    """A started server on a free loopback port, routed from `PUBLIC_URL` by the fake."""

    async def health() -> Report:
        return report({name: "ok" for name in server.endpoints})

    server = WebhookServer("127.0.0.1", 0, WEBHOOK_PATH, health)
    await server.start()
    fake.route_webhook(PUBLIC_URL, server.base_url)
    try:
        yield server
    finally:
        fake.unroute_webhook(PUBLIC_URL)
        await server.stop()


@asynccontextmanager
async def webhook_running(
    fake: FakeTelegram,
    dp: Dispatcher,
    bot: Bot,
    *,
    name: str = "",
    secret: str = SECRET,
    server: WebhookServer | None = None,
) -> AsyncIterator[WebhookServer]:
    """`dp` started behind the server as `bot.serve.school` starts a school, and stopped so.
    Several bots share one `server` (each with its own `name`), as the schools of one process
    do: the fake routes `PUBLIC_URL` to one server only."""
    if server is None:
        async with (
            webhook_server(fake) as own,
            webhook_running(fake, dp, bot, name=name, secret=secret, server=own),
        ):
            yield own
        return
    url = PUBLIC_URL + server.path_of(name)
    endpoint = await open_webhook(server, name, dp, bot, url, secret)
    try:
        yield server
    finally:
        await close_webhook(server, endpoint, delete=True)
