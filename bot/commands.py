"""The commands menu per language and role (`setMyCommands`)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.permissions import Perm, can
from bot.texts import LANGUAGES, t

EVERYONE = ("tasks", "today", "help", "language", "cancel")
BY_PERMISSION: dict[Perm, tuple[str, ...]] = {
    Perm.MANAGE_STAFF: ("staff", "invite", "plan"),
    Perm.REASSIGN: ("reassign",),
    Perm.MANAGE_SESSIONS: ("sessions",),
    Perm.VIEW_STATUS: ("status",),
    Perm.FILE_INCIDENT: ("incident", "students"),
    Perm.DOC_COUNCIL: ("documents",),
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
    """Commands for one chat, when the role gives more than everyone has (admins)."""
    await bot.set_my_commands(
        commands_for(lang, roles), scope=BotCommandScopeChat(chat_id=chat_id)
    )
