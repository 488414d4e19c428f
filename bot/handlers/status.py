"""/status for the chair, the deputy directors and admins: plan progress, sessions, reach."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.filters import HasPerm, PrivateChat
from bot.permissions import Perm
from bot.services.status import load_status, render_status


def router_factory() -> Router:
    router = Router(name="status")
    router.message.filter(PrivateChat(), HasPerm(Perm.VIEW_STATUS))
    router.message.register(status, Command("status"))
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
    for part in render_status(lang, found, calendar):
        await message.answer(part)
