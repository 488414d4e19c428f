"""Telegram's side of a webhook: updates POSTed to the URL a bot set with ``setWebhook``.

What the Bot API says (``setWebhook``, ``WebhookInfo``, ``Update.update_id`` in
``data/bot-api-10.1.min.json``) and what core.telegram.org adds in its notes, as the fake does:

* An update is an HTTPS POST of the JSON-serialised `Update` (``Content-Type:
  application/json``) with the header ``X-Telegram-Bot-Api-Secret-Token`` when the webhook was
  set with ``secret_token``.
* A response other than 2XY is a failure: the update is kept and sent again later, and
  ``getWebhookInfo`` shows ``last_error_date`` and ``last_error_message`` ("Wrong response from
  the webhook: 401 Unauthorized", "Connection refused"). ``pending_update_count`` counts the
  updates not delivered yet.
* Up to ``max_connections`` (1-100, default 40) requests at once; the updates of one chat go one
  at a time, in order (the next waits for the answer to the previous), so updates of different
  chats may arrive out of order (``update_id``: "should they get out of order").
* A webhook answer may carry a method call (``{"method": "sendMessage", ...}``, as JSON, a form
  or multipart form data): Telegram executes it and tells nobody the result. The fake executes
  it like any request of the bot, so a bad one is a violation.
* No ``getUpdates`` while a webhook is set (409, `server.CONFLICT_WEBHOOK`); after
  ``deleteWebhook`` the updates not delivered wait for ``getUpdates``.
* The URL must be HTTPS on port 443, 80, 88 or 8443, on a host Telegram can resolve.

Telegram reaches a bot's server over the internet through whatever terminates TLS in front of
it (a reverse proxy). The fake has no TLS: `FakeTelegram.route_webhook` plays that proxy,
mapping the public ``https://host[:port]`` a bot registers to the loopback ``http://`` address
its server listens on. A host with no route is one Telegram cannot resolve.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp

from .spec import ApiError, UploadedFile

if TYPE_CHECKING:
    from .server import BotState, FakeTelegram

__all__ = ["SECRET_HEADER", "WebhookDelivery", "WebhookRequest", "origin_of"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PORTS = frozenset({443, 80, 88, 8443})  # "Ports currently supported for webhooks"
DEFAULT_MAX_CONNECTIONS = 40
REQUEST_TIMEOUT_S = 60.0  # Telegram waits about a minute for an answer, then tries again
_SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def origin_of(url: str) -> str | None:
    """``https://host:port`` of an https URL (port 443 when none), or None."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    try:
        port = parts.port or 443
    except ValueError:
        return None
    return f"https://{parts.hostname.lower()}:{port}"


def check_webhook(params: dict[str, Any], routes: dict[str, str]) -> None:
    """Refuse a ``setWebhook`` as Telegram does (`ApiError`)."""
    url = params["url"]
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parts.port or 443
    except ValueError:
        raise ApiError.bad_request("bad webhook: Wrong port number specified in the URL") from None
    if port not in PORTS:
        raise ApiError.bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        )
    if origin_of(url) not in routes:
        raise ApiError.bad_request(
            "bad webhook: Failed to resolve host: Name or service not known"
        )
    secret = params.get("secret_token")
    if secret is not None:
        if not 1 <= len(secret) <= 256:
            raise ApiError.bad_request("secret token must be 1-256 characters long")
        if not set(secret) <= _SECRET_CHARS:
            raise ApiError.bad_request("secret token contains unallowed characters")
    connections = params.get("max_connections")
    if connections is not None and not 1 <= connections <= 100:
        raise ApiError.bad_request("bad webhook: max_connections must be between 1 and 100")


@dataclass
class WebhookRequest:
    """One POST of an update to a bot's webhook, as Telegram made it."""

    token: str
    update_id: int
    url: str  # the public URL the bot registered
    secret: str | None  # the header sent, if any
    status: int = 0  # the HTTP status answered (0: no answer)
    error: str | None = None  # what getWebhookInfo's last_error_message says
    reply_method: str | None = None  # a method call carried by the answer

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class _Sender:
    """The delivery loop of one bot."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    in_flight: dict[int, asyncio.Task[None]] = field(default_factory=dict)  # by update_id


class WebhookDelivery:
    """Sends the pending updates of every bot that has a webhook (see the module notes)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.retry_s = 0.2  # between attempts for one chat after a failure
        self.requests: list[WebhookRequest] = []
        self._senders: dict[str, _Sender] = {}
        self._http: aiohttp.ClientSession | None = None

    # --- the server's side -------------------------------------------------------------------

    def wake(self, bot: BotState) -> None:
        """New updates (or a new webhook): deliver what is pending."""
        if not bot.webhook_url:
            return
        sender = self._senders.setdefault(bot.token, _Sender())
        sender.wake.set()
        if sender.task is None or sender.task.done():
            sender.task = asyncio.get_running_loop().create_task(
                self._run(bot, sender), name=f"fakegram-webhook-{bot.id}"
            )

    async def close(self) -> None:
        tasks = [s.task for s in self._senders.values() if s.task is not None]
        tasks += [t for s in self._senders.values() for t in s.in_flight.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._senders.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def in_flight(self, bot: BotState) -> int:
        sender = self._senders.get(bot.token)
        return len(sender.in_flight) if sender else 0

    # --- delivery ----------------------------------------------------------------------------

    async def _run(self, bot: BotState, sender: _Sender) -> None:
        loop = asyncio.get_running_loop()
        while bot.webhook_url or sender.in_flight:
            sender.wake.clear()
            if bot.webhook_url:
                # One update per chat in flight; the chat's next waits for its answer.
                busy = {_queue_of(u) for u in bot.updates if u["update_id"] in sender.in_flight}
                for update in list(bot.updates):
                    if len(sender.in_flight) >= bot.webhook_max_connections:
                        break
                    key = _queue_of(update)
                    if key in busy:
                        continue
                    busy.add(key)
                    sender.in_flight[update["update_id"]] = loop.create_task(
                        self._deliver(bot, update, sender)
                    )
            woken = asyncio.ensure_future(sender.wake.wait())
            try:
                await asyncio.wait(
                    {woken, *sender.in_flight.values()}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                woken.cancel()

    async def _deliver(self, bot: BotState, update: dict[str, Any], sender: _Sender) -> None:
        update_id = update["update_id"]
        url, secret = bot.webhook_url, bot.webhook_secret
        request = WebhookRequest(bot.token, update_id, url, secret)
        self.requests.append(request)
        try:
            await self._post(bot, update, request)
            if request.ok:
                bot.updates = [u for u in bot.updates if u["update_id"] != update_id]
                bot.confirmed_update_id = max(bot.confirmed_update_id, update_id)
            else:
                bot.last_error_date = self.fake.now()
                bot.last_error_message = request.error
                self.fake._notify()
                await asyncio.sleep(self.retry_s)  # this chat waits; the others go on
        finally:
            sender.in_flight.pop(update_id, None)
            self.fake._notify()
            sender.wake.set()

    async def _post(self, bot: BotState, update: dict[str, Any], request: WebhookRequest) -> None:
        target = self.fake.webhook_target(request.url)
        if target is None:  # the route went away (the bot's "server" is gone)
            request.error = "Failed to resolve host: Name or service not known"
            return
        headers = {"Content-Type": "application/json"}
        if request.secret:
            headers[SECRET_HEADER] = request.secret
        if self._http is None:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            )
        try:
            async with self._http.post(
                target, data=json.dumps(update, ensure_ascii=False), headers=headers
            ) as response:
                request.status = response.status
                if not request.ok:
                    request.error = (
                        f"Wrong response from the webhook: {response.status} {response.reason}"
                    )
                    return
                reply = await _reply_of(response)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            request.status = 0
            request.error = _connection_error(exc)
            return
        if reply is not None:
            await self._execute(bot, reply, request)

    async def _execute(
        self,
        bot: BotState,
        reply: tuple[dict[str, Any], dict[str, UploadedFile]],
        request: WebhookRequest,
    ) -> None:
        """A method call in the webhook's answer, executed as Telegram does (result unseen)."""
        from .server import Call

        raw, files = reply
        name = str(raw.pop("method"))
        request.reply_method = name
        call = Call(name, {}, bot.token, status=0)
        self.fake.calls.append(call)
        method = self.fake.spec.resolve_method(name)
        if method is None:
            self.fake._respond_error(call, bot, ApiError(404, "Not Found"))
            return
        call.method = method.name
        call.params = {**raw, **{k: f"<file {v.filename}>" for k, v in files.items()}}
        try:
            call.result = await self.fake._dispatch(bot, method, raw, files, call)
        except ApiError as exc:
            self.fake._respond_error(call, bot, exc)
            return
        call.status = 200
        self.fake._notify()


def _queue_of(update: dict[str, Any]) -> object:
    """The chat an update belongs to (its delivery queue)."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return ("chat", chat["id"])
        sender = payload.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return ("user", sender["id"])
    return ("update", update["update_id"])


async def _reply_of(
    response: aiohttp.ClientResponse,
) -> tuple[dict[str, Any], dict[str, UploadedFile]] | None:
    """The method call an answer carries, if any (JSON, a form or multipart form data)."""
    content_type = response.content_type
    raw: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if content_type == "application/json":
        try:
            body = json.loads(await response.text() or "null")
        except ValueError:
            return None
        if isinstance(body, dict):
            raw = body
    elif content_type == "application/x-www-form-urlencoded":
        raw = dict(parse_qsl(await response.text()))
    elif content_type == "multipart/form-data":
        reader = aiohttp.MultipartReader.from_response(response)
        while True:
            part = await reader.next()
            if part is None:
                break
            assert isinstance(part, aiohttp.BodyPartReader)
            name = part.name or ""
            data = await part.read()
            if part.filename:
                files[name] = UploadedFile(name, part.filename, bytes(data))
            else:
                raw[name] = bytes(data).decode("utf-8")
    return (raw, files) if raw.get("method") else None


def _connection_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Read timeout expired"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "Connection refused"
    return "Connection closed"
