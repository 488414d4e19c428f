"""The commands menu per language and role (`setMyCommands`), and /help: exactly what the
permission table (`bot.permissions`) lets a person use, in their language.

Everyone in a private chat first sees the staff's common menu; each joined person gets their
own menu (scope: their chat), set when they join, when their roles change, when they pick
another /language, and for everyone at start."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.permissions import Perm, can
from bot.texts import LANGUAGES, t

log = logging.getLogger(__name__)

EVERYONE = ("tasks", "today", "help", "language", "cancel")
# The command each permission opens (a command listed under several opens for any of them).
BY_PERMISSION: dict[Perm, tuple[str, ...]] = {
    Perm.MANAGE_STAFF: ("staff", "invite", "plan"),
    Perm.REASSIGN: ("reassign",),
    Perm.MANAGE_SESSIONS: ("sessions",),
    Perm.VIEW_STATUS: ("status",),
    Perm.FILE_INCIDENT: ("incident",),
    Perm.READ_ALL_INCIDENTS: ("students",),
    Perm.READ_CLASS_INCIDENTS: ("students",),
    Perm.DOC_COUNCIL: ("documents",),
    Perm.DOC_REGISTER: ("documents",),
    Perm.DOC_CASE_FILE: ("documents",),
}


def commands_for(lang: str, roles: Iterable[str]) -> list[BotCommand]:
    return list(_commands(lang, frozenset(roles)))


@cache
def _commands(lang: str, roles: frozenset[str]) -> tuple[BotCommand, ...]:
    names = list(EVERYONE)
    for perm, extra in BY_PERMISSION.items():
        if can(roles, perm):
            names += [name for name in extra if name not in names]
    return tuple(BotCommand(command=name, description=t(lang, f"cmd_{name}")) for name in names)


async def set_default_commands(bot: Bot) -> None:
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(commands_for("kk", ()), scope=scope)
    for lang in LANGUAGES:
        await bot.set_my_commands(commands_for(lang, ()), scope=scope, language_code=lang)


async def set_personal_commands(bot: Bot, chat_id: int, lang: str, roles: Iterable[str]) -> None:
    """The menu of one chat: this person's commands in their language."""
    await bot.set_my_commands(
        commands_for(lang, roles), scope=BotCommandScopeChat(chat_id=chat_id)
    )


async def refresh_menu(bot: Bot, chat_id: int, lang: str, roles: Iterable[str]) -> bool:
    """`set_personal_commands`, logged (by chat id) instead of failing the caller when
    Telegram refuses: the menu is a convenience, the answer the person waits for is not."""
    try:
        await set_personal_commands(bot, chat_id, lang, roles)
    except TelegramAPIError as exc:
        log.info("could not set the menu of chat %s: %s", chat_id, exc)
        return False
    return True
