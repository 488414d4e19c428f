"""The baseline of `bench_frontdoor.py`: a bare aiogram echo bot, as aiogram's own example.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT python bench/echo_bot.py

It answers every message with its text and every button tap by redrawing its buttons and
a bare answer, logs at INFO
like aiogram's example (aiogram logs a line per update, as it does in Kenes), and stops on
SIGTERM / SIGINT. No database, no middlewares, no state.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

BUTTONS = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]
)


def echo_dispatcher(same: dict[str, Any] | None = None) -> Dispatcher:
    """`same`: {"texts": {text: reply}, "buttons": markup} to send the bytes Kenes sends
    (ECHO_SAME, a JSON file), so that both bots' replies cost the same to encode and parse."""
    texts: dict[str, str] = (same or {}).get("texts", {})
    buttons = (
        InlineKeyboardMarkup.model_validate(same["buttons"])
        if same and "buttons" in same
        else BUTTONS
    )
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        text = message.text or "?"
        await message.answer(texts.get(text, text))

    @router.callback_query()
    async def tap(query: CallbackQuery) -> None:
        if isinstance(query.message, Message):  # redraw the buttons, as a "back" button does
            with suppress(TelegramBadRequest):  # "message is not modified": tapped again
                await query.message.edit_reply_markup(reply_markup=buttons)
        await query.answer()

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def main(same: dict[str, Any] | None) -> None:
    session = AiohttpSession()
    session.api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"].rstrip("/"))
    bot = Bot(
        os.environ["BOT_TOKEN"],
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),  # as Kenes'
    )
    dp = echo_dispatcher(same)
    await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    path = os.environ.get("ECHO_SAME")
    asyncio.run(main(json.loads(Path(path).read_text(encoding="utf-8")) if path else None))
