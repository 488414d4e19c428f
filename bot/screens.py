"""Showing a new screen in place of the tapped message: one way, for every feature.

Telegram refuses an edit that changes nothing ("message is not modified"); a repeated tap or a
screen shown twice must not turn that into an error, and the strict fake server counts every
refused call, so the edit is skipped when the message already shows the screen.
"""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessageUnion,
    Message,
)

from bot.protect import protecting


def same_markup(shown: InlineKeyboardMarkup | None, new: InlineKeyboardMarkup | None) -> bool:
    """The buttons are the same. Not `==`: a markup that came in an update carries its bot (a
    private attribute pydantic compares), so it never equals one built here."""
    if shown is None or new is None:
        return shown is new
    return shown.model_dump(exclude_none=True) == new.model_dump(exclude_none=True)


async def edit(
    message: MaybeInaccessibleMessageUnion | None, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Make `message` show `text` and `markup`. A message too old to edit is left alone. In a
    protected screen (`bot.protect`), an unprotected message is not edited into it: the screen
    comes as a new, protected message (an edit keeps the original's flag)."""
    if not isinstance(message, Message):
        return
    if protecting() and not message.has_protected_content:
        await message.answer(text, reply_markup=markup)
        return
    if message.html_text == text and same_markup(message.reply_markup, markup):
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def edit_markup(
    message: MaybeInaccessibleMessageUnion | None, markup: InlineKeyboardMarkup | None
) -> None:
    """Change only the buttons of `message`."""
    if not isinstance(message, Message) or same_markup(message.reply_markup, markup):
        return
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def show(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """The tapped message becomes the new screen; then the button's spinner stops (so the
    answer to the tap means "it is there")."""
    await edit(query.message, text, markup)
    await query.answer()
