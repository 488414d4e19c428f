"""/sessions: the year's sessions and a session's card (its agenda, with the flagged cases of
3.5 counted)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import SessionCb
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import title_of
from bot.escape import quote
from bot.handlers.sessions.common import icon, show_screen, stale, when_text, who
from bot.handlers.sessions.keyboards import card_kb, list_kb, recorded_kb
from bot.permissions import Perm, can
from bot.services import sessions as svc
from bot.services.students import council_cases
from bot.services.tasks import fmt_when
from bot.texts import t
from db.models import Person


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
                icon=icon(v),
                number=v.number,
                extra=extra,
                when=when_text(lang, v, calendar),
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
    await show_screen(query, text, kb)


async def open_tap(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    view = await svc.get_view(session, plan, calendar, callback_data.num)
    if view is None:
        await stale(query, lang)
        return
    await state.clear()
    if view.held:
        await show_screen(
            query, await summary(session, lang, calendar, view), recorded_kb(lang, view)
        )
        return
    if view.extraordinary:
        agenda = (await svc.extraordinary_agendas(session, calendar.year)).get(view.number)
        points = [quote(agenda)] if agenda else []
    else:
        admin = can(person.roles, Perm.MANAGE_STAFF)
        points = [
            f"{a.number}. {quote(title_of(a, lang, f'council-{view.number}.{a.number}'))}"
            + (f" — {quote(names)}" if (names := who(plan, a, lang, admin=admin)) else "")
            for a in plan.session(view.number).agenda
        ]
    state_key = "ses_state_set" if icon(view) == "📅" else "ses_state_month"
    text = t(
        lang,
        "ses_card",
        number=view.number,
        extra=t(lang, "ses_extra_tag") if view.extraordinary else "",
        when=when_text(lang, view, calendar),
        place=quote(view.place or t(lang, "dash")),
        state=t(lang, state_key),
    )
    yes, no = await svc.rsvp_counts(session, calendar.year, view.number)
    if yes or no:
        text += "\n" + t(lang, "ses_rsvp", yes=yes, no=no)
    cases = await council_cases(session)
    if cases and not view.extraordinary:
        points.append(t(lang, "rec_cases_point", n=len(points) + 1, count=len(cases)))
    if points:
        text += "\n\n" + t(lang, "ses_agenda_head") + "\n" + "\n".join(points)
    await show_screen(query, text, card_kb(lang, view))


async def summary(
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
