"""Whatever no other router took: unknown commands, stickers and files, stale buttons, errors."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.commands import BY_PERMISSION
from bot.filters import Inline, PrivateChat
from bot.permissions import Perm, can
from bot.texts import t
from db.models import Person

log = logging.getLogger(__name__)
PRIVILEGED = {name for names in BY_PERMISSION.values() for name in names}


def router_factory() -> Router:
    router = Router(name="fallback")
    router.message.filter(PrivateChat())
    router.message.register(command, Inline(F.text.startswith("/")))
    router.message.register(other)
    router.callback_query.register(stale_button)
    router.errors.register(on_error, ExceptionTypeFilter(Exception))
    return router


async def command(message: Message, lang: str) -> None:
    name = (message.text or "/").split()[0][1:].split("@")[0].lower()
    await message.answer(t(lang, "not_allowed" if name in PRIVILEGED else "unknown_command"))


async def other(
    message: Message, lang: str, state: FSMContext, person: Person | None = None
) -> None:
    if await state.get_state() is not None:
        await message.answer(t(lang, "text_expected"))
    else:
        await message.answer(free_text_help(lang, person.roles if person is not None else ()))


# The commands a role most likely wants when it writes free text, most likely first.
LIKELY: tuple[tuple[Perm | None, str], ...] = (
    (Perm.MANAGE_STAFF, "staff"),
    (Perm.VIEW_STATUS, "status"),
    (None, "tasks"),
    (Perm.FILE_INCIDENT, "incident"),
    (Perm.MANAGE_SESSIONS, "sessions"),
    (None, "today"),
    (None, "help"),
)


def free_text_help(lang: str, roles: Iterable[str]) -> str:
    """A short help for free text outside any dialogue: the three most likely actions."""
    roles = list(roles)
    names = [name for perm, name in LIKELY if perm is None or can(roles, perm)][:3]
    actions = "\n".join(f"/{name} — {t(lang, f'cmd_{name}')}" for name in names)
    return t(lang, "free_text_help", actions=actions)


async def stale_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "stale_button"), show_alert=True)


async def on_error(event: ErrorEvent, lang: str = "kk") -> bool:
    """Log the failure (type and update id only: no user text) and apologise in the chat."""
    update = event.update
    log.error(
        "update %s failed: %s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "error_generic")[:200], show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(t(lang, "error_generic"))
    except TelegramAPIError as exc:
        log.warning("could not report the failure of update %s: %s", update.update_id, exc)
    return True
