"""/sessions: the year's council sessions; set a date, record a session, call an extraordinary one.

Everything here needs `Perm.MANAGE_SESSIONS` (admin, chair); others get "not allowed". A button
is checked against the dialogue it belongs to (state and session number) and against the
database: a stale or forged one gets a clear answer and changes nothing. The keyboards of this
feature are the pure functions at the end of the module.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import SessionAction, SessionCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.schedule import DEFAULT_POLICY
from bot.escape import quote
from bot.filters import HasPerm, PrivateChat
from bot.permissions import Perm
from bot.scheduler.outbox import enqueue
from bot.screens import show
from bot.services import sessions as svc
from bot.services.tasks import fmt_when, session_key
from bot.states import SessionForm
from bot.texts import t, tp
from db.models import Person

log = logging.getLogger(__name__)
A = SessionAction


def router_factory() -> Router:
    router = Router(name="sessions")
    router.message.filter(PrivateChat(), HasPerm(Perm.MANAGE_SESSIONS))
    allowed = HasPerm(Perm.MANAGE_SESSIONS)
    router.callback_query.register(forbidden, SessionCb.filter(), ~allowed)
    router.message.register(list_cmd, Command("sessions"))

    def cb(handler: Any, action: SessionAction) -> None:
        router.callback_query.register(handler, SessionCb.filter(F.action == action), allowed)

    cb(list_tap, A.LIST)
    cb(open_tap, A.OPEN)
    cb(date_tap, A.DATE)
    cb(extra_tap, A.EXTRA)
    cb(day_tap, A.DAY)
    cb(time_tap, A.TIME)
    cb(no_place_tap, A.NO_PLACE)
    cb(record_tap, A.RECORD)
    cb(edit_tap, A.EDIT)
    cb(held_tap, A.HELD)
    cb(attend_tap, A.ATTEND)
    cb(attend_ok_tap, A.ATTEND_OK)
    cb(owner_tap, A.OWNER)
    cb(no_deadline_tap, A.NO_DEADLINE)
    cb(no_more_tap, A.NO_MORE)
    cb(no_minutes_tap, A.NO_MINUTES)
    msg = router.message.register
    msg(day_typed, SessionForm.day, F.text)
    msg(time_typed, SessionForm.time, F.text)
    msg(place_typed, SessionForm.place, F.text)
    msg(agenda_typed, SessionForm.agenda, F.text)
    msg(held_typed, SessionForm.held, F.text)
    msg(decision_typed, SessionForm.decision, F.text)
    msg(deadline_typed, SessionForm.deadline, F.text)
    msg(minutes_typed, SessionForm.minutes, F.text)
    return router


# --- helpers -------------------------------------------------------------------------------------


async def forbidden(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "not_allowed"), show_alert=True)


async def _stale(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "stale_button"), show_alert=True)


async def _show(
    where: CallbackQuery | Message, text: str, kb: InlineKeyboardMarkup | None = None
) -> None:
    """A tap edits its screen, then stops the spinner; typed text gets a new message."""
    if isinstance(where, Message):
        await where.answer(text, reply_markup=kb)
    else:
        await show(where, text, kb)


async def _in_dialogue(
    query: CallbackQuery, state: FSMContext, wanted: str | tuple[str, ...], num: int, lang: str
) -> dict[str, Any] | None:
    """The dialogue's data if this button belongs to it, else a stale answer and None."""
    current = await state.get_state()
    data = await state.get_data()
    states = (wanted,) if isinstance(wanted, str) else wanted
    if current not in states or data.get("num") != num:
        await _stale(query, lang)
        return None
    return data


def _when_text(lang: str, view: svc.SessionView, calendar: SchoolCalendar) -> str:
    if view.held and view.row is not None and view.row.held_at is not None:
        local = view.row.held_at.astimezone(calendar.tz)
        return t(lang, "ses_held_on", date=fmt_when(lang, local, clock=False))
    if view.scheduled_at is not None:
        return fmt_when(lang, view.scheduled_at.astimezone(calendar.tz))
    if view.plan_day is not None:
        return fmt_when(lang, datetime.combine(view.plan_day, time(15, 0), calendar.tz))
    month = t(lang, f"ses_month_{view.month}") if view.month else "?"
    return t(lang, "ses_month_only", month=month)


def _who(plan: Plan, point: Any) -> str:
    """An agenda point's reporters as the plan names them."""
    names = [plan.person(k).name for k in point.reporters.people]
    names += [plan.group(k).names.kk for k in point.reporters.groups]
    return ", ".join(names)


def _icon(view: svc.SessionView) -> str:
    if view.held:
        return "✅"
    return "📅" if view.scheduled_at is not None or view.plan_day is not None else "❓"


def _place_suffix(lang: str, place: str | None) -> str:
    return t(lang, "ses_place_suffix", place=quote(place)) if place else ""


def _too_long(text: str, limit: int) -> bool:
    return len(text) > limit


# --- the list and the card -----------------------------------------------------------------------


async def _list_screen(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    views = await svc.list_sessions(session, plan, calendar)
    lines = [t(lang, "ses_list_head", year=calendar.year)]
    for v in views:
        extra = t(lang, "ses_extra_tag") if v.extraordinary else ""
        lines.append(
            t(
                lang,
                "ses_line",
                icon=_icon(v),
                number=v.number,
                extra=extra,
                when=_when_text(lang, v, calendar),
            )
        )
    return "\n".join(lines), list_kb(lang, views)


async def list_cmd(
    message: Message,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    lang: str,
    state: FSMContext,
) -> None:
    await state.clear()
    text, kb = await _list_screen(session, plan, calendar, lang)
    await message.answer(text, reply_markup=kb)


async def list_tap(
    query: CallbackQuery,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    lang: str,
    state: FSMContext,
) -> None:
    await state.clear()
    text, kb = await _list_screen(session, plan, calendar, lang)
    await _show(query, text, kb)


async def open_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    lang: str,
    state: FSMContext,
) -> None:
    view = await svc.get_view(session, plan, calendar, callback_data.num)
    if view is None:
        await _stale(query, lang)
        return
    await state.clear()
    if view.held:
        await _show(query, await _summary(session, lang, calendar, view), recorded_kb(lang, view))
        return
    if view.extraordinary:
        agenda = (await svc.extraordinary_agendas(session, calendar.year)).get(view.number)
        points = [quote(agenda)] if agenda else []
    else:
        points = [
            f"{a.number}. {quote(a.title)}"
            + (f" — {quote(who)}" if (who := _who(plan, a)) else "")
            for a in plan.session(view.number).agenda
        ]
    state_key = "ses_state_set" if _icon(view) == "📅" else "ses_state_month"
    text = t(
        lang,
        "ses_card",
        number=view.number,
        extra=t(lang, "ses_extra_tag") if view.extraordinary else "",
        when=_when_text(lang, view, calendar),
        place=quote(view.place or t(lang, "dash")),
        state=t(lang, state_key),
    )
    if points:
        text += "\n\n" + t(lang, "ses_agenda_head") + "\n" + "\n".join(points)
    await _show(query, text, card_kb(lang, view))


# --- setting the date ----------------------------------------------------------------------------


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
        await _stale(query, lang)
        return
    if view.held:
        await query.answer(t(lang, "ses_err_held"), show_alert=True)
        return
    await state.set_state(SessionForm.day)
    await state.set_data({"num": view.number, "extra": False})
    today = clock.now().astimezone(calendar.tz).date()
    days = svc.day_choices(None if view.extraordinary else view, calendar, today)
    await _show(query, t(lang, "ses_ask_day", number=view.number), day_kb(lang, view.number, days))


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
    await _show(query, t(lang, "ses_ask_day_extra"), day_kb(lang, 0, days))


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
            await _error(where, lang, t(lang, "ses_err_held" if view else "stale_button"))
            return
        if view.extraordinary:
            view = None  # an extraordinary session: any school day
    today = clock.now().astimezone(calendar.tz).date()
    problem = svc.check_day(view, day, calendar, today)
    if problem:
        month = t(lang, f"ses_month_{view.month}") if view and view.month else ""
        text = t(lang, problem, number=num, month=month, date=day.strftime("%d.%m"))
        await _error(where, lang, text)
        return
    await state.set_state(SessionForm.time)
    await state.update_data(day=day.isoformat())
    local = datetime.combine(day, time(12, 0), calendar.tz)
    await _show(
        where,
        t(lang, "ses_ask_time", date=fmt_when(lang, local, clock=False)),
        time_kb(lang, num),
    )


async def _error(where: CallbackQuery | Message, lang: str, text: str) -> None:
    """A refusal: an alert on a tap, a message on typed text. Nothing changes."""
    if isinstance(where, CallbackQuery):
        await where.answer(text[:200], show_alert=True)
    else:
        await where.answer(text)


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
    data = await _in_dialogue(query, state, SessionForm.day.state, callback_data.num, lang)
    if data is None:
        return
    try:
        day = datetime.strptime(callback_data.arg, "%Y%m%d").date()  # noqa: DTZ007 (a date)
    except ValueError:
        await _stale(query, lang)
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
        await _error(where, lang, t(lang, "ses_err_time_past"))
        return
    await state.set_state(SessionForm.place)
    await state.update_data(time=clock_time.strftime("%H:%M"))
    await _show(where, t(lang, "ses_ask_place"), skip_kb(lang, data["num"], A.NO_PLACE))


async def time_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    data = await _in_dialogue(query, state, SessionForm.time.state, callback_data.num, lang)
    if data is None:
        return
    choice = svc.parse_time(callback_data.arg[:2] + ":" + callback_data.arg[2:])
    if choice is None or choice.strftime("%H:%M") not in svc.TIME_CHOICES:
        await _stale(query, lang)
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
        await _show(where, t(lang, "ses_ask_agenda"))
        return
    when = svc.at(calendar, date.fromisoformat(data["day"]), time.fromisoformat(data["time"]))
    if when <= clock.now():  # the dialogue took long: the moment has passed meanwhile
        await state.clear()
        await _error(where, lang, t(lang, "ses_err_time_past"))
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
        place=_place_suffix(lang, row.place),
    )
    await _show(where, text, back_kb(lang))


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
    data = await _in_dialogue(query, state, SessionForm.place.state, callback_data.num, lang)
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
    if _too_long(place, svc.PLACE_MAX):
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
    if _too_long(agenda, svc.AGENDA_MAX):
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
            place=_place_suffix(lang, row.place),
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
            place=_place_suffix(lang, row.place),
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


# --- recording a session -------------------------------------------------------------------------


async def _summary(
    session: AsyncSession, lang: str, calendar: SchoolCalendar, view: svc.SessionView
) -> str:
    row = view.row
    assert row is not None and row.held_at is not None
    ids = await svc.attendance(session, row.id)
    people = {p.id: p for p in (await session.exec(select(Person))).all()}
    names = sorted(people[i].name for i in ids if i in people)
    lines = [
        t(
            lang,
            "ses_summary",
            number=row.number,
            date=fmt_when(lang, row.held_at.astimezone(calendar.tz), clock=False),
            count=len(names),
            names=quote(", ".join(names)) or t(lang, "dash"),
        )
    ]
    decisions = await svc.decisions_of(session, row.id)
    if decisions:
        lines.append(t(lang, "ses_summary_decisions"))
        for i, (d, owner) in enumerate(decisions, start=1):
            who = t(lang, "ses_decision_owner", name=quote(owner.name)) if owner else ""
            if d.deadline is not None:
                who += t(
                    lang,
                    "ses_decision_deadline",
                    date=d.deadline.astimezone(calendar.tz).strftime("%d.%m"),
                )
            lines.append(t(lang, "ses_decision_line", i=i, text=quote(d.text), who=who))
    else:
        lines.append(t(lang, "ses_summary_no_decisions"))
    if row.minutes:
        lines.append(t(lang, "ses_summary_minutes", text=quote(row.minutes)))
    return "\n".join(lines)


async def record_tap(
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
        await _stale(query, lang)
        return
    if view.held:
        await state.clear()
        text = (
            t(lang, "ses_already_recorded")
            + "\n\n"
            + await _summary(session, lang, calendar, view)
        )
        await _show(query, text, recorded_kb(lang, view))
        return
    await _start_record(query, view, False, session, calendar, clock, lang, state)


async def edit_tap(
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
    if view is None or not view.held:
        await _stale(query, lang)
        return
    await _start_record(query, view, True, session, calendar, clock, lang, state)


async def _start_record(
    query: CallbackQuery,
    view: svc.SessionView,
    edit: bool,
    session: AsyncSession,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    attended = await svc.attendance(session, view.row.id) if view.row else []
    await state.set_state(SessionForm.held)
    await state.set_data({"num": view.number, "edit": edit, "attended": attended})
    today = clock.now().astimezone(calendar.tz).date()
    default = view.row.held_at if edit and view.row else view.scheduled_at
    if default is None and view.plan_day is not None:
        default = datetime.combine(view.plan_day, DEFAULT_POLICY.session_time, calendar.tz)
    if default is not None and default.astimezone(calendar.tz).date() <= today:
        local = default.astimezone(calendar.tz)
        await _show(
            query,
            t(lang, "ses_ask_held", number=view.number, date=local.strftime("%d.%m")),
            held_kb(lang, view.number, local.strftime("%d.%m")),
        )
        return
    await _show(query, t(lang, "ses_ask_held_typed", number=view.number))


async def _held_chosen(
    where: CallbackQuery | Message,
    held_at: datetime,
    data: dict[str, Any],
    session: AsyncSession,
    plan: Plan,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    if held_at.date() > clock.now().astimezone(held_at.tzinfo).date():
        await _error(where, lang, t(lang, "ses_err_held_future"))
        return
    await state.set_state(SessionForm.attend)
    await state.update_data(held_at=held_at.isoformat())
    people = (await session.exec(select(Person))).all()
    candidates = svc.attendance_candidates(plan, people, data["num"])
    await _show(
        where,
        t(lang, "ses_ask_attend", number=data["num"]),
        attend_kb(lang, data["num"], candidates, data.get("attended", [])),
    )


async def held_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    data = await _in_dialogue(query, state, SessionForm.held.state, callback_data.num, lang)
    if data is None:
        return
    view = await svc.get_view(session, plan, calendar, callback_data.num)
    default = None
    if view is not None:
        default = view.row.held_at if data.get("edit") and view.row else view.scheduled_at
        if default is None and view.plan_day is not None:
            default = datetime.combine(view.plan_day, DEFAULT_POLICY.session_time, calendar.tz)
    if default is None or default.astimezone(calendar.tz).strftime("%d.%m") != callback_data.arg:
        await _stale(query, lang)
        return
    held_at = default.astimezone(calendar.tz)
    await _held_chosen(query, held_at, data, session, plan, clock, lang, state)


async def held_typed(
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
    held_at = svc.at(calendar, day, DEFAULT_POLICY.session_time)
    await _held_chosen(message, held_at, await state.get_data(), session, plan, clock, lang, state)


async def attend_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    plan: Plan,
    lang: str,
    state: FSMContext,
) -> None:
    data = await _in_dialogue(query, state, SessionForm.attend.state, callback_data.num, lang)
    if data is None:
        return
    people = (await session.exec(select(Person))).all()
    candidates = svc.attendance_candidates(plan, people, callback_data.num)
    ids = {p.id for p in candidates}
    pid = int(callback_data.arg) if callback_data.arg.isdigit() else -1
    if pid not in ids:
        await _stale(query, lang)
        return
    attended = list(data.get("attended", []))
    if pid in attended:
        attended.remove(pid)
    else:
        attended.append(pid)
    await state.update_data(attended=attended)
    assert isinstance(query.message, Message)
    await query.message.edit_reply_markup(
        reply_markup=attend_kb(lang, callback_data.num, candidates, attended)
    )
    await query.answer()


async def attend_ok_tap(
    query: CallbackQuery, callback_data: SessionCb, lang: str, state: FSMContext
) -> None:
    data = await _in_dialogue(query, state, SessionForm.attend.state, callback_data.num, lang)
    if data is None:
        return
    await state.set_state(SessionForm.decision)
    await state.update_data(decisions=[], cursor=0)
    await _show(query, t(lang, "ses_ask_decision"), no_more_kb(lang, callback_data.num))


async def _ask_owner(
    where: CallbackQuery | Message,
    data: dict[str, Any],
    session: AsyncSession,
    lang: str,
    state: FSMContext,
) -> None:
    """The next decision without an answer yet asks for its owner; when none is left, back to
    the decisions' text."""
    decisions, cursor = data["decisions"], data["cursor"]
    num = data["num"]
    if cursor >= len(decisions):
        await state.set_state(SessionForm.decision)
        count = tp(lang, "n_decisions", len(decisions))
        await _show(where, t(lang, "ses_decision_added", count=count), no_more_kb(lang, num))
        return
    await state.set_state(SessionForm.owner)
    people = svc.owner_candidates((await session.exec(select(Person))).all())
    text = t(lang, "ses_ask_owner", text=quote(decisions[cursor]["text"]))
    await _show(where, text, owner_kb(lang, num, people))


async def decision_typed(
    message: Message, session: AsyncSession, lang: str, state: FSMContext
) -> None:
    lines = [" ".join(line.split()) for line in (message.text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        await message.answer(t(lang, "ses_err_empty"))
        return
    if any(_too_long(line, svc.DECISION_MAX) for line in lines):
        await message.answer(t(lang, "ses_err_too_long", limit=svc.DECISION_MAX))
        return
    data = await state.get_data()
    decisions = list(data.get("decisions", []))
    cursor = len(decisions)
    decisions += [{"text": line, "owner": None, "deadline": None} for line in lines]
    await state.update_data(decisions=decisions, cursor=cursor)
    await _ask_owner(message, {**data, "decisions": decisions, "cursor": cursor}, session, lang,
                     state)  # fmt: skip


async def owner_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    lang: str,
    state: FSMContext,
) -> None:
    data = await _in_dialogue(query, state, SessionForm.owner.state, callback_data.num, lang)
    if data is None:
        return
    decisions, cursor = list(data["decisions"]), data["cursor"]
    if callback_data.arg == "0":
        data = {**data, "cursor": cursor + 1}
        await state.update_data(cursor=cursor + 1)
        await _ask_owner(query, data, session, lang, state)
        return
    people = svc.owner_candidates((await session.exec(select(Person))).all())
    owner = next((p for p in people if str(p.id) == callback_data.arg), None)
    if owner is None:
        await _stale(query, lang)
        return
    decisions[cursor] = {**decisions[cursor], "owner": owner.id}
    await state.update_data(decisions=decisions)
    await state.set_state(SessionForm.deadline)
    text = t(
        lang, "ses_ask_deadline", text=quote(decisions[cursor]["text"]), name=quote(owner.name)
    )
    await _show(query, text, skip_kb(lang, callback_data.num, A.NO_DEADLINE))


async def no_deadline_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    lang: str,
    state: FSMContext,
) -> None:
    data = await _in_dialogue(query, state, SessionForm.deadline.state, callback_data.num, lang)
    if data is None:
        return
    data = {**data, "cursor": data["cursor"] + 1}
    await state.update_data(cursor=data["cursor"])
    await _ask_owner(query, data, session, lang, state)


async def deadline_typed(
    message: Message,
    session: AsyncSession,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    day = svc.parse_day(message.text or "", calendar)
    if day is None:
        await message.answer(t(lang, "ses_err_day_format"))
        return
    if day < clock.now().astimezone(calendar.tz).date():
        await message.answer(t(lang, "ses_err_past"))
        return
    data = await state.get_data()
    decisions, cursor = list(data["decisions"]), data["cursor"]
    deadline = svc.at(calendar, day, DEFAULT_POLICY.due_time)
    decisions[cursor] = {**decisions[cursor], "deadline": deadline.isoformat()}
    data = {**data, "decisions": decisions, "cursor": cursor + 1}
    await state.update_data(decisions=decisions, cursor=cursor + 1)
    await _ask_owner(message, data, session, lang, state)


async def no_more_tap(
    query: CallbackQuery, callback_data: SessionCb, lang: str, state: FSMContext
) -> None:
    data = await _in_dialogue(query, state, SessionForm.decision.state, callback_data.num, lang)
    if data is None:
        return
    await state.set_state(SessionForm.minutes)
    await _show(query, t(lang, "ses_ask_minutes"), skip_kb(lang, callback_data.num, A.NO_MINUTES))


async def _save_record(
    where: CallbackQuery | Message,
    minutes: str | None,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    data = await state.get_data()
    await state.clear()
    decisions = [
        svc.DecisionInput(
            text=d["text"],
            owner_id=d["owner"],
            deadline=datetime.fromisoformat(d["deadline"]) if d["deadline"] else None,
        )
        for d in data.get("decisions", [])
    ]
    row = await svc.record(
        session,
        calendar,
        number=data["num"],
        held_at=datetime.fromisoformat(data["held_at"]),
        attended=data.get("attended", []),
        decisions=decisions,
        minutes=minutes,
        actor=person,
        now=clock.now(),
        edit=bool(data.get("edit")),
    )
    view = await svc.get_view(session, plan, calendar, data["num"])
    assert view is not None
    head = "ses_already_recorded" if row is None else (
        "ses_edited" if data.get("edit") else "ses_recorded"
    )  # fmt: skip
    text = t(lang, head) + "\n\n" + await _summary(session, lang, calendar, view)
    await _show(where, text, recorded_kb(lang, view))


async def no_minutes_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    data = await _in_dialogue(query, state, SessionForm.minutes.state, callback_data.num, lang)
    if data is None:
        return
    await _save_record(query, None, session, plan, calendar, clock, lang, state, person)


async def minutes_typed(
    message: Message,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    text = (message.text or "").strip()
    if _too_long(text, svc.MINUTES_MAX):
        await message.answer(t(lang, "ses_err_too_long", limit=svc.MINUTES_MAX))
        return
    await _save_record(message, text or None, session, plan, calendar, clock, lang, state, person)


# --- keyboards (pure) ----------------------------------------------------------------------------


def _cb(action: SessionAction, num: int = 0, arg: str = "") -> str:
    return SessionCb(action=action, num=num, arg=arg).pack()


def list_kb(lang: str, views: list[svc.SessionView]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for v in views:
        builder.button(text=f"{_icon(v)} №{v.number}", callback_data=_cb(A.OPEN, v.number))
    builder.button(text=t(lang, "btn_ses_extra"), callback_data=_cb(A.EXTRA))
    sizes = [5] * (len(views) // 5) + ([len(views) % 5] if len(views) % 5 else []) + [1]
    builder.adjust(*sizes)
    return builder.as_markup()


def card_kb(lang: str, view: svc.SessionView) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if not view.held:
        key = "btn_ses_move" if view.scheduled_at is not None else "btn_ses_set_date"
        builder.button(text=t(lang, key), callback_data=_cb(A.DATE, view.number))
    builder.button(text=t(lang, "btn_ses_record"), callback_data=_cb(A.RECORD, view.number))
    builder.button(text=t(lang, "btn_back"), callback_data=_cb(A.LIST))
    builder.adjust(1)
    return builder.as_markup()


def recorded_kb(lang: str, view: svc.SessionView) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, "btn_ses_edit"), callback_data=_cb(A.EDIT, view.number))
    builder.button(text=t(lang, "btn_back"), callback_data=_cb(A.LIST))
    builder.adjust(1)
    return builder.as_markup()


def back_kb(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, "btn_back"), callback_data=_cb(A.LIST))
    return builder.as_markup()


def day_kb(lang: str, num: int, days: list[date]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for d in days:
        builder.button(
            text=d.strftime("%d.%m"), callback_data=_cb(A.DAY, num, d.strftime("%Y%m%d"))
        )
    builder.adjust(4)
    return builder.as_markup()


def time_kb(lang: str, num: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for choice in svc.TIME_CHOICES:
        builder.button(text=choice, callback_data=_cb(A.TIME, num, choice.replace(":", "")))
    builder.adjust(3)
    return builder.as_markup()


def skip_kb(lang: str, num: int, action: SessionAction) -> InlineKeyboardMarkup:
    key = "btn_ses_no_deadline" if action == A.NO_DEADLINE else "btn_ses_skip"
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, key), callback_data=_cb(action, num))
    return builder.as_markup()


def held_kb(lang: str, num: int, ddmm: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=f"✅ {ddmm}", callback_data=_cb(A.HELD, num, ddmm))
    return builder.as_markup()


def attend_kb(
    lang: str, num: int, candidates: list[Person], chosen: list[int]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for p in candidates:
        mark = "☑️" if p.id in chosen else "▫️"
        builder.button(text=f"{mark} {p.name}"[:60], callback_data=_cb(A.ATTEND, num, str(p.id)))
    builder.button(text=t(lang, "btn_ses_attend_ok"), callback_data=_cb(A.ATTEND_OK, num))
    builder.adjust(*([2] * (len(candidates) // 2)), *([1] * (len(candidates) % 2)), 1)
    return builder.as_markup()


def no_more_kb(lang: str, num: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, "btn_ses_no_more"), callback_data=_cb(A.NO_MORE, num))
    return builder.as_markup()


def owner_kb(lang: str, num: int, people: list[Person]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for p in people:
        builder.button(text=p.name[:40], callback_data=_cb(A.OWNER, num, str(p.id)))
    builder.button(text=t(lang, "btn_ses_no_owner"), callback_data=_cb(A.OWNER, num, "0"))
    builder.adjust(*([2] * (len(people) // 2)), *([1] * (len(people) % 2)), 1)
    return builder.as_markup()
