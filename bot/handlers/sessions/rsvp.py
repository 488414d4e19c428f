"""RSVP on a session's reminder: a council member taps "I'll come" or "I can't"; the chair sees
the count on the session's card (/sessions). Any staff member who got the reminder may answer;
a session already held, or one that is not there, gets a clear answer and changes nothing."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import RsvpCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.keyboards import rsvp_kb
from bot.screens import edit_markup
from bot.services import sessions as svc
from bot.texts import t
from db.models import Person


def router_factory() -> Router:
    router = Router(name="rsvp")
    router.callback_query.register(answer, RsvpCb.filter())
    return router


async def answer(
    query: CallbackQuery,
    callback_data: RsvpCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    person: Person,
    lang: str,
) -> None:
    view = await svc.get_view(session, plan, calendar, callback_data.num)
    if view is None or callback_data.coming not in (0, 1) or person.id is None:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    if view.held:
        await query.answer(t(lang, "ses_err_held"), show_alert=True)
        return
    coming = bool(callback_data.coming)
    changed = await svc.set_rsvp(
        session, calendar.year, view.number, person.id, coming, clock.now()
    )
    if changed:  # a repeated tap: the first one already ticked it
        await edit_markup(query.message, rsvp_kb(lang, view.number, coming))
    await query.answer(t(lang, "rsvp_yes_saved" if coming else "rsvp_no_saved"))
