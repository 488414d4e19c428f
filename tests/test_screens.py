"""bot.screens: an edit that changes nothing is not sent (Telegram would refuse it)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.screens import edit, edit_markup
from fakegram import FakeTelegram


def markup(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data="x1:" + label)]]
    )


async def test_the_same_buttons_are_not_sent_again(
    fakegram: FakeTelegram, fakegram_bot: Bot
) -> None:
    alice = fakegram.user(first_name="Alice")
    await alice.send("/start")
    # A message as it comes back from Telegram: its markup carries the bot, and so never
    # equals (`==`) one built anew.
    sent = await fakegram_bot.send_message(alice.id, "Келесіз бе?", reply_markup=markup("a"))
    assert sent.reply_markup != markup("a")
    await edit_markup(sent, markup("a"))
    await edit(sent, "Келесіз бе?", markup("a"))
    assert fakegram.calls_to("editMessageReplyMarkup") == []
    assert fakegram.calls_to("editMessageText") == []
    await edit_markup(sent, markup("b"))
    assert len(fakegram.calls_to("editMessageReplyMarkup")) == 1
