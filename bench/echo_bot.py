"""The baseline of `bench_frontdoor.py`: a bare aiogram echo bot, as aiogram's own example.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT python bench/echo_bot.py

It answers every message with its text and every button tap by redrawing its buttons and
a bare answer, logs at INFO
like aiogram's example (aiogram logs a line per update, as it does in Kenes), and stops on
SIGTERM / SIGINT. No database, no middlewares, no state.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from contextlib import suppress

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


def echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    @router.callback_query()
    async def tap(query: CallbackQuery) -> None:
        if isinstance(query.message, Message):  # redraw the buttons, as a "back" button does
            with suppress(TelegramBadRequest):  # "message is not modified": tapped again
                await query.message.edit_reply_markup(reply_markup=BUTTONS)
        await query.answer()

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def main() -> None:
    session = AiohttpSession()
    session.api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"].rstrip("/"))
    bot = Bot(
        os.environ["BOT_TOKEN"],
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),  # as Kenes'
    )
    dp = echo_dispatcher()
    await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout)
    asyncio.run(main())
