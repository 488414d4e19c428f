"""``FakeTelegram``: a strict, in-process fake of the Telegram Bot API HTTP server."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import mimetypes
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import urlsplit

from aiohttp import web

from .chats import (
    CallbackAnswer,
    CallbackQuery,
    Chat,
    FakeGroup,
    FakeMessage,
    FakeUser,
    StoredFile,
)
from .faults import Clock, FaultInjector, RateLimits
from .formatting import HtmlParseError, detect_bot_commands, parse_html, strip_text, utf16_len
from .spec import ApiError, MethodSpec, Spec, UploadedFile, coerce_params, load_spec
from .spec import missing_param_error as _missing
from .webhook import DEFAULT_MAX_CONNECTIONS, WebhookDelivery, WebhookRequest, check_webhook
from .webhook import origin_of as _origin_of

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

__all__ = ["DEFAULT_TOKEN", "BotState", "Call", "FakeTelegram", "Violation"]

DEFAULT_TOKEN = "123456789:AAFakegram-test-token_0123456789ab"  # shaped like a real one
CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_SET_WEBHOOK = "Conflict: terminated by setWebhook request"
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile: "bots can download files of up to 20MB in size"
# kind -> (file id prefix, default file name, folder of file_path), as Telegram's look
MEDIA_KINDS = {
    "document": ("BQACAgIAAxkBAAI", "document", "documents"),
    "photo": ("AgACAgIAAxkBAAI", "photo.jpg", "photos"),
    "voice": ("AwACAgIAAxkBAAI", "voice.oga", "voice"),
}

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.I)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types that are only delivered when asked for explicitly in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# HTTP codes that mean "the bot did something wrong" (429 only with strict rate limits).
_VIOLATION_CODES = frozenset({400, 401, 404, 409, 413, 501})


@dataclass
class Violation:
    """A request Telegram would have refused because the bot did something wrong."""

    method: str
    status: int
    description: str
    params: dict[str, Any]
    token: str
    expected: bool = False

    def __str__(self) -> str:
        shown = {k: _short(v) for k, v in self.params.items()}
        return f"{self.method} -> {self.status} {self.description}  params={shown}"


@dataclass
class Call:
    """One request the bot made; iterates as ``(method, params)``."""

    method: str
    params: dict[str, Any]
    token: str
    status: int = 200
    result: Any = None
    error: str | None = None

    def __iter__(self) -> Iterator[Any]:
        yield self.method
        yield self.params

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _Poller:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    terminated: bool = False
    reason: str = ""  # the 409's description


@dataclass
class _Allowance:
    pattern: str | re.Pattern[str]
    method: str | None

    def matches(self, violation: Violation) -> bool:
        return _matches(violation, self.pattern, self.method)


@dataclass
class _Entry:
    chat: Chat | None
    kind: Literal["user", "bot", "system"]
    text: str
    to: str | None = None


class BotState:
    """Everything Telegram knows about one bot (token)."""

    def __init__(
        self, token: str, *, username: str, first_name: str, privacy_mode: bool = True
    ) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.privacy_mode = privacy_mode
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 100_000_001
        self.confirmed_update_id = 0
        self.allowed_updates: list[str] | None = None
        self.poller: _Poller | None = None
        self.get_updates_calls = 0
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_max_connections = DEFAULT_MAX_CONNECTIONS
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}

    def user_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def me_json(self) -> dict[str, Any]:
        return {
            **self.user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def allows(self, update_type: str) -> bool:
        if not self.allowed_updates:
            return update_type not in _OPT_IN_UPDATES
        return update_type in self.allowed_updates

    def commands_for(
        self, scope: dict[str, Any] | None, language_code: str | None
    ) -> tuple[str, str]:
        return _scope_key(scope), language_code or ""


def _scope_key(scope: dict[str, Any] | None) -> str:
    if not scope:
        return "default"
    return json.dumps(scope, sort_keys=True)


class FakeTelegram:
    """A fake Bot API server bound to ``127.0.0.1`` on a random port.

    Use as ``async with FakeTelegram() as fake:`` and point aiogram at ``fake.base_url``::

        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        bot = Bot(fake.token, session=session)
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "kenes_test_bot",
        bot_name: str = "Kenes Test Bot",
        privacy_mode: bool = True,
        clock: Clock = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        spec: Spec | None = None,
    ) -> None:
        self.spec = spec or load_spec()
        self.clock = clock
        self.wall_clock = wall_clock
        self.host = host
        self.port = port
        self.rate_limits = RateLimits(clock=clock)
        self.faults = FaultInjector(seed)
        self.calls: list[Call] = []
        self.violations: list[Violation] = []
        self.errors: list[Violation] = []
        self.files: dict[str, StoredFile] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.users: list[FakeUser] = []
        self.groups: list[FakeGroup] = []
        self.bots: dict[str, BotState] = {}
        self._entries: list[_Entry] = []
        self._allowances: list[_Allowance] = []
        self._waiters: set[asyncio.Future[None]] = set()
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(7_000_000_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.base_url = ""
        # Webhooks: the public https origin a bot registers -> the loopback address of its
        # server (the TLS-terminating proxy in front of it; see fakegram.webhook).
        self.webhook_routes: dict[str, str] = {}
        self.webhooks = WebhookDelivery(self)
        self.default_bot = self.add_bot(
            token, username=bot_username, first_name=bot_name, privacy_mode=privacy_mode
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def token(self) -> str:
        """Token of the default bot."""
        return self.default_bot.token

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.port = port
        self.base_url = f"http://{host}:{port}"
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        await self.webhooks.close()
        for bot in self.bots.values():
            if bot.poller is not None:
                bot.poller.wake.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ set-up API

    def add_bot(
        self,
        token: str,
        *,
        username: str = "other_test_bot",
        first_name: str = "Other Test Bot",
        privacy_mode: bool = True,
    ) -> BotState:
        """Register another bot token (unknown tokens get 401 Unauthorized)."""
        if not _TOKEN_RE.match(token):
            raise ValueError(f"not a Telegram bot token: {token!r}")
        bot = BotState(token, username=username, first_name=first_name, privacy_mode=privacy_mode)
        self.bots[token] = bot
        return bot

    def route_webhook(self, public_url: str, local_url: str) -> None:
        """Requests for ``public_url``'s https origin (as a bot registers it with setWebhook)
        go to ``local_url`` (``http://127.0.0.1:PORT``, the bot's server), as a reverse proxy
        terminating TLS would send them. `unroute_webhook` takes it away again."""
        origin = _origin_of(public_url)
        if origin is None:
            raise ValueError(f"not an https URL: {public_url!r}")
        self.webhook_routes[origin] = local_url.rstrip("/")

    def unroute_webhook(self, public_url: str) -> None:
        origin = _origin_of(public_url)
        if origin is not None:
            self.webhook_routes.pop(origin, None)

    def webhook_target(self, url: str) -> str | None:
        """The loopback URL a webhook request for `url` goes to (None: no route)."""
        origin = _origin_of(url)
        local = self.webhook_routes.get(origin) if origin else None
        if local is None:
            return None
        parts = urlsplit(url)
        return local + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def webhook_requests(self) -> list[WebhookRequest]:
        """Every POST of an update to a webhook, in order."""
        return self.webhooks.requests

    def bot(self, token: str | None = None) -> BotState:
        return self.default_bot if token is None else self.bots[token]

    def make_bot(self, token: str | None = None, **kwargs: Any) -> Bot:
        """An aiogram ``Bot`` talking to this server (close its session when done)."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        if not self.base_url:
            raise RuntimeError("start the FakeTelegram server first")

        class _LocalSession(AiohttpSession):
            """AiohttpSession minus the 250 ms grace sleep it takes for TLS on close()."""

            async def close(self) -> None:
                if self._session is not None and not self._session.closed:
                    await self._session.close()

        session = _LocalSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(token or self.token, session=session, **kwargs)

    def user(
        self,
        id: int | None = None,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "kk",
        is_premium: bool = False,
        started: bool = False,
        bot: str | None = None,
    ) -> FakeUser:
        """A user with a private chat with the bot.

        ``started=False`` (default): until the user writes to the bot, sending to them fails
        with ``403 Forbidden: bot can't initiate conversation with a user``.
        """
        state = self.bot(bot)
        user_id = id if id is not None else next(self._user_ids)
        if user_id in state.chats:
            raise ValueError(f"chat {user_id} already exists")
        user = FakeUser(
            self,
            state,
            user_id,
            first_name or f"User{user_id}",
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
            started=started,
        )
        state.chats[user_id] = user.chat
        self.users.append(user)
        return user

    def group(
        self,
        title: str = "Test group",
        *,
        members: list[FakeUser] | None = None,
        id: int | None = None,
        type: Literal["group", "supergroup"] = "supergroup",
        username: str | None = None,
        bot_is_admin: bool = False,
        bot: str | None = None,
    ) -> FakeGroup:
        """A group the bot is a member of (privacy mode applies unless it is an admin)."""
        state = self.bot(bot)
        if id is None:
            n = next(self._group_ids)
            id = -1_001_000_000_000 - n if type == "supergroup" else -4_000_000_000 - n
        group = FakeGroup(
            self,
            state,
            id,
            title,
            chat_type=type,
            username=username,
            members=members,
            bot_is_admin=bot_is_admin,
        )
        state.chats[id] = group.chat
        self.groups.append(group)
        return group

    # ------------------------------------------------------------------ assertions API

    def allow(self, pattern: str | re.Pattern[str], *, method: str | None = None) -> None:
        """Declare that violations matching ``pattern`` are expected in this test.

        A ``str`` pattern matches as a substring of the error description.
        """
        self._allowances.append(_Allowance(pattern, method))

    @contextmanager
    def expect_violation(
        self,
        pattern: str | re.Pattern[str],
        *,
        method: str | None = None,
        count: int | None = None,
    ) -> Iterator[None]:
        """Assert the block triggers (exactly ``count``, default: at least one) matching
        violations, and mark them expected."""
        start = len(self.violations)
        yield
        matched = [v for v in self.violations[start:] if _matches(v, pattern, method)]
        if not matched or (count is not None and len(matched) != count):
            seen = "\n".join(f"  {v}" for v in self.violations[start:]) or "  (none)"
            wanted = "at least one" if count is None else str(count)
            raise AssertionError(
                f"expected {wanted} violation(s) matching {pattern!r}, got {len(matched)}.\n"
                f"Violations in the block:\n{seen}"
            )
        for violation in matched:
            violation.expected = True

    def unexpected_violations(self) -> list[Violation]:
        return [
            v
            for v in self.violations
            if not v.expected and not any(a.matches(v) for a in self._allowances)
        ]

    def assert_no_violations(self) -> None:
        unexpected = self.unexpected_violations()
        if unexpected:
            raise AssertionError(format_violations(unexpected, self.transcript()))

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call to ``method`` (case-insensitive name)."""
        return [c.params for c in self.calls if c.method.lower() == method.lower()]

    def bot_texts(self) -> list[tuple[str, str]]:
        """Every text the bot asked Telegram to show, as ``(method, text)`` in call order:
        message texts, captions, edits, callback answers and inline button labels (refused
        calls included: the bot meant to send them)."""
        out: list[tuple[str, str]] = []
        for call in self.calls:
            for name in _TEXT_FIELDS.get(call.method, ()):
                value = call.params.get(name)
                if isinstance(value, str) and value:
                    out.append((call.method, value))
            markup = call.params.get("reply_markup")
            if isinstance(markup, str):
                with suppress(ValueError):
                    markup = json.loads(markup)
            if isinstance(markup, dict):
                for row in markup.get("inline_keyboard") or ():
                    for button in row:
                        if isinstance(button, dict) and isinstance(button.get("text"), str):
                            out.append((f"{call.method} button", button["text"]))
        return out

    @property
    def sent_messages(self) -> list[FakeMessage]:
        """Every message the bot sent, in all chats, in order (deleted ones included)."""
        messages = [
            m
            for bot in self.bots.values()
            for chat in bot.chats.values()
            for m in chat.bot_messages
        ]
        return sorted(messages, key=lambda m: (m.date, m.chat.id, m.message_id))

    def transcript(self, chat: Chat | None = None) -> str:
        """The conversation as readable text (one chat, or everything)."""
        lines: list[str] = []
        for entry in self._entries:
            if chat is not None and entry.chat is not chat:
                continue
            text = entry.text
            if chat is None and entry.chat is not None:
                if entry.chat.is_group:
                    text = f"[{entry.chat.title}] {text}"
                elif entry.kind == "bot" and entry.to:
                    text = text.replace("🤖 Bot:", f"🤖 Bot → {entry.to}:", 1)
            lines.append(text)
        return "\n".join(lines)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (event-driven, no polling) until ``predicate()`` holds after a state change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                continue
            finally:
                self._waiters.discard(waiter)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int = 0,
    ) -> Call:
        """Wait for a (finished) call to ``method`` from ``calls[since:]``."""

        def find() -> Call | None:
            for call in self.calls[since:]:
                done = call.status != 0 or call.error is not None
                same = call.method.lower() == method.lower()
                if same and done and (predicate is None or predicate(call)):
                    return call
            return None

        await self.wait_until(lambda: find() is not None, timeout)
        found = find()
        assert found is not None
        return found

    @asynccontextmanager
    async def polling(
        self, dispatcher: Dispatcher, bot: Bot, **kwargs: Any
    ) -> AsyncIterator[asyncio.Task[None]]:
        """Run ``dispatcher.start_polling(bot)`` for the duration of the block.

        Waits until the first ``getUpdates`` reaches the server; on exit lets the updates being
        handled finish (aiogram runs each as a task that stopping does not wait for: a reply
        cut off by the server going away would fail the handler), stops polling
        (``dispatcher.stop_polling()``) and waits for it to finish.
        """
        state = self.bots[bot.token]
        seen = state.get_updates_calls
        kwargs.setdefault("handle_signals", False)
        task = asyncio.create_task(dispatcher.start_polling(bot, **kwargs))
        await self.wait_until(lambda: state.get_updates_calls > seen or task.done(), 5.0)
        if task.done():
            task.result()
        try:
            yield task
        finally:
            handling = list(getattr(dispatcher, "_handle_update_tasks", ()))
            if handling:
                await asyncio.wait(handling, timeout=10.0)
            if not task.done():
                await dispatcher.stop_polling()
            await task

    # ------------------------------------------------------------------ user actions

    def now(self) -> int:
        return int(self.wall_clock())

    def user_message(
        self,
        user: FakeUser,
        chat: Chat,
        text: str,
        *,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        if not text:
            raise ValueError("Telegram clients cannot send an empty message")
        if not chat.is_group:
            if user.blocked:
                self.set_blocked(user, False)
            user.started = True
        message = chat.add_message(
            sender=user.to_json(),
            from_bot=False,
            date=self.now(),
            text=text,
            entities=detect_bot_commands(text),
            reply_to=reply_to,
            author=user,
        )
        self._log(chat, "user", f"👤 {user.name}: {message.render()}")
        if self._delivered(chat, text, reply_to):
            self._enqueue(chat.bot, "message", message.to_json())
        self._notify()
        return message

    def user_document(
        self,
        user: FakeUser,
        chat: Chat,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """The user sends a file (a document, with an optional caption, maybe as a reply) to
        the bot."""
        return self.user_media(
            user, chat, "document", content, filename=filename, caption=caption, reply_to=reply_to
        )

    def user_media(
        self,
        user: FakeUser,
        chat: Chat,
        kind: str,
        content: bytes,
        *,
        filename: str | None = None,
        caption: str | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """The user sends a document, a photo or a voice note (`kind`) to the bot, maybe as a
        reply to one of the chat's messages. The file id the bot receives is the bot's own (see
        `StoredFile`)."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"not a kind of media: {kind!r}")
        if not content:
            raise ValueError("Telegram clients cannot send an empty file")
        if not chat.is_group:
            if user.blocked:
                self.set_blocked(user, False)
            user.started = True
        stored = self._store_file(
            UploadedFile(kind, filename or MEDIA_KINDS[kind][1], content), kind, chat.bot.id
        )
        stored.width, stored.height, stored.duration = width, height, duration
        self.files[stored.file_id] = stored
        message = chat.add_message(
            sender=user.to_json(),
            from_bot=False,
            date=self.now(),
            caption=caption,
            reply_to=reply_to,
            author=user,
            **{kind: stored},
        )
        self._log(chat, "user", f"👤 {user.name}: {message.render()}")
        if self._delivered(chat, caption or "", reply_to):
            self._enqueue(chat.bot, "message", message.to_json())
        self._notify()
        return message

    def user_callback(
        self,
        user: FakeUser,
        chat: Chat,
        message: FakeMessage,
        data: str,
        *,
        label: str | None = None,
    ) -> CallbackQuery:
        query_id = str(4_000_000_000_000_000_000 + next(self._query_ids))
        query = CallbackQuery(query_id, user, chat, message, data)
        chat.bot.callback_queries[query_id] = query
        user.taps.append(query)
        if label is not None:
            self._log(chat, "user", f"👆 {user.name} tapped [{label}]")
        else:
            self._log(chat, "user", f"👆 {user.name} sent callback data {data!r}")
        payload = {
            "id": query_id,
            "from": user.to_json(),
            "message": message.to_json(),
            "chat_instance": str(abs(chat.id) * 7919 + chat.bot.id),
            "data": data,
        }
        self._enqueue(chat.bot, "callback_query", payload)
        self._notify()
        return query

    def set_blocked(self, user: FakeUser, blocked: bool) -> None:
        if user.blocked == blocked:
            return
        user.blocked = blocked
        verb = "blocked" if blocked else "unblocked"
        self._log(user.chat, "system", f"⛔ {user.name} {verb} the bot")
        bot_member = user.bot.user_json()
        old: dict[str, Any] = {"user": bot_member, "status": "member"}
        new: dict[str, Any] = {"user": bot_member, "status": "kicked", "until_date": 0}
        if not blocked:
            old, new = new, old
        self._enqueue(
            user.bot,
            "my_chat_member",
            {
                "chat": user.chat.to_json(),
                "from": user.to_json(),
                "date": self.now(),
                "old_chat_member": old,
                "new_chat_member": new,
            },
        )
        self._notify()

    # ------------------------------------------------------------------ internals

    def _notify(self) -> None:
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    def _log(self, chat: Chat | None, kind: Literal["user", "bot", "system"], text: str) -> None:
        to = chat.label if chat is not None and not chat.is_group else None
        self._entries.append(_Entry(chat, kind, text, to))

    def _enqueue(self, bot: BotState, kind: str, payload: dict[str, Any]) -> None:
        if not bot.allows(kind):
            return
        bot.updates.append({"update_id": bot.next_update_id, kind: payload})
        bot.next_update_id += 1
        if bot.poller is not None:
            bot.poller.wake.set()
        if bot.webhook_url:
            self.webhooks.wake(bot)

    def _delivered(self, chat: Chat, text: str, reply_to: FakeMessage | None) -> bool:
        group = chat.group
        if group is None:
            return True
        if not group.bot_is_member:
            return False
        if not chat.bot.privacy_mode or group.bot_is_admin:
            return True
        if reply_to is not None and reply_to.from_bot:
            return True
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            if "@" in command:
                return command.split("@", 1)[1].lower() == chat.bot.username.lower()
            return True
        return False

    # ------------------------------------------------------------------ HTTP layer

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if token not in self.bots:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        path = request.match_info["path"]
        bot_id = self.bots[token].id
        for stored in self.files.values():
            if stored.file_path == path and stored.content is not None and stored.bot_id == bot_id:
                return web.Response(body=stored.content, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        name = request.match_info["method"]
        call = Call(name, {}, token, status=0)
        if not _TOKEN_RE.match(token):
            return self._respond_error(call, None, ApiError(404, "Not Found"))
        bot = self.bots.get(token)
        if bot is None:
            return self._respond_error(call, None, ApiError(401, "Unauthorized"))
        method = self.spec.resolve_method(name)
        if method is None:
            self.calls.append(call)
            return self._respond_error(call, bot, ApiError(404, "Not Found"))
        call.method = method.name
        self.calls.append(call)
        try:
            raw, files = await self._read_params(request)
        except ApiError as exc:
            return self._respond_error(call, bot, exc)
        call.params = {**raw, **{k: f"<file {v.filename}>" for k, v in files.items()}}

        fault = self.faults.pick(method.name, raw)
        if fault is not None and fault.kind == "status":
            return self._respond_error(
                call, bot, ApiError(fault.status, fault.description), injected=True
            )
        if fault is not None and fault.kind == "drop" and not fault.after:
            return self._drop(request, call)
        try:
            result = await self._dispatch(bot, method, raw, files, call)
        except ApiError as exc:
            if fault is not None and fault.kind == "drop":
                return self._drop(request, call)
            return self._respond_error(call, bot, exc)
        except asyncio.CancelledError:
            call.error = "cancelled: the client went away"
            raise
        finally:
            self._notify()
        call.result = result
        if fault is not None and fault.kind == "drop":
            return self._drop(request, call)
        call.status = 200
        self._notify()
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _dispatch(
        self,
        bot: BotState,
        method: MethodSpec,
        raw: dict[str, Any],
        files: dict[str, UploadedFile],
        call: Call,
    ) -> Any:
        params = coerce_params(method, raw, files, self.spec)
        call.params = {
            k: (f"<file {v.filename}>" if isinstance(v, UploadedFile) else v)
            for k, v in params.items()
        }
        handler: Callable[[BotState, dict[str, Any]], Awaitable[Any]] | None = getattr(
            self, f"_api_{method.name}", None
        )
        if handler is None:
            raise ApiError(501, f"fakegram: method {method.name} is not implemented")
        return await handler(bot, params)

    def _drop(self, request: web.Request, call: Call) -> web.StreamResponse:
        call.error = "connection dropped"
        if request.transport is not None:
            request.transport.close()
        self._notify()
        return web.Response()

    def _respond_error(
        self,
        call: Call,
        bot: BotState | None,
        error: ApiError,
        *,
        injected: bool = False,
    ) -> web.StreamResponse:
        call.status = error.code
        call.error = error.description
        record = Violation(
            call.method, error.code, error.description, dict(call.params), call.token
        )
        self.errors.append(record)
        is_violation = error.code in _VIOLATION_CODES or (
            error.code == 429 and self.rate_limits.strict
        )
        if is_violation and not injected:
            self.violations.append(record)
        chat = self._chat_of(bot, call.params)
        if chat is not None:
            self._log(chat, "system", f"❗ {call.method} -> {error.code} {error.description}")
        self._notify()
        return web.json_response(error.to_json(), status=error.code, dumps=_dumps)

    def _chat_of(self, bot: BotState | None, params: dict[str, Any]) -> Chat | None:
        if bot is None:
            return None
        chat_id = params.get("chat_id")
        with suppress(TypeError, ValueError):
            return bot.chats.get(int(chat_id))  # type: ignore[arg-type]
        return None

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if not request.body_exists:
            return raw, files
        content_type = request.content_type
        try:
            if content_type == "application/json":
                try:
                    body = json.loads(await request.text())
                except ValueError:
                    raise ApiError.bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise ApiError.bad_request("JSON object expected")
                raw.update(body)
            elif content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(
                            key, value.filename, value.file.read(), value.content_type
                        )
                    else:
                        raw.setdefault(key, value)
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        return raw, files

    # ------------------------------------------------------------------ shared checks

    def _chat(self, bot: BotState, params: dict[str, Any], method: str) -> Chat:
        if "chat_id" not in params or params["chat_id"] == "":
            raise _missing(method, "chat_id")
        chat_id = params["chat_id"]
        chat: Chat | None = None
        if isinstance(chat_id, int):
            chat = bot.chats.get(chat_id)
        elif chat_id.startswith("@"):
            chat = next(
                (c for c in bot.chats.values() if c.is_group and c.username == chat_id[1:]),
                None,
            )
        if chat is None:
            raise ApiError.bad_request("chat not found")
        return chat

    def _reachable(self, chat: Chat) -> None:
        """403s of a chat the bot cannot write to."""
        if chat.user is not None:
            user = chat.user
            if user.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.group is not None and not chat.group.bot_is_member:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")

    def _flood(self, bot: BotState, method: str, chat: Chat) -> None:
        retry = self.rate_limits.check(bot.token, method, chat.id, chat.is_group)
        if retry is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _format(
        self,
        text: str,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
        *,
        limit: int,
        caption: bool,
    ) -> tuple[str, list[dict[str, Any]]]:
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                text, parsed = parse_html(text)
            except HtmlParseError as exc:
                raise ApiError.bad_request(f"can't parse entities: {exc}") from None
        elif mode in {"", "markdown", "markdownv2"}:
            # Markdown is not parsed by fakegram: the text is kept as is.
            parsed = [dict(e) for e in entities or []]
            total = utf16_len(text)
            for entity in parsed:
                if entity["offset"] < 0 or entity["length"] <= 0:
                    raise ApiError.bad_request("can't parse entities: invalid entity bounds")
                if entity["offset"] + entity["length"] > total:
                    entity["length"] = max(total - entity["offset"], 0)
            parsed = [e for e in parsed if e["length"] > 0]
        else:
            raise ApiError.bad_request("unsupported parse_mode")
        text, parsed = strip_text(text, parsed)
        if not text and not caption:
            raise ApiError.bad_request("message text is empty")
        if len(text) > limit:
            raise ApiError.bad_request(
                "message caption is too long" if caption else "message is too long"
            )
        return text, parsed

    def _markup(self, markup: dict[str, Any] | None, chat: Chat | None) -> dict[str, Any] | None:
        """Validate ``reply_markup``; returns the inline keyboard to attach to the message."""
        if markup is None:
            return None
        if "inline_keyboard" in markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    actions = [key for key in _BUTTON_ACTIONS if key in button]
                    if not actions:
                        raise ApiError.bad_request(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    if "callback_data" in button:
                        size = len(button["callback_data"].encode("utf-8"))
                        if not 1 <= size <= 64:
                            raise ApiError.bad_request("BUTTON_DATA_INVALID")
                    if "url" in button and not _URL_RE.match(button["url"]):
                        raise ApiError.bad_request("BUTTON_URL_INVALID")
            return markup
        if chat is not None:
            if "keyboard" in markup:
                chat.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        return None

    def _reply_to(self, chat: Chat, params: dict[str, Any]) -> FakeMessage | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target = chat.get(reply["message_id"])
        if target is None and not reply.get("allow_sending_without_reply"):
            raise ApiError.bad_request("message to be replied not found")
        return target

    def _message(
        self, bot: BotState, params: dict[str, Any], method: str, *, verb: str
    ) -> FakeMessage:
        chat = self._chat(bot, params, method)
        if "inline_message_id" in params and "message_id" not in params:
            raise ApiError.bad_request(f"message to {verb} not found")
        if "message_id" not in params:
            raise _missing(method, "message_id")
        message = chat.get(params["message_id"])
        if message is None:
            raise ApiError.bad_request(f"message to {verb} not found")
        return message

    def _bot_message(self, chat: Chat, **kwargs: Any) -> FakeMessage:
        message = chat.add_message(
            sender=chat.bot.user_json(), from_bot=True, date=self.now(), **kwargs
        )
        self._log(chat, "bot", f"🤖 Bot: {message.render()}")
        return message

    # ------------------------------------------------------------------ Bot API methods

    async def _api_getMe(self, bot: BotState, p: dict[str, Any]) -> Any:
        return bot.me_json()

    async def _api_logOut(self, bot: BotState, p: dict[str, Any]) -> Any:
        return True

    async def _api_close(self, bot: BotState, p: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, bot: BotState, p: dict[str, Any]) -> Any:
        if "url" not in p:
            raise _missing("setWebhook", "url")
        if not p["url"]:  # "Use an empty string to remove webhook integration."
            return await self._api_deleteWebhook(bot, p)
        check_webhook(p, self.webhook_routes)
        bot.webhook_url = p["url"]
        bot.webhook_secret = p.get("secret_token")
        bot.webhook_max_connections = p.get("max_connections", DEFAULT_MAX_CONNECTIONS)
        if "allowed_updates" in p:
            bot.allowed_updates = list(p["allowed_updates"])
        if p.get("drop_pending_updates"):
            bot.updates.clear()
        if bot.poller is not None:  # a long poll in progress ends with a conflict
            bot.poller.terminated = True
            bot.poller.reason = CONFLICT_SET_WEBHOOK
            bot.poller.wake.set()
        self.webhooks.wake(bot)
        return True

    async def _api_deleteWebhook(self, bot: BotState, p: dict[str, Any]) -> Any:
        bot.webhook_url = ""
        bot.webhook_secret = None
        bot.webhook_max_connections = DEFAULT_MAX_CONNECTIONS
        bot.last_error_date = bot.last_error_message = None
        if p.get("drop_pending_updates"):
            bot.updates.clear()
        return True

    async def _api_getWebhookInfo(self, bot: BotState, p: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": bot.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if bot.webhook_url:
            info["ip_address"] = "127.0.0.1"
            info["max_connections"] = bot.webhook_max_connections
            if bot.allowed_updates:
                info["allowed_updates"] = list(bot.allowed_updates)
            if bot.last_error_date is not None:
                info["last_error_date"] = bot.last_error_date
                info["last_error_message"] = bot.last_error_message
        return info

    async def _api_getUpdates(self, bot: BotState, p: dict[str, Any]) -> Any:
        if bot.webhook_url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        bot.get_updates_calls += 1
        if bot.poller is not None:
            bot.poller.terminated = True
            bot.poller.wake.set()
        poller = _Poller()
        bot.poller = poller
        offset = p.get("offset", 0)
        limit = min(max(p.get("limit", 100), 1), 100)
        timeout = max(p.get("timeout", 0), 0)
        if "allowed_updates" in p:
            bot.allowed_updates = list(p["allowed_updates"])
        if offset > 0:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
            bot.confirmed_update_id = max(bot.confirmed_update_id, offset - 1)
        elif offset < 0:
            bot.updates = bot.updates[offset:]
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if poller.terminated:
                    raise ApiError(409, poller.reason or CONFLICT_POLLING)
                if bot.updates or self._closing:
                    break
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                poller.wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(poller.wake.wait(), remaining)
            return copy.deepcopy(bot.updates[:limit])
        finally:
            if bot.poller is poller:
                bot.poller = None

    async def _api_sendMessage(self, bot: BotState, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p, "sendMessage")
        if "text" not in p:
            raise _missing("sendMessage", "text")
        text, entities = self._format(
            p["text"], p.get("parse_mode"), p.get("entities"), limit=MAX_TEXT, caption=False
        )
        self._reachable(chat)
        reply_to = self._reply_to(chat, p)
        markup = self._markup(p.get("reply_markup"), None)
        self._flood(bot, "sendMessage", chat)
        self._markup(p.get("reply_markup"), chat)
        message = self._bot_message(
            chat,
            text=text,
            entities=entities,
            reply_markup=markup,
            reply_to=reply_to,
            protected=bool(p.get("protect_content")),
        )
        return message.to_json()

    async def _api_sendDocument(self, bot: BotState, p: dict[str, Any]) -> Any:
        return await self._send_media(bot, p, "sendDocument", "document")

    async def _api_sendPhoto(self, bot: BotState, p: dict[str, Any]) -> Any:
        return await self._send_media(bot, p, "sendPhoto", "photo")

    async def _api_sendVoice(self, bot: BotState, p: dict[str, Any]) -> Any:
        return await self._send_media(bot, p, "sendVoice", "voice")

    async def _send_media(self, bot: BotState, p: dict[str, Any], method: str, kind: str) -> Any:
        chat = self._chat(bot, p, method)
        if kind not in p:
            raise _missing(method, kind)
        caption: str | None = None
        caption_entities: list[dict[str, Any]] = []
        if p.get("caption"):
            caption, caption_entities = self._format(
                p["caption"],
                p.get("parse_mode"),
                p.get("caption_entities"),
                limit=MAX_CAPTION,
                caption=True,
            )
        media = p[kind]
        if isinstance(media, UploadedFile):
            if not media.content:
                raise ApiError.bad_request("file must be non-empty")
            stored = self._store_file(media, kind, bot.id)
        elif self._own_file(bot, media) is not None:
            stored = self.files[media]
        elif _URL_RE.match(media) and media.lower().startswith("http"):
            stored = self._store_url(media, kind, bot.id)
        else:
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            # Telegram: a document's id cannot be sent as a photo (and so on).
            raise ApiError.bad_request(
                f"can't use file of type {stored.kind.title()} as {kind.title()}"
            )
        self._reachable(chat)
        reply_to = self._reply_to(chat, p)
        markup = self._markup(p.get("reply_markup"), None)
        self._flood(bot, method, chat)
        self._markup(p.get("reply_markup"), chat)
        if stored.file_id not in self.files:
            self.files[stored.file_id] = stored
        message = self._bot_message(
            chat,
            caption=caption or None,
            caption_entities=caption_entities,
            reply_markup=markup,
            reply_to=reply_to,
            protected=bool(p.get("protect_content")),
            **{kind: stored},
        )
        return message.to_json()

    def _own_file(self, bot: BotState, file_id: object) -> StoredFile | None:
        """The stored file behind `file_id` if it is this bot's (file ids are per bot)."""
        stored = self.files.get(file_id) if isinstance(file_id, str) else None
        return stored if stored is not None and stored.bot_id == bot.id else None

    def _store_file(self, upload: UploadedFile, kind: str, bot_id: int) -> StoredFile:
        n = next(self._ids)
        prefix, default_name, folder = MEDIA_KINDS[kind]
        filename = upload.filename or default_name
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        return StoredFile(
            file_id=f"{prefix}{n:08d}",
            file_unique_id=f"AgAD{n:08d}",
            filename=filename if kind == "document" else None,
            mime_type=mime if kind != "photo" else None,
            content=upload.content,
            file_path=f"{folder}/file_{n}.{ext}",
            kind=kind,
            bot_id=bot_id,
        )

    def _store_url(self, url: str, kind: str, bot_id: int) -> StoredFile:
        n = next(self._ids)
        prefix, _, folder = MEDIA_KINDS[kind]
        name = url.rstrip("/").rsplit("/", 1)[-1] or "document"
        return StoredFile(
            file_id=f"{prefix}{n:08d}",
            file_unique_id=f"AgAD{n:08d}",
            filename=name,
            mime_type=mimetypes.guess_type(name)[0],
            content=None,
            file_path=f"{folder}/file_{n}",
            url=url,
            kind=kind,
            bot_id=bot_id,
        )

    async def _api_getFile(self, bot: BotState, p: dict[str, Any]) -> Any:
        if "file_id" not in p:
            raise _missing("getFile", "file_id")
        stored = self._own_file(bot, p["file_id"])
        if stored is None:
            raise ApiError.bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.size is not None and stored.size > MAX_DOWNLOAD:
            raise ApiError.bad_request("file is too big")  # "bots can download up to 20MB"
        data: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.size is not None:
            data["file_size"] = stored.size
        return data

    async def _api_editMessageText(self, bot: BotState, p: dict[str, Any]) -> Any:
        message = self._message(bot, p, "editMessageText", verb="edit")
        if "text" not in p:
            raise _missing("editMessageText", "text")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        if message.text is None:
            raise ApiError.bad_request("there is no text in the message to edit")
        text, entities = self._format(
            p["text"], p.get("parse_mode"), p.get("entities"), limit=MAX_TEXT, caption=False
        )
        markup = self._markup(p.get("reply_markup"), None)
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise ApiError.bad_request(NOT_MODIFIED)
        message.history.append(message.snapshot())
        message.text, message.entities, message.reply_markup = text, entities, markup
        message.edit_date = self.now()
        self._log(message.chat, "bot", f"✏️ Bot edited #{message.message_id}: {message.render()}")
        return message.to_json()

    async def _api_editMessageCaption(self, bot: BotState, p: dict[str, Any]) -> Any:
        message = self._message(bot, p, "editMessageCaption", verb="edit")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        if message.media is None:
            raise ApiError.bad_request("there is no caption in the message to edit")
        caption, entities = self._format(
            p.get("caption", ""),
            p.get("parse_mode"),
            p.get("caption_entities"),
            limit=MAX_CAPTION,
            caption=True,
        )
        markup = self._markup(p.get("reply_markup"), None)
        new = (caption or None, entities, markup)
        if new == (message.caption, message.caption_entities, message.reply_markup):
            raise ApiError.bad_request(NOT_MODIFIED)
        message.history.append(message.snapshot())
        message.caption, message.caption_entities, message.reply_markup = new
        message.edit_date = self.now()
        self._log(message.chat, "bot", f"✏️ Bot edited #{message.message_id}: {message.render()}")
        return message.to_json()

    async def _api_editMessageReplyMarkup(self, bot: BotState, p: dict[str, Any]) -> Any:
        message = self._message(bot, p, "editMessageReplyMarkup", verb="edit")
        if not message.from_bot:
            raise ApiError.bad_request("message can't be edited")
        markup = self._markup(p.get("reply_markup"), None)
        if markup == message.reply_markup:
            raise ApiError.bad_request(NOT_MODIFIED)
        message.history.append(message.snapshot())
        message.reply_markup = markup
        message.edit_date = self.now()
        buttons = message.render().split("\n", 1)[1:] or ["(buttons removed)"]
        self._log(
            message.chat,
            "bot",
            f"✏️ Bot changed the buttons of #{message.message_id}:\n{buttons[0]}",
        )
        return message.to_json()

    async def _api_deleteMessage(self, bot: BotState, p: dict[str, Any]) -> Any:
        message = self._message(bot, p, "deleteMessage", verb="delete")
        self._delete(message)
        return True

    async def _api_deleteMessages(self, bot: BotState, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p, "deleteMessages")
        ids = p.get("message_ids")
        if not ids:
            raise _missing("deleteMessages", "message_ids")
        if len(ids) > 100:
            raise ApiError.bad_request("too many messages to delete")
        for message_id in ids:
            message = chat.get(message_id)
            if message is not None:
                self._delete(message)
        return True

    def _delete(self, message: FakeMessage) -> None:
        group = message.chat.group
        if group is not None and not message.from_bot and not group.bot_is_admin:
            raise ApiError.bad_request("message can't be deleted")
        message.deleted = True
        self._log(message.chat, "bot", f"🗑 Bot deleted #{message.message_id}")

    async def _api_answerCallbackQuery(self, bot: BotState, p: dict[str, Any]) -> Any:
        query_id = p.get("callback_query_id")
        query = bot.callback_queries.get(query_id) if query_id else None
        if query is None or query.answered:
            raise ApiError.bad_request(QUERY_TOO_OLD)
        text = p.get("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            query_id=query.id,
            text=text,
            show_alert=bool(p.get("show_alert")),
            url=p.get("url"),
            cache_time=p.get("cache_time"),
        )
        query.answer = answer
        query.user.callback_answers.append(answer)
        if text:
            kind = "alert" if answer.show_alert else "toast"
            self._log(query.chat, "bot", f"💬 Bot answered the tap ({kind}): {text}")
        else:
            self._log(query.chat, "bot", "💬 Bot answered the tap")
        return True

    async def _api_sendChatAction(self, bot: BotState, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p, "sendChatAction")
        action = p.get("action")
        if not action:
            raise _missing("sendChatAction", "action")
        if action not in _CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        self._reachable(chat)
        self.chat_actions.append((chat.id, action))
        return True

    async def _api_setMyCommands(self, bot: BotState, p: dict[str, Any]) -> Any:
        if "commands" not in p:
            raise _missing("setMyCommands", "commands")
        commands = p["commands"]
        if len(commands) > 100:
            raise ApiError.bad_request("too many commands")
        for command in commands:
            if not _COMMAND_NAME_RE.match(command["command"].removeprefix("/")):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"].strip()) <= 256:
                raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = bot.commands_for(p.get("scope"), p.get("language_code"))
        bot.commands[key] = [
            {"command": c["command"].removeprefix("/"), "description": c["description"]}
            for c in commands
        ]
        return True

    async def _api_getMyCommands(self, bot: BotState, p: dict[str, Any]) -> Any:
        key = bot.commands_for(p.get("scope"), p.get("language_code"))
        return copy.deepcopy(bot.commands.get(key, []))

    async def _api_deleteMyCommands(self, bot: BotState, p: dict[str, Any]) -> Any:
        bot.commands.pop(bot.commands_for(p.get("scope"), p.get("language_code")), None)
        return True

    async def _api_setMyDescription(self, bot: BotState, p: dict[str, Any]) -> Any:
        return self._set_text(bot.descriptions, p, "description", 512)

    async def _api_getMyDescription(self, bot: BotState, p: dict[str, Any]) -> Any:
        return {"description": bot.descriptions.get(p.get("language_code") or "", "")}

    async def _api_setMyShortDescription(self, bot: BotState, p: dict[str, Any]) -> Any:
        return self._set_text(bot.short_descriptions, p, "short_description", 120)

    async def _api_getMyShortDescription(self, bot: BotState, p: dict[str, Any]) -> Any:
        lang = p.get("language_code") or ""
        return {"short_description": bot.short_descriptions.get(lang, "")}

    async def _api_setMyName(self, bot: BotState, p: dict[str, Any]) -> Any:
        return self._set_text(bot.names, p, "name", 64)

    async def _api_getMyName(self, bot: BotState, p: dict[str, Any]) -> Any:
        return {"name": bot.names.get(p.get("language_code") or "", bot.first_name)}

    def _set_text(self, store: dict[str, str], p: dict[str, Any], field: str, limit: int) -> bool:
        value = p.get(field) or ""
        if len(value) > limit:
            raise ApiError.bad_request(f"{field} is too long")
        lang = p.get("language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise ApiError.bad_request("invalid language code specified")
        if value:
            store[lang] = value
        else:
            store.pop(lang, None)
        return True

    async def _api_getChat(self, bot: BotState, p: dict[str, Any]) -> Any:
        return self._chat(bot, p, "getChat").to_full_json()


_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "sendMessage": ("text",),
    "editMessageText": ("text",),
    "answerCallbackQuery": ("text",),
    "sendDocument": ("caption",),
    "sendPhoto": ("caption",),
    "sendVideo": ("caption",),
    "sendAudio": ("caption",),
    "sendVoice": ("caption",),
    "sendAnimation": ("caption",),
    "editMessageCaption": ("caption",),
    "sendPoll": ("question",),
}


def _matches(violation: Violation, pattern: str | re.Pattern[str], method: str | None) -> bool:
    if method is not None and violation.method.lower() != method.lower():
        return False
    if isinstance(pattern, str):
        return pattern in violation.description
    return pattern.search(violation.description) is not None


def format_violations(violations: list[Violation], transcript: str = "") -> str:
    lines = [f"fakegram: {len(violations)} unexpected Bot API violation(s):"]
    lines += [f"  {i}. {v}" for i, v in enumerate(violations, 1)]
    lines.append(
        "Declare expected ones with fake.allow(...), fake.expect_violation(...) or "
        "@pytest.mark.fakegram_allow(...)."
    )
    if transcript:
        lines += ["Transcript:", transcript]
    return "\n".join(lines)


def _short(value: Any, limit: int = 80) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
