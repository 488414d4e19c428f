"""Reporting with a tap (/tasks and /today are `bot.handlers.task_list`).

Every task reminder carries Done · Snooze (1 hour, tomorrow, next week) · Can't (asks a reason)
· Comment. A tap is recorded once (`bot.services.tasks.record`: idempotency keys built from what
was tapped, not from the callback id, so double taps, two devices and retries agree), and the
message is edited to show the new state. A stale button (the occurrence left the plan, was
closed, or the person no longer answers for it) gets a clear answer instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import CheckinCb, TaskAction, TaskCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import localize
from bot.core.schedule import Occurrence
from bot.escape import quote
from bot.filters import Inline, PrivateChat
from bot.keyboards import keep_nav, task_kb, task_snooze_kb, without_occurrence
from bot.scheduler.planner import ReportView, Roster
from bot.screens import edit, edit_markup
from bot.services import tasks
from bot.services.assignments import effective_plan
from bot.services.tasks import TaskState
from bot.states import TaskForm
from bot.texts import t
from db.models import Person, Report, ReportStatus

log = logging.getLogger(__name__)
TEXT_MAX = 1000
SNOOZE_CHOICE = {
    TaskAction.SNOOZE_HOUR: "hour",
    TaskAction.SNOOZE_TOMORROW: "tomorrow",
    TaskAction.SNOOZE_WEEK: "week",
}


def router_factory() -> Router:
    router = Router(name="tasks")
    router.message.filter(PrivateChat())
    typed = Inline(F.text & ~F.text.startswith("/"))  # a command is not a reason (see
    router.message.register(reason_entered, TaskForm.cant, typed)  # CommandEndsDialogue)
    router.message.register(comment_entered, TaskForm.comment, typed)
    router.callback_query.register(done, TaskCb.filter(F.action == TaskAction.DONE))
    router.callback_query.register(snooze_menu, TaskCb.filter(F.action == TaskAction.SNOOZE))
    router.callback_query.register(back, TaskCb.filter(F.action == TaskAction.BACK))
    router.callback_query.register(snooze, TaskCb.filter(F.action.in_(set(SNOOZE_CHOICE))))
    router.callback_query.register(ask_text, TaskCb.filter(F.action == TaskAction.CANT))
    router.callback_query.register(ask_text, TaskCb.filter(F.action == TaskAction.COMMENT))
    return router


# --- finding the occurrence behind a button -----------------------------------------------------


@dataclass
class Found:
    occ: Occurrence
    roster: Roster
    reports: dict[tuple[str, int], ReportView]


async def _find(
    session: AsyncSession,
    key: str,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
) -> Found | str:
    """The occurrence, or the text key saying why the button is stale."""
    plan = await effective_plan(session, plan)  # reassigned items answer to their new people
    overrides = await tasks.load_overrides(session, calendar)
    occ = tasks.find_occurrence(plan, calendar, overrides, key, now.astimezone(calendar.tz).date())
    if occ is None or occ.kind != "task":
        return "task_stale_unknown"
    if occ.key in overrides.closed:
        return "task_stale_closed"
    roster = await tasks.load_roster(session, plan)
    if person.id not in roster.responsible(occ):
        return "task_stale_not_yours"
    return Found(occ, roster, await tasks.reports_for(session, [occ.key]))


async def _tapped(
    query: CallbackQuery,
    lang: str,
    session: AsyncSession,
    key: str,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
) -> Found | None:
    """`_find` for a tap: None (the alert saying why the button is stale shown) or the item."""
    found = await _find(session, key, person, plan, calendar, now)
    if isinstance(found, str):
        await query.answer(t(lang, found), show_alert=True)
        return None
    return found


def _state(report: Report | None, comment: str | None = None) -> TaskState | None:
    if report is None:
        return None
    return TaskState(report.status, report.snoozed_until, report.reason, comment)


def _view(
    lang: str, found: Found, person: Person, report: Report | None, comment: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    if report is not None:
        found.reports[(found.occ.key, report.person_id)] = ReportView(
            report.status, report.snoozed_until
        )
    assert person.id is not None
    text = tasks.render_task(
        lang,
        found.occ,
        person_id=person.id,
        roster=found.roster,
        done=tasks.progress(found.occ, found.roster, found.reports),
        state=_state(report, comment),
    )
    finished = report is not None and report.status in (ReportStatus.DONE, ReportStatus.CANT)
    return text, task_kb(lang, found.occ.key, finished=finished)


async def show_card(
    query: CallbackQuery,
    occ_key: str,
    back_to: CallbackData,
    session: AsyncSession,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
) -> None:
    """An item's card in the tapped message (from a message of several items, or /tasks),
    with a Back button that returns there; its own buttons keep it (`_nav`)."""
    found = await _tapped(query, lang, session, occ_key, person, plan, calendar, clock.now())
    if found is None:
        return
    assert person.id is not None
    report = (await tasks.report_texts(session, found.occ.key)).get(person.id)
    text, markup = _view(lang, found, person, report)
    back = [InlineKeyboardButton(text=t(lang, "btn_back"), callback_data=back_to.pack())]
    await edit(
        query.message, text, InlineKeyboardMarkup(inline_keyboard=[*markup.inline_keyboard, back])
    )
    await query.answer()


async def _edit(
    message: object, text: str, markup: InlineKeyboardMarkup, *, changed: bool = True
) -> None:
    """Show the new state. A repeated tap does not edit: the first one did (and racing it
    would only earn "message is not modified")."""
    if changed:
        await edit(message, text, markup)  # type: ignore[arg-type]


# --- taps ---------------------------------------------------------------------------------------


async def done(
    query: CallbackQuery,
    callback_data: TaskCb,
    session: AsyncSession,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
) -> None:
    now = clock.now()
    found = await _tapped(query, lang, session, callback_data.occ, person, plan, calendar, now)
    if found is None:
        return
    assert person.id is not None
    row = await tasks.ensure_occurrence(session, found.occ, calendar.year)
    recorded = await tasks.record(
        session,
        occurrence=row,
        person_id=person.id,
        status=ReportStatus.DONE,
        now=now,
        idempotency_key=await tasks.done_key(session, row, person.id),
    )
    if _lists_several(query.message):  # several items' rows: only this one's buttons go
        markup = query.message.reply_markup  # type: ignore[union-attr]
        assert markup is not None
        if recorded.new:  # a repeated tap: the first one took the row away
            await edit_markup(query.message, without_occurrence(markup, found.occ.key))
    else:
        text, markup = _view(lang, found, person, recorded.report)
        await _edit(query.message, text, _nav(query, markup), changed=recorded.new)
    await query.answer(t(lang, "task_saved" if recorded.new else "task_already_done"))


def _lists_several(message: object) -> bool:
    """A message with the buttons of more than one item (one message per moment, or the
    owner's decisions of a session): a tap answers one row, the others stay."""
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return False
    keys = set()
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data or ""
            if data.startswith(("b1:a", "b1:o", CheckinCb.__prefix__ + ":")):
                return True  # "Done all", "open item", a check-in: a message of several
            if data.startswith(TaskCb.__prefix__ + ":"):
                try:
                    keys.add(TaskCb.unpack(data).occ)
                except (TypeError, ValueError):
                    continue
    return len(keys) > 1


async def snooze_menu(
    query: CallbackQuery, callback_data: TaskCb, lang: str, session: AsyncSession,
    person: Person, plan: Plan, calendar: SchoolCalendar, clock: Clock,
) -> None:  # fmt: skip
    found = await _tapped(
        query, lang, session, callback_data.occ, person, plan, calendar, clock.now()
    )
    if found is None:
        return
    await edit_markup(query.message, _nav(query, task_snooze_kb(lang, callback_data.occ)))
    await query.answer()


async def back(query: CallbackQuery, callback_data: TaskCb, lang: str) -> None:
    await edit_markup(query.message, _nav(query, task_kb(lang, callback_data.occ)))
    await query.answer()


def _nav(query: CallbackQuery, markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """`markup` with the tapped message's way back (to its message of several items, or to
    /tasks) kept."""
    old = getattr(query.message, "reply_markup", None)
    return keep_nav(old, markup) or markup


async def snooze(
    query: CallbackQuery,
    callback_data: TaskCb,
    session: AsyncSession,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
) -> None:
    now = clock.now()
    found = await _tapped(query, lang, session, callback_data.occ, person, plan, calendar, now)
    if found is None:
        return
    assert person.id is not None
    report = (await tasks.report_texts(session, found.occ.key)).get(person.id)
    if report is not None and report.status in (ReportStatus.DONE, ReportStatus.CANT):
        await query.answer(t(lang, "task_already"))
        return
    choice = SNOOZE_CHOICE[callback_data.action]
    until = tasks.snooze_until(choice, now, calendar)
    message_id = query.message.message_id if query.message is not None else 0
    row = await tasks.ensure_occurrence(session, found.occ, calendar.year)
    recorded = await tasks.record(
        session,
        occurrence=row,
        person_id=person.id,
        status=ReportStatus.SNOOZED,
        now=now,
        idempotency_key=f"snooze|{found.occ.key}|{person.id}|{choice}|{message_id}",
        snoozed_until=until,
    )
    text, markup = _view(lang, found, person, recorded.report)
    await _edit(query.message, text, _nav(query, markup), changed=recorded.new)
    await query.answer(t(lang, "task_saved" if recorded.new else "task_already"))


async def ask_text(
    query: CallbackQuery,
    callback_data: TaskCb,
    session: AsyncSession,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    found = await _tapped(
        query, lang, session, callback_data.occ, person, plan, calendar, clock.now()
    )
    if found is None:
        return
    cant = callback_data.action is TaskAction.CANT
    await state.set_state(TaskForm.cant if cant else TaskForm.comment)
    message = query.message
    nav = keep_nav(getattr(message, "reply_markup", None), None)
    await state.update_data(
        occ=found.occ.key,
        chat=message.chat.id if message is not None else None,
        message=message.message_id if message is not None else None,
        nav=nav.model_dump_json(exclude_none=True) if nav is not None else None,
    )
    await query.answer()
    if message is not None:
        await query.bot.send_message(  # type: ignore[union-attr]
            message.chat.id,
            t(
                lang,
                "task_ask_reason" if cant else "task_ask_comment",
                title=quote(localize(found.occ, found.roster.plan, lang).title),
            ),
        )


async def _text_entered(
    message: Message,
    status: ReportStatus,
    session: AsyncSession,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    bot: Bot,
) -> None:
    text = (message.text or "").strip()
    if len(text) > TEXT_MAX:
        await message.answer(t(lang, "too_long", size=len(text), limit=TEXT_MAX))
        return
    data = await state.get_data()
    await state.clear()
    now = clock.now()
    found = await _find(session, str(data.get("occ", "")), person, plan, calendar, now)
    if isinstance(found, str):
        await message.answer(t(lang, found))
        return
    assert person.id is not None
    row = await tasks.ensure_occurrence(session, found.occ, calendar.year)
    kind = "cant" if status is ReportStatus.CANT else "comment"
    recorded = await tasks.record(
        session,
        occurrence=row,
        person_id=person.id,
        status=status,
        now=now,
        idempotency_key=f"{kind}|{found.occ.key}|{person.id}|{message.message_id}",
        text=text,
    )
    title = quote(localize(found.occ, found.roster.plan, lang).title)
    chat, original = data.get("chat"), data.get("message")
    if chat and original:
        comment = text if status is ReportStatus.COMMENT else None
        view, markup = _view(lang, found, person, recorded.report, comment)
        nav = data.get("nav")
        if nav:
            markup = keep_nav(InlineKeyboardMarkup.model_validate_json(nav), markup) or markup
        try:
            await bot.edit_message_text(
                text=view, chat_id=chat, message_id=original, reply_markup=markup
            )
        except TelegramBadRequest as exc:
            log.info("could not edit the reminder %s: %s", original, exc)
    await message.answer(t(lang, f"task_{kind}_saved", title=title))


async def reason_entered(
    message: Message, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, bot: Bot,
) -> None:  # fmt: skip
    await _text_entered(
        message, ReportStatus.CANT, session, person, plan, calendar, clock, lang, state, bot
    )


async def comment_entered(
    message: Message, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, bot: Bot,
) -> None:  # fmt: skip
    await _text_entered(
        message, ReportStatus.COMMENT, session, person, plan, calendar, clock, lang, state, bot
    )
