"""Telegram's flood control for every request outside the outbox: one session middleware.

Telegram allows about one message a second per chat and answers more with 429 and a
`retry_after`. The outbox paces its own sends and pauses all of them on a 429 (see
`bot.scheduler.outbox`); everything else a handler sends (an answer, an edit, a document)
goes through `RetryAfterMiddleware`, installed once on the bot's session in `create_bot`:
on `TelegramRetryAfter` it waits `retry_after` seconds and sends the same request again, at
most `max_retries` times and never for longer than `max_wait` seconds at once; past that the
error goes to the caller as before. The wait goes through the injected `sleep`, so a test
drives it without waiting.

The outbox marks its own sends (`outbox_sending`) and gets the 429 itself, as it always did.
`getUpdates` is left to aiogram's polling loop, which has its own back-off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

log = logging.getLogger(__name__)
T = TypeVar("T")


async def until_reached(call: Callable[[], Awaitable[T]]) -> T:
    """A call to Telegram at start-up (getMe, setWebhook, deleteWebhook), tried again while
    Telegram cannot be reached (doubling the wait up to a minute) or asks to wait."""
    from aiogram.exceptions import TelegramNetworkError, TelegramServerError

    delay = 1.0
    while True:
        try:
            return await call()
        except TelegramRetryAfter as exc:
            await asyncio.sleep(exc.retry_after)
        except (TelegramNetworkError, TelegramServerError) as exc:
            log.warning("Telegram cannot be reached (%s); trying again in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


Sleep = Callable[[float], Awaitable[Any]]

_OUTBOX: ContextVar[bool] = ContextVar("kenes_outbox_sending", default=False)


@contextmanager
def outbox_sending() -> Iterator[None]:
    """Requests made inside get a 429 as an error: the outbox paces and pauses by itself."""
    token = _OUTBOX.set(True)
    try:
        yield
    finally:
        _OUTBOX.reset(token)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """On 429: wait `retry_after` and send again (bounded); counts what it did."""

    def __init__(
        self, *, max_retries: int = 3, max_wait: float = 60.0, sleep: Sleep | None = None
    ) -> None:
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep: Sleep = sleep or asyncio.sleep
        self.waits: list[float] = []  # every wait, in seconds (the tests read it)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if _OUTBOX.get() or isinstance(method, GetUpdates):
            return await make_request(bot, method)
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                if attempt >= self.max_retries or wait > self.max_wait:
                    log.warning(
                        "429 on %s: retry_after %s s, giving up after %d retries",
                        method.__api_method__,
                        exc.retry_after,
                        attempt,
                    )
                    raise
                attempt += 1
                log.info(
                    "429 on %s: waiting %s s (retry %d of %d)",
                    method.__api_method__,
                    exc.retry_after,
                    attempt,
                    self.max_retries,
                )
                self.waits.append(wait)
                await self.sleep(wait)
