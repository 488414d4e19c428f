"""Keeps aiogram's response classes alive, so that pydantic does not build them again.

For every request aiogram's session parses the answer as ``Response[<the method's result>]``,
a pydantic generic class that pydantic builds on first use (about 25 ms) and keeps only in a
weak cache. Nothing else holds it, so the garbage collector drops it now and then, and the next
request builds it again: in `bench/bench_frontdoor.py` (issue #16) about one request in twenty
paid for it, a third of Kenes' time per update. This session middleware holds each class it
sees once for the life of the process (a few dozen: one per result type).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

_KEPT: dict[Any, type[Any]] = {}


class KeepResponseTypes(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
