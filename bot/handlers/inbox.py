"""The buttons of a message that carries several items (one message per moment) and of a
routine duty's weekly check-in.

* "✅ Done all" records *done* for every item of the message (found by `message_item`, not by
  the callback data), then the message says so and loses its buttons;
* "⋯ 1.4" shows that item's card in the same message, with Back; Back shows the message again,
  less the rows of what was answered meanwhile;
* a check-in's "Yes" records the week's open days done; "Missed days…" turns the message into
  one toggle per day (☑️ missed), Save and Back; a text typed meanwhile is the reason.

Every record goes through `bot.services.tasks.record` (idempotency keys): double taps and two
devices record once. A forged or stale button gets a clear answer.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import CheckinAction, CheckinCb, MomentAction, MomentCb, ReadyCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import localize
from bot.core.schedule import Occurrence
from bot.escape import quote
from bot.filters import Inline, PrivateChat
from bot.handlers.tasks import TEXT_MAX, show_card
from bot.keyboards import task_kb, without_checkin, without_occurrence
from bot.screens import edit, edit_markup
from bot.services import messages, routine, tasks
from bot.services.messages import Carried
from bot.states import TaskForm
from bot.texts import t
from db.models import Person, ReportStatus

log = logging.getLogger(__name__)


def router_factory() -> Router:
    router = Router(name="inbox")
    router.message.filter(PrivateChat())
    router.callback_query.register(done_all, MomentCb.filter(F.action == MomentAction.ALL))
    router.callback_query.register(open_item, MomentCb.filter(F.action == MomentAction.OPEN))
    router.callback_query.register(back, MomentCb.filter(F.action == MomentAction.BACK))
    router.callback_query.register(checkin_yes, CheckinCb.filter(F.action == CheckinAction.YES))
    router.callback_query.register(
        checkin_pick,
        CheckinCb.filter(F.action.in_({CheckinAction.MISSED, CheckinAction.TOGGLE})),
    )
    router.callback_query.register(checkin_save, CheckinCb.filter(F.action == CheckinAction.SAVE))
    router.callback_query.register(checkin_back, CheckinCb.filter(F.action == CheckinAction.BACK))
    router.message.register(
        checkin_note, TaskForm.checkin_note, Inline(F.text & ~F.text.startswith("/"))
    )
    router.callback_query.register(report_ready, ReadyCb.filter())
    return router


def _named(lang: str, occ: Occurrence, plan: Plan) -> dict[str, str]:
    """`ref` and `title` of a check-in's text, in the reader's language, escaped."""
    ref, title = tasks.named(lang, occ, plan)
    return {"ref": quote(ref), "title": quote(routine.short(title))}


# --- the message as it stands --------------------------------------------------------------


def stored_markup(carried: Carried) -> InlineKeyboardMarkup | None:
    data = carried.row.reply_markup
    if not data or "inline_keyboard" not in data:
        return None
    return InlineKeyboardMarkup.model_validate_json(data)


async def current_view(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    person: Person,
    carried: Carried,
    clock: Clock,
    lang: str,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The message as sent, less the buttons of what the person answered since (a single
    task's card keeps only Comment once answered)."""
    markup = stored_markup(carried)
    if markup is None or not carried.items:
        return carried.row.text, markup
    found = await messages.find_items(
        session, plan, calendar, person, [k for k, _ in carried.items], clock.now()
    )
    closed = set(found.finished) | set(found.gone)
    several = len({k for k, _ in carried.items}) > 1
    if not several:
        key, kind = carried.items[0]
        if kind != "checkin" and key in closed:
            return carried.row.text, task_kb(lang, key, finished=True)
    for key, kind in carried.items:
        if key in closed and kind != "checkin":
            markup = without_occurrence(markup, key) if markup is not None else None
    by_ref: dict[str, list[str]] = {}
    for key, kind in carried.items:
        if kind == "checkin":
            by_ref.setdefault(key.split("@", 1)[0], []).append(key)
    for ref, keys in by_ref.items():
        if all(k in closed for k in keys) and markup is not None:
            markup = without_checkin(markup, ref)
    return carried.row.text, markup


async def _carried(query: CallbackQuery, session: AsyncSession, lang: str) -> Carried | None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return None
    carried = await messages.carried_by(session, message.chat.id, message.message_id)
    if carried is None or not carried.items:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return None
    return carried


# --- "Done all", an item's card, Back -----------------------------------------------------


async def done_all(
    query: CallbackQuery, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    carried = await _carried(query, session, lang)
    if carried is None:
        return
    marked = await messages.mark_done(
        session, plan, calendar, person, [k for k, _ in carried.items], clock.now()
    )
    log.info("done all: person %s, %d recorded, %d already", person.id, len(marked.done),
             len(marked.already))  # fmt: skip
    await edit(query.message, carried.row.text + "\n\n" + t(lang, "moment_all_done"), None)
    await query.answer(t(lang, "task_saved" if marked.done else "task_already_done"))


async def open_item(
    query: CallbackQuery, callback_data: MomentCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    back = MomentCb(action=MomentAction.BACK)
    await show_card(query, callback_data.occ, back, session, person, plan, calendar, clock, lang)


async def back(
    query: CallbackQuery, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext,
) -> None:  # fmt: skip
    carried = await _carried(query, session, lang)
    if carried is None:
        return
    if await state.get_state() == TaskForm.checkin_note:
        await state.clear()
    text, markup = await current_view(session, plan, calendar, person, carried, clock, lang)
    await edit(query.message, text, markup)
    await query.answer()


# --- the weekly check-in ------------------------------------------------------------------


async def _week(
    query: CallbackQuery, callback_data: CheckinCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, lang: str,
) -> routine.Week | None:  # fmt: skip
    found = await routine.find_week(
        session, plan, calendar, person, callback_data.ref, callback_data.week
    )
    if found is None:
        await query.answer(t(lang, "checkin_stale"), show_alert=True)
        return None
    if not found.open:
        await query.answer(t(lang, "task_already"))
        return None
    return found


async def _after_answer(
    query: CallbackQuery, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, text: str,
) -> None:  # fmt: skip
    """A check-in answered: alone, the message says what was recorded; among others, the
    message shows its other items again."""
    message = query.message
    carried = (
        await messages.carried_by(session, message.chat.id, message.message_id)
        if isinstance(message, Message)
        else None
    )
    if carried is not None and len({k.split("@")[0] for k, _ in carried.items}) > 1:
        view, markup = await current_view(session, plan, calendar, person, carried, clock, lang)
        await edit(message, view, markup)
    else:
        await edit(message, text, None)


async def checkin_yes(
    query: CallbackQuery, callback_data: CheckinCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    found = await _week(query, callback_data, session, person, plan, calendar, lang)
    if found is None:
        return
    done, _ = await routine.record_week(
        session, calendar, found, person, missed_mask=0, note=None, lang=lang, now=clock.now()
    )
    occ = found.days[0]
    text = t(lang, "checkin_yes_saved", **_named(lang, occ, plan))
    await _after_answer(query, session, person, plan, calendar, clock, lang, text)
    await query.answer(t(lang, "task_saved" if done else "task_already"))


async def _show_pick(
    message: object, lang: str, found: routine.Week, mask: int, note: str | None,
    calendar: SchoolCalendar, plan: Plan,
) -> None:  # fmt: skip
    occ = found.days[0]
    text = t(
        lang, "checkin_pick", **_named(lang, occ, plan),
        note=t(lang, "checkin_note", text=quote(note)) if note else "",
    )  # fmt: skip
    markup = routine.pick_kb(lang, found.ref, found.week, found.open, mask, calendar.tz)
    await edit(message, text, markup)  # type: ignore[arg-type]


async def checkin_pick(
    query: CallbackQuery, callback_data: CheckinCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, lang: str, state: FSMContext,
) -> None:  # fmt: skip
    found = await _week(query, callback_data, session, person, plan, calendar, lang)
    if found is None:
        return
    data = await state.get_data() if await state.get_state() == TaskForm.checkin_note else {}
    same = data.get("ref") == found.ref and data.get("week") == found.week
    note = str(data.get("note") or "") if same else ""
    message = query.message
    await state.set_state(TaskForm.checkin_note)
    await state.update_data(
        ref=found.ref, week=found.week, mask=callback_data.mask, note=note,
        chat=message.chat.id if message is not None else None,
        message=message.message_id if message is not None else None,
    )  # fmt: skip
    await _show_pick(message, lang, found, callback_data.mask, note or None, calendar, plan)
    await query.answer()


async def checkin_save(
    query: CallbackQuery, callback_data: CheckinCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext,
) -> None:  # fmt: skip
    found = await _week(query, callback_data, session, person, plan, calendar, lang)
    if found is None:
        return
    data = await state.get_data() if await state.get_state() == TaskForm.checkin_note else {}
    note = str(data.get("note") or "") if data.get("ref") == found.ref else ""
    await state.clear()
    now = clock.now()
    done, missed = await routine.record_week(
        session, calendar, found, person, missed_mask=callback_data.mask, note=note or None,
        lang=lang, now=now,
    )  # fmt: skip
    if note and not missed and found.open:
        first = await tasks.ensure_occurrence(session, found.open[0], calendar.year)
        assert person.id is not None
        await tasks.record(
            session, occurrence=first, person_id=person.id, status=ReportStatus.COMMENT,
            now=now, idempotency_key=f"checkin-note|{found.open[0].key}|{person.id}", text=note,
        )  # fmt: skip
    occ = found.days[0]
    text = t(
        lang, "checkin_saved", **_named(lang, occ, plan),
        done=done, missed=missed,
    )  # fmt: skip
    await _after_answer(query, session, person, plan, calendar, clock, lang, text)
    await query.answer(text.replace("<b>", "").replace("</b>", "")[:200])


async def checkin_back(
    query: CallbackQuery, callback_data: CheckinCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext,
) -> None:  # fmt: skip
    if await state.get_state() == TaskForm.checkin_note:
        await state.clear()
    message = query.message
    carried = (
        await messages.carried_by(session, message.chat.id, message.message_id)
        if isinstance(message, Message)
        else None
    )
    if carried is not None:
        text, markup = await current_view(session, plan, calendar, person, carried, clock, lang)
        await edit(message, text, markup)
        await query.answer()
        return
    found = await routine.find_week(
        session, plan, calendar, person, callback_data.ref, callback_data.week
    )
    if found is None or not found.open:
        await query.answer(t(lang, "checkin_stale"), show_alert=True)
        return
    days = tuple(localize(o, plan, lang) for o in found.open)
    text = routine.render_checkin(lang, days, calendar.tz)
    rows = routine.checkin_rows(lang, days, with_ref=False)
    await edit(message, text, InlineKeyboardMarkup(inline_keyboard=rows))
    await query.answer()


async def checkin_note(
    message: Message, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, lang: str, state: FSMContext, bot: Bot,
) -> None:  # fmt: skip
    text = (message.text or "").strip()
    if len(text) > TEXT_MAX:
        await message.answer(t(lang, "too_long", size=len(text), limit=TEXT_MAX))
        return
    data = await state.get_data()
    await state.update_data(note=text)
    found = await routine.find_week(
        session, plan, calendar, person, str(data.get("ref", "")), str(data.get("week", ""))
    )
    chat, original = data.get("chat"), data.get("message")
    if found is not None and found.open and chat and original:
        occ = found.days[0]
        view = t(
            lang, "checkin_pick", **_named(lang, occ, plan),
            note=t(lang, "checkin_note", text=quote(text)),
        )  # fmt: skip
        mask = int(data.get("mask") or 0)
        markup = routine.pick_kb(lang, found.ref, found.week, found.open, mask, calendar.tz)
        try:
            await bot.edit_message_text(
                text=view, chat_id=chat, message_id=original, reply_markup=markup
            )
        except TelegramBadRequest as exc:
            log.info("could not edit the check-in %s: %s", original, exc)  # scrubbed by bot.logs
    await message.answer(t(lang, "checkin_note_saved"))


# --- a reporter's "my report is ready" ------------------------------------------------------


async def report_ready(
    query: CallbackQuery, callback_data: ReadyCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    """Recorded as the reporter's *done* on the session's occurrence; the chair's /status
    lists the reports not ready yet."""
    from bot.services.assignments import effective_plan

    now = clock.now()
    current = await effective_plan(session, plan)
    overrides = await tasks.load_overrides(session, calendar)
    key = tasks.session_key(callback_data.num, calendar.year)
    occ = tasks.find_occurrence(
        current, calendar, overrides, key, now.astimezone(calendar.tz).date()
    )
    if occ is None or occ.kind != "session" or key in overrides.closed:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    roster = await tasks.load_roster(session, current)
    assert person.id is not None
    if not roster.session_recipients(occ).get(person.id):
        await query.answer(t(lang, "report_ready_not_yours"), show_alert=True)
        return
    row = await tasks.ensure_occurrence(session, occ, calendar.year)
    await tasks.record(
        session, occurrence=row, person_id=person.id, status=ReportStatus.DONE, now=now,
        idempotency_key=f"ready|{key}|{person.id}",
    )  # fmt: skip
    markup = getattr(query.message, "reply_markup", None)
    if markup is not None:
        rows = [
            r for r in markup.inline_keyboard
            if not any((b.callback_data or "").startswith(ReadyCb.__prefix__ + ":") for b in r)
        ]  # fmt: skip
        await edit_markup(
            query.message, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        )
    await query.answer(t(lang, "report_ready_saved"))
