"""/sessions: setting or moving a session's date, time and place; calling an extraordinary
session (its members are told through the outbox)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import SessionAction, SessionCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.escape import quote
from bot.handlers.sessions.common import (
    error,
    in_dialogue,
    place_suffix,
    show_screen,
    stale,
    too_long,
)
from bot.handlers.sessions.keyboards import back_kb, day_kb, skip_kb, time_kb
from bot.scheduler.outbox import enqueue
from bot.services import sessions as svc
from bot.services.tasks import fmt_when, session_key
from bot.states import SessionForm
from bot.texts import t, tp
from db.models import Person

A = SessionAction


async def date_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    view = await svc.get_view(session, plan, calendar, callback_data.num)
    if view is None:
        await stale(query, lang)
        return
    if view.held:
        await query.answer(t(lang, "ses_err_held"), show_alert=True)
        return
    await state.set_state(SessionForm.day)
    await state.set_data({"num": view.number, "extra": False})
    today = clock.now().astimezone(calendar.tz).date()
    days = svc.day_choices(None if view.extraordinary else view, calendar, today)
    own = None if view.extraordinary else svc.plan_day(plan, calendar, view.number)
    if own is not None and svc.check_day(view, own, calendar, today):
        own = None  # past, or not a school day: nothing to offer
    await show_screen(
        query,
        t(lang, "ses_ask_day", number=view.number),
        day_kb(lang, view.number, days, own),
    )


async def extra_tap(
    query: CallbackQuery,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    await state.set_state(SessionForm.day)
    await state.set_data({"num": 0, "extra": True})
    today = clock.now().astimezone(calendar.tz).date()
    days = svc.day_choices(None, calendar, today)
    await show_screen(query, t(lang, "ses_ask_day_extra"), day_kb(lang, 0, days))


async def _day_chosen(
    where: CallbackQuery | Message,
    day: date,
    data: dict[str, Any],
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    num = data["num"]
    view = None
    if not data.get("extra"):
        view = await svc.get_view(session, plan, calendar, num)
        if view is None or view.held:
            await state.clear()
            await error(where, lang, t(lang, "ses_err_held" if view else "stale_button"))
            return
        if view.extraordinary:
            view = None  # an extraordinary session: any school day
    today = clock.now().astimezone(calendar.tz).date()
    problem = svc.check_day(view, day, calendar, today)
    if problem:
        month = t(lang, f"ses_month_{view.month}") if view and view.month else ""
        text = t(lang, problem, number=num, month=month, date=day.strftime("%d.%m"))
        await error(where, lang, text)
        return
    await state.set_state(SessionForm.time)
    await state.update_data(day=day.isoformat())
    local = datetime.combine(day, time(12, 0), calendar.tz)
    await show_screen(
        where,
        t(lang, "ses_ask_time", date=fmt_when(lang, local, clock=False)),
        time_kb(lang, num),
    )


async def day_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    data = await in_dialogue(query, state, SessionForm.day.state, callback_data.num, lang)
    if data is None:
        return
    try:
        day = datetime.strptime(callback_data.arg, "%Y%m%d").date()  # noqa: DTZ007 (a date)
    except ValueError:
        await stale(query, lang)
        return
    await _day_chosen(query, day, data, session, plan, calendar, clock, lang, state)


async def day_typed(
    message: Message,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    day = svc.parse_day(message.text or "", calendar)
    if day is None:
        await message.answer(t(lang, "ses_err_day_format"))
        return
    data = await state.get_data()
    await _day_chosen(message, day, data, session, plan, calendar, clock, lang, state)


async def _time_chosen(
    where: CallbackQuery | Message,
    clock_time: time,
    data: dict[str, Any],
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    when = svc.at(calendar, date.fromisoformat(data["day"]), clock_time)
    if when <= clock.now():
        await error(where, lang, t(lang, "ses_err_time_past"))
        return
    await state.set_state(SessionForm.place)
    await state.update_data(time=clock_time.strftime("%H:%M"))
    await show_screen(where, t(lang, "ses_ask_place"), skip_kb(lang, data["num"], A.NO_PLACE))


async def time_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    data = await in_dialogue(query, state, SessionForm.time.state, callback_data.num, lang)
    if data is None:
        return
    choice = svc.parse_time(callback_data.arg[:2] + ":" + callback_data.arg[2:])
    if choice is None or choice.strftime("%H:%M") not in svc.TIME_CHOICES:
        await stale(query, lang)
        return
    await _time_chosen(query, choice, data, calendar, clock, lang, state)


async def time_typed(
    message: Message,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    choice = svc.parse_time(message.text or "")
    if choice is None:
        await message.answer(t(lang, "ses_err_time_format"))
        return
    await _time_chosen(message, choice, await state.get_data(), calendar, clock, lang, state)


async def _place_chosen(
    where: CallbackQuery | Message,
    place: str | None,
    data: dict[str, Any],
    session: AsyncSession,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    if data.get("extra"):
        await state.set_state(SessionForm.agenda)
        await state.update_data(place=place)
        await show_screen(where, t(lang, "ses_ask_agenda"))
        return
    when = svc.at(calendar, date.fromisoformat(data["day"]), time.fromisoformat(data["time"]))
    if when <= clock.now():  # the dialogue took long: the moment has passed meanwhile
        await state.clear()
        await error(where, lang, t(lang, "ses_err_time_past"))
        return
    row = await svc.set_date(
        session, calendar, number=data["num"], when=when, place=place, actor=person,
        now=clock.now(),
    )  # fmt: skip
    await state.clear()
    text = t(
        lang,
        "ses_date_saved",
        number=row.number,
        when=fmt_when(lang, when),
        place=place_suffix(lang, row.place),
    )
    await show_screen(where, text, back_kb(lang))


async def no_place_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    data = await in_dialogue(query, state, SessionForm.place.state, callback_data.num, lang)
    if data is None:
        return
    await _place_chosen(query, None, data, session, calendar, clock, lang, state, person)


async def place_typed(
    message: Message,
    session: AsyncSession,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    place = " ".join((message.text or "").split())
    if too_long(place, svc.PLACE_MAX):
        await message.answer(t(lang, "ses_err_too_long", limit=svc.PLACE_MAX))
        return
    data = await state.get_data()
    await _place_chosen(
        message, place or None, data, session, calendar, clock, lang, state, person
    )


async def agenda_typed(
    message: Message,
    session: AsyncSession,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
    outbox: Any = None,
) -> None:
    agenda = (message.text or "").strip()
    if not agenda:
        await message.answer(t(lang, "ses_err_empty"))
        return
    if too_long(agenda, svc.AGENDA_MAX):
        await message.answer(t(lang, "ses_err_too_long", limit=svc.AGENDA_MAX))
        return
    data = await state.get_data()
    now = clock.now()
    when = svc.at(calendar, date.fromisoformat(data["day"]), time.fromisoformat(data["time"]))
    if when <= now:
        await state.clear()
        await message.answer(t(lang, "ses_err_time_past"))
        return
    row = await svc.call_extraordinary(
        session, calendar, when=when, place=data.get("place"), agenda=agenda, actor=person,
        now=now,
    )  # fmt: skip
    await state.clear()
    told = await _notify_call(session, calendar, row, agenda, person, now, outbox)
    await message.answer(
        t(
            lang,
            "ses_called",
            number=row.number,
            when=fmt_when(lang, when),
            place=place_suffix(lang, row.place),
            people=tp(lang, "n_people", told),
        ),
        reply_markup=back_kb(lang),
    )


async def _notify_call(
    session: AsyncSession,
    calendar: SchoolCalendar,
    row: Any,
    agenda: str,
    actor: Person,
    now: datetime,
    outbox: Any,
) -> int:
    """Tell the council members (not the caller) through the outbox: one row per person under
    ``council-N@year|person|called``; the sender delivers, paced, and handles blocked chats."""
    count = 0
    for member, account in await svc.council_chats(session):
        if member.id == actor.id:
            continue
        lang = str(account.language)
        text = t(
            lang,
            "ses_call_notice",
            number=row.number,
            when=fmt_when(lang, row.scheduled_at.astimezone(calendar.tz)),
            place=place_suffix(lang, row.place),
            agenda=quote(agenda),
        )
        key = session_key(row.number, calendar.year)
        await enqueue(
            session,
            dedup_key=f"{key}|{member.id}|called",
            chat_id=account.chat_id,
            text=text,
            kind="session_called",
            due_at=now,
            now=now,
            person_id=member.id,
            occurrence_key=key,
        )
        count += 1
    await session.commit()
    if outbox is not None:
        outbox.wake()
    return count
