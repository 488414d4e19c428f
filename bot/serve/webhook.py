"""The webhook server: Telegram POSTs each school's updates here; ``/healthz`` for the watchers.

One aiohttp server (``WEBHOOK_HOST:WEBHOOK_PORT``, plain HTTP behind the proxy that holds the
TLS certificate) for every school of the process:

* ``POST WEBHOOK_PATH`` — the single school's updates; ``POST WEBHOOK_PATH/NAME`` — school NAME's
  (SCHOOLS_FILE). Each school has its own `Endpoint`: aiogram's `SimpleRequestHandler` over
  the school's own dispatcher and bot, and the school's own secret token.
* **The secret is checked on every request** (``X-Telegram-Bot-Api-Secret-Token``, compared in
  constant time) before anything is read: a wrong or missing one is answered 401 and logged as
  one line with the school and the caller's address, never the body (at most one line a
  minute per school, with the count, so a flood cannot fill the disk). An unknown path is 404;
  a school stopping or not started yet answers 503, and Telegram sends the update again later.
* **The update is handled before the answer** (``handle_in_background=False``): Telegram keeps
  an update until it is answered 2XY, so a process killed in the middle of one gets it again
  (at least once; the bot's taps and notes are idempotent). A handler's reply never rides in
  the webhook's answer: it goes through the bot's session like every call, so the session's
  middlewares (``protect_content``, ``retry_after``) see it.
* ``GET /healthz`` — 200 when every school's database answers, else 503; the body lists each
  school's state (`bot.serve.health`).

aiogram's `setup_application` is not used: it ties the dispatcher's start and stop to the
server's, while schools start and stop on their own here (SIGHUP) and aiohttp's signals
freeze when the server starts. `bot.serve.school` starts and stops each school instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.logs import school_context

__all__ = ["SECRET_HEADER", "Endpoint", "WebhookServer", "school_secret"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REFUSAL_LOG_EVERY_S = 60.0
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; files come by file_id

Health = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]


def school_secret(secret: str, school: str) -> str:
    """The secret token of one school of many: WEBHOOK_SECRET itself for the single school,
    else derived from it (HMAC-SHA256 with the school's name), so that no school's token
    opens another's webhook."""
    if not school:
        return secret
    digest = hmac.new(secret.encode(), f"kenes-webhook:{school}".encode(), hashlib.sha256)
    return digest.hexdigest()


class _Handler(SimpleRequestHandler):
    """aiogram's handler, with the reply sent through the bot's session (see the notes)."""

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        update = await request.json(loads=bot.session.json_loads)
        result = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)
        return web.json_response({})


@dataclass
class Endpoint:
    """One school's webhook: its handler, secret, and whether it takes updates now."""

    name: str
    dispatcher: Dispatcher
    bot: Bot
    secret: str
    accepting: bool = False
    refused: int = 0  # requests refused since the last log line
    refused_logged_at: float = field(default=-REFUSAL_LOG_EVERY_S)
    requests: set[asyncio.Task[Any]] = field(default_factory=set)  # being handled now
    handler: SimpleRequestHandler = field(init=False)

    def __post_init__(self) -> None:
        self.handler = _Handler(
            self.dispatcher, self.bot, handle_in_background=False, secret_token=self.secret
        )


class WebhookServer:
    """The aiohttp server for every school's webhook and ``/healthz`` (see the module notes)."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        health: Health,
        *,
        shutdown_timeout: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host, self.port, self.path = host, port, path.rstrip("/") or "/"
        self.health = health
        self.shutdown_timeout = shutdown_timeout
        self.monotonic = monotonic
        self.endpoints: dict[str, Endpoint] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` the server listens on (its real port when asked for 0)."""
        assert self._runner is not None, "the server is not started"
        host, port = self._runner.addresses[0][:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    def path_of(self, school: str) -> str:
        return f"{self.path}/{school}" if school else self.path

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self.path, self._update)
        app.router.add_post(f"{self.path}/{{school}}", self._update)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=self.shutdown_timeout
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        log.info("webhook server listening on %s:%s", self.host, self._runner.addresses[0][1])

    async def stop_listening(self) -> None:
        """No new connections (those open finish their requests)."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def stop(self) -> None:
        """Stop listening, let the requests in progress finish, close."""
        await self.stop_listening()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- requests ----------------------------------------------------------------------------

    async def _update(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("school", "")
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return web.Response(status=404, text="Not Found")
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), endpoint.secret.encode()):
            self._refused(endpoint, request)
            return web.Response(status=401, text="Unauthorized")
        if not endpoint.accepting:
            return web.Response(status=503, text="Starting or stopping")
        task = asyncio.current_task()
        if task is not None:
            endpoint.requests.add(task)
        try:
            with school_context(name):
                return await endpoint.handler.handle(request)
        finally:
            endpoint.requests.discard(task)  # type: ignore[arg-type]

    def _refused(self, endpoint: Endpoint, request: web.Request) -> None:
        endpoint.refused += 1
        now = self.monotonic()
        if now - endpoint.refused_logged_at < REFUSAL_LOG_EVERY_S:
            return
        log.warning(
            "webhook %s: %d request(s) refused: wrong or missing secret token (last from %s)",
            endpoint.name or "-",
            endpoint.refused,
            request.remote or "?",
        )
        endpoint.refused, endpoint.refused_logged_at = 0, now

    async def _healthz(self, request: web.Request) -> web.StreamResponse:
        try:
            status, body = await asyncio.wait_for(self.health(), timeout=10.0)
        except TimeoutError:
            status, body = 503, {"status": "failing", "error": "health check timed out"}
        return web.json_response(body, status=status, dumps=json.dumps)
