"""/plan, for admins: how each routine duty reaches its people (a card each time, a weekly
check-in, silent: `bot.core.routine`), stored beside the plan (`plan_override` kind
"routine", audited); and the work that fell due before its people joined ("unassigned
history", `bot.services.history`). Every screen is the /plan message itself, with Back.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import PlanAction, PlanCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import plan_in
from bot.core.routine import MODES, RoutineItem, routine_items
from bot.core.words import short
from bot.escape import quote
from bot.filters import HasPerm
from bot.permissions import Perm
from bot.screens import show
from bot.services import plan_overrides
from bot.services.assignments import effective_plan
from bot.services.history import unassigned_history
from bot.texts import t
from db.models import Person

log = logging.getLogger(__name__)
TITLE = 50
NAMES = 4
HISTORY_LINES = 20


def router_factory() -> Router:
    router = Router(name="plan_routine")
    router.callback_query.filter(HasPerm(Perm.MANAGE_STAFF))
    router.callback_query.register(main, PlanCb.filter(F.action == PlanAction.MAIN))
    router.callback_query.register(routine, PlanCb.filter(F.action == PlanAction.ROUTINE))
    router.callback_query.register(pick, PlanCb.filter(F.action == PlanAction.ROUTINE_ITEM))
    router.callback_query.register(set_mode, PlanCb.filter(F.action == PlanAction.ROUTINE_SET))
    router.callback_query.register(history, PlanCb.filter(F.action == PlanAction.HISTORY))
    return router


def _button(text: str, action: PlanAction, ref: str = "", arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=PlanCb(action=action, ref=ref, arg=arg).pack()
    )


def _back(lang: str, to: PlanAction = PlanAction.MAIN) -> list[InlineKeyboardButton]:
    return [_button(t(lang, "btn_back"), to)]


async def extra_buttons(
    session: AsyncSession, lang: str, plan: Plan, calendar: SchoolCalendar, clock: Clock
) -> list[InlineKeyboardButton]:
    """/plan's buttons to the routine duties and (when there is any) the history."""
    buttons = [_button(t(lang, "btn_plan_routine"), PlanAction.ROUTINE)]
    lines = await unassigned_history(session, plan, calendar, clock.now())
    if lines:
        n = sum(len(h.names) for h in lines)
        buttons.append(_button(t(lang, "btn_plan_history", n=n), PlanAction.HISTORY))
    return buttons


async def main(
    query: CallbackQuery, session: AsyncSession, lang: str, plan: Plan,
    calendar: SchoolCalendar, clock: Clock,
) -> None:  # fmt: skip
    from bot.handlers.plan_admin import plan_screen

    await show(query, *await plan_screen(session, lang, plan, calendar, clock))


def _mode(lang: str, item: RoutineItem) -> str:
    words = t(lang, f"routine_mode_{item.mode}")
    return words + (t(lang, "routine_default") if item.chosen is None else "")


async def _routine_screen(
    session: AsyncSession, lang: str, plan: Plan
) -> tuple[str, InlineKeyboardMarkup]:
    current = plan_in(await effective_plan(session, plan), lang)
    items = list(routine_items(current))
    lines = [t(lang, "routine_head")]
    builder = InlineKeyboardBuilder()
    for item in items:
        lines.append(
            t(lang, "routine_line", ref=quote(item.ref), title=quote(short(item.title, TITLE)),
              mode=_mode(lang, item))
        )  # fmt: skip
        builder.add(_button(item.ref, PlanAction.ROUTINE_ITEM, ref=item.ref))
    builder.adjust(5)
    builder.row(*_back(lang))
    return "\n".join(lines), builder.as_markup()


async def routine(query: CallbackQuery, session: AsyncSession, lang: str, plan: Plan) -> None:
    await show(query, *await _routine_screen(session, lang, plan))


async def _find(session: AsyncSession, plan: Plan, ref: str, lang: str) -> RoutineItem | None:
    current = plan_in(await effective_plan(session, plan), lang)
    return next((i for i in routine_items(current) if i.ref == ref), None)


async def pick(
    query: CallbackQuery, callback_data: PlanCb, session: AsyncSession, lang: str, plan: Plan
) -> None:
    item = await _find(session, plan, callback_data.ref, lang)
    if item is None:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    rows = [
        [
            _button(
                ("☑️ " if mode == item.mode else "") + t(lang, f"routine_mode_{mode}"),
                PlanAction.ROUTINE_SET, ref=item.ref, arg=mode,
            )
        ]
        for mode in item.allowed
    ]  # fmt: skip
    rows.append(_back(lang, PlanAction.ROUTINE))
    text = t(lang, "routine_pick", ref=quote(item.ref), title=quote(short(item.title, 200)),
             mode=_mode(lang, item))  # fmt: skip
    await show(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def set_mode(
    query: CallbackQuery, callback_data: PlanCb, session: AsyncSession, lang: str, plan: Plan,
    person: Person, clock: Clock,
) -> None:  # fmt: skip
    item = await _find(session, plan, callback_data.ref, lang)
    mode = callback_data.arg
    if item is None or mode not in MODES or mode not in item.allowed:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    await plan_overrides.set_routine(session, item.ref, mode, by=person, now=clock.now())
    log.info("routine mode of %s set to %s by person %s", item.ref, mode, person.id)
    text, markup = await _routine_screen(session, lang, plan)
    await show(query, text, markup)


async def history(
    query: CallbackQuery, session: AsyncSession, lang: str, plan: Plan,
    calendar: SchoolCalendar, clock: Clock,
) -> None:  # fmt: skip
    lines_found = await unassigned_history(session, plan, calendar, clock.now(), lang)
    if not lines_found:
        text = t(lang, "history_none")
    else:
        lines = [t(lang, "history_head")]
        for h in lines_found[:HISTORY_LINES]:
            names = ", ".join(h.names[:NAMES]) + (
                f" +{len(h.names) - NAMES}" if len(h.names) > NAMES else ""
            )
            first = h.first_due.astimezone(calendar.tz).strftime("%d.%m")
            last = h.last_due.astimezone(calendar.tz).strftime("%d.%m")
            lines.append(
                t(lang, "history_line", ref=quote(h.ref), title=quote(short(h.title, 40)),
                  count=h.occurrences, first=first, last=last, names=quote(names))
            )  # fmt: skip
        text = "\n".join(lines)
    await show(query, text, InlineKeyboardMarkup(inline_keyboard=[_back(lang)]))
