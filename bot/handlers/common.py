"""/help (fits the user's role), /cancel (gets out of any dialogue), /language."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import LangCb
from bot.commands import commands_for, refresh_menu
from bot.filters import Inline, PrivateChat
from bot.keyboards import language_kb
from bot.texts import LANGUAGES, t
from db.models import Account, Language, Person


def router_factory() -> Router:
    router = Router(name="common")
    router.message.filter(PrivateChat())
    router.message.register(cancel, Command("cancel"))
    router.message.register(
        cancel, Inline(F.text.casefold().in_({"болдырмау", "отмена", "cancel"}))
    )
    router.message.register(help_, Command("help"))
    router.message.register(language, Command("language"))
    router.callback_query.register(language_set, LangCb.filter(F.lang.in_(LANGUAGES)))
    return router


async def cancel(message: Message, state: FSMContext, lang: str) -> None:
    had_dialogue = await state.get_state() is not None
    await state.clear()
    await message.answer(t(lang, "cancel_done" if had_dialogue else "cancel_nothing"))


async def help_(message: Message, person: Person, lang: str) -> None:
    lines = [t(lang, "help_head")]
    lines += [f"/{c.command} — {c.description}" for c in commands_for(lang, person.roles)]
    await message.answer("\n".join(lines))


async def language(message: Message, lang: str) -> None:
    await message.answer(t(lang, "language_choose"), reply_markup=language_kb())


async def language_set(
    query: CallbackQuery,
    callback_data: LangCb,
    account: Account,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    row = await session.get(Account, account.id)  # `account` may be the front door's copy
    if row is None:
        await query.answer(t(callback_data.lang, "stale_button"), show_alert=True)
        return
    row.language = Language(callback_data.lang)
    chat_id = row.chat_id
    await session.commit()
    if isinstance(query.message, Message):
        await query.message.edit_text(t(callback_data.lang, "language_set"))
    await query.answer()
    await refresh_menu(bot, chat_id, callback_data.lang, person.roles)  # the menu speaks it too
