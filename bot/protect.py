"""Screens about children are sent protected: no forwarding, no saving (``protect_content``).

The incidents and students routers (notes, student cards, the register) wrap their handlers in
`ProtectContent`: while one runs, every message it sends (answer, send_message, a photo, a
document, a voice note, a copy) gets ``protect_content=True`` from the bot session's
`ProtectRequests` middleware. One place, not one per call site, so a new screen in those
features cannot forget it.

An edit cannot protect a message that was sent unprotected (Telegram keeps the flag of the
original), so `bot.screens` shows a protected screen as a new message when the tapped message was
not protected (a reminder from the outbox with an "Open card" button, say).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject

_PROTECT: ContextVar[bool] = ContextVar("kenes_protect_content", default=False)


def protecting() -> bool:
    """True while a handler of a protected router runs (in its task)."""
    return _PROTECT.get()


class ProtectContent(BaseMiddleware):
    """A router's inner middleware: what its handlers send is protected."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        token = _PROTECT.set(True)
        try:
            return await handler(event, data)
        finally:
            _PROTECT.reset(token)


def protect(router: Any) -> None:
    """Protect what `router`'s message and button handlers send."""
    router.message.middleware(ProtectContent())
    router.callback_query.middleware(ProtectContent())


class ProtectRequests(BaseRequestMiddleware):
    """The bot session's middleware: a sending method gets ``protect_content=True`` while a
    protected handler runs."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if _PROTECT.get() and "protect_content" in type(method).model_fields:
            method.protect_content = True  # type: ignore[attr-defined]
        return await make_request(bot, method)
