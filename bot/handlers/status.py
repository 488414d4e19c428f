"""/status for the chair, the deputy directors and admins: one screen (a bar per section, who is
behind, the next session and its unready reports); "Details" pages per section, an item's full
title, who cannot be reached - each in the same message, with Back."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import StatusAction, StatusCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.filters import HasPerm, PrivateChat
from bot.permissions import Perm
from bot.screens import show
from bot.services.status import (
    item_screen,
    load_status,
    main_screen,
    reach_screen,
    section_screen,
)
from bot.texts import t


def router_factory() -> Router:
    router = Router(name="status")
    router.message.filter(PrivateChat(), HasPerm(Perm.VIEW_STATUS))
    router.callback_query.filter(HasPerm(Perm.VIEW_STATUS))
    router.message.register(status, Command("status"))
    router.callback_query.register(navigate, StatusCb.filter())
    return router


async def status(
    message: Message,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
) -> None:
    found = await load_status(session, plan, calendar, clock.now(), lang=lang)
    text, markup = main_screen(lang, found)
    await message.answer(text, reply_markup=markup)


async def navigate(
    query: CallbackQuery,
    callback_data: StatusCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
) -> None:
    found = await load_status(session, plan, calendar, clock.now(), lang=lang)
    action = callback_data.action
    if action is StatusAction.SECTION:
        screen = section_screen(lang, found, callback_data.num, calendar)
    elif action is StatusAction.ITEM:
        screen = item_screen(lang, found, callback_data.key)
    elif action is StatusAction.REACH:
        screen = reach_screen(lang, found)
    else:
        screen = main_screen(lang, found)
    if screen is None:
        await query.answer(t(lang, "z_gone"), show_alert=True)
        return
    await show(query, *screen)
