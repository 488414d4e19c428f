"""/tasks and /today: one message, paged (◀ 1/3 ▶), grouped Overdue / This week / Later.

Each item is a numbered line and a button; a tap shows the item's card in the same message
(Done · Snooze · Can't · Comment, `bot.handlers.tasks`) with Back to the page it came from.
Nothing is sent twice: every screen is an edit of the one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import ListAction, ListCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.routine import SILENT, WEEKLY_CHECKIN
from bot.core.schedule import Occurrence
from bot.core.words import short
from bot.escape import quote
from bot.filters import PrivateChat
from bot.handlers.tasks import show_card
from bot.screens import edit
from bot.services import tasks
from bot.services.assignments import effective_plan
from bot.texts import t, tp
from db.models import Person

PAGE_SIZE = 6
AHEAD = timedelta(days=28)  # /tasks lists what is due within four weeks
TITLE = 48


def router_factory() -> Router:
    router = Router(name="task_list")
    router.message.filter(PrivateChat())
    router.message.register(tasks_list, Command("tasks"))
    router.message.register(today_list, Command("today"))
    router.callback_query.register(page, ListCb.filter(F.action == ListAction.PAGE))
    router.callback_query.register(page, ListCb.filter(F.action == ListAction.BACK))
    router.callback_query.register(open_item, ListCb.filter(F.action == ListAction.OPEN))
    return router


@dataclass(frozen=True, slots=True)
class Listed:
    occ: Occurrence
    group: str  # "overdue", "week", "later"


async def my_work(
    session: AsyncSession,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    *,
    today_only: bool,
) -> list[Listed]:
    """A person's open tasks, soonest first, each in its group. Routine duties answered by the
    weekly check-in (or silent) are not listed day by day."""
    overrides = await tasks.load_overrides(session, calendar)
    local = now.astimezone(calendar.tz)
    plan = await effective_plan(session, plan)
    occs = tasks.occurrences_around(plan, calendar, overrides, local.date())
    roster = await tasks.load_roster(session, plan)
    reports = await tasks.reports_for(session, [o.key for o in occs])
    end_of_day = local.replace(hour=23, minute=59, second=59)
    until = end_of_day if today_only else local + AHEAD
    assert person.id is not None
    joined = roster.joined.get(person.id)
    items = [
        o
        for o in tasks.open_work(
            occs, roster, reports, person.id, now, until=until, closed=overrides.closed
        )
        if o.routine not in (SILENT, WEEKLY_CHECKIN) and (joined is None or o.due >= joined)
    ]
    if today_only:
        items = [o for o in items if o.due <= end_of_day]
    sunday = local.date() + timedelta(days=6 - local.weekday())
    out = []
    for occ in items:
        if occ.due < now:
            group = "overdue"
        elif occ.due.astimezone(calendar.tz).date() <= sunday:
            group = "week"
        else:
            group = "later"
        out.append(Listed(occ, group))
    return out


GROUP_HEAD = {"overdue": "list_overdue", "week": "list_week", "later": "list_later"}


def list_screen(
    lang: str,
    items: list[Listed],
    page_no: int,
    today_only: bool,
    calendar: SchoolCalendar,
    plan: Plan,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page: the head, the groups of this page with numbered lines, a button per item and
    ◀ n/N ▶."""
    if not items:
        return t(lang, "today_none" if today_only else "tasks_none"), None
    pages = -(-len(items) // PAGE_SIZE)
    page_no = min(max(page_no, 0), pages - 1)
    head = "list_head_today" if today_only else "list_head"
    lines = [t(lang, head, tasks=tp(lang, "n_tasks", len(items)))]
    buttons = []
    group = ""
    first = page_no * PAGE_SIZE
    for n, listed in enumerate(items[first : first + PAGE_SIZE], start=first + 1):
        if listed.group != group:
            group = listed.group
            lines += ["", t(lang, GROUP_HEAD[group])]
        occ = listed.occ
        local = occ.due.astimezone(calendar.tz)
        ref, title = tasks.named(lang, occ, plan)
        lines.append(
            t(lang, "list_line", n=n, ref=quote(ref), title=quote(short(title, TITLE)),
              date=f"{local.day} {t(lang, f'month_gen_{local.month}')}")
        )  # fmt: skip
        buttons.append(
            InlineKeyboardButton(
                text=f"{n}. {ref}"[:40],
                callback_data=ListCb(
                    action=ListAction.OPEN, page=page_no, today=int(today_only), occ=occ.key
                ).pack(),
            )
        )
    lines += ["", t(lang, "list_hint")]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if pages > 1:

        def nav(label: str, target: int) -> InlineKeyboardButton:
            return InlineKeyboardButton(
                text=label,
                callback_data=ListCb(
                    action=ListAction.PAGE, page=target, today=int(today_only)
                ).pack(),
            )

        rows.append(
            [
                nav(t(lang, "btn_prev"), (page_no - 1) % pages),
                nav(t(lang, "btn_page", page=page_no + 1, pages=pages), page_no),
                nav(t(lang, "btn_next"), (page_no + 1) % pages),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def _send(
    message: Message, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, *, today_only: bool,
) -> None:  # fmt: skip
    items = await my_work(session, person, plan, calendar, clock.now(), today_only=today_only)
    text, markup = list_screen(lang, items, 0, today_only, calendar, plan)
    await message.answer(text, reply_markup=markup)


async def tasks_list(
    message: Message, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    await _send(message, session, person, plan, calendar, clock, lang, today_only=False)


async def today_list(
    message: Message, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    await _send(message, session, person, plan, calendar, clock, lang, today_only=True)


async def page(
    query: CallbackQuery, callback_data: ListCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    today_only = bool(callback_data.today)
    items = await my_work(session, person, plan, calendar, clock.now(), today_only=today_only)
    text, markup = list_screen(lang, items, callback_data.page, today_only, calendar, plan)
    await edit(query.message, text, markup)
    await query.answer()


async def open_item(
    query: CallbackQuery, callback_data: ListCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    back = ListCb(action=ListAction.BACK, page=callback_data.page, today=callback_data.today)
    await show_card(query, callback_data.occ, back, session, person, plan, calendar, clock, lang)
