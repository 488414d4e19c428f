"""Helpers shared by the /sessions screens: stale answers, showing a screen, the dialogue check,
how a session's date reads."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.escape import quote
from bot.names import who_text
from bot.screens import show
from bot.services import sessions as svc
from bot.services.tasks import fmt_when
from bot.texts import t


async def forbidden(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "not_allowed"), show_alert=True)


async def stale(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "stale_button"), show_alert=True)


async def show_screen(
    where: CallbackQuery | Message, text: str, kb: InlineKeyboardMarkup | None = None
) -> None:
    """A tap edits its screen, then stops the spinner; typed text gets a new message."""
    if isinstance(where, Message):
        await where.answer(text, reply_markup=kb)
    else:
        await show(where, text, kb)


async def in_dialogue(
    query: CallbackQuery, state: FSMContext, wanted: str | tuple[str, ...], num: int, lang: str
) -> dict[str, Any] | None:
    """The dialogue's data if this button belongs to it, else a stale answer and None."""
    current = await state.get_state()
    data = await state.get_data()
    states = (wanted,) if isinstance(wanted, str) else wanted
    if current not in states or data.get("num") != num:
        await stale(query, lang)
        return None
    return data


def when_text(lang: str, view: svc.SessionView, calendar: SchoolCalendar) -> str:
    if view.held and view.row is not None and view.row.held_at is not None:
        local = view.row.held_at.astimezone(calendar.tz)
        return t(lang, "ses_held_on", date=fmt_when(lang, local, clock=False))
    if view.scheduled_at is not None:
        return fmt_when(lang, view.scheduled_at.astimezone(calendar.tz))
    if view.plan_day is not None:
        return fmt_when(lang, datetime.combine(view.plan_day, time(15, 0), calendar.tz))
    month = t(lang, f"ses_month_{view.month}") if view.month else "?"
    return t(lang, "ses_month_only", month=month)


def who(plan: Plan, point: Any, lang: str = "kk", *, admin: bool = False) -> str:
    """An agenda point's reporters as the plan names them, in `lang` (vacancies: only for
    the admin)."""
    return who_text(plan, point.reporters, lang, admin=admin)


def icon(view: svc.SessionView) -> str:
    if view.held:
        return "✅"
    return "📅" if view.scheduled_at is not None or view.plan_day is not None else "❓"


def place_suffix(lang: str, place: str | None) -> str:
    return t(lang, "ses_place_suffix", place=quote(place)) if place else ""


def too_long(text: str, limit: int) -> bool:
    return len(text) > limit


async def error(where: CallbackQuery | Message, lang: str, text: str) -> None:
    """A refusal: an alert on a tap, a message on typed text. Nothing changes."""
    if isinstance(where, CallbackQuery):
        await where.answer(text[:200], show_alert=True)
    else:
        await where.answer(text)
