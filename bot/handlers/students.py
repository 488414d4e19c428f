"""/students: the register (картотека). Find a student, open the card, change it.

Every opening of a card is audited (`students.open_card`). Changes carry the card's version the
user saw (in the button, or in the dialogue's data): if someone changed the card meanwhile, the
change is refused with "the card changed, reopen it" instead of overwriting their work. Register
decisions (status) are recorded with the council session that took them.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import StudentAction, StudentCb
from bot.clock import Clock
from bot.core.calendar import SchoolCalendar
from bot.escape import quote
from bot.filters import PrivateChat
from bot.handlers.incidents import begin_with_student, parse_day
from bot.permissions import Perm, can
from bot.protect import protect
from bot.screens import show
from bot.services import students
from bot.services.students import Card, CardChanged, NotAllowed
from bot.states import StudentForm
from bot.texts import t, tp
from db.models import CouncilSession, Person, RegisterStatus, Student, StudentEventKind

log = logging.getLogger(__name__)


def router_factory() -> Router:
    router = Router(name="students")
    router.message.filter(PrivateChat())
    protect(router)  # what these screens send cannot be forwarded or saved (bot.protect)
    typed = F.text & ~F.text.startswith("/")  # a command leaves the dialogue to its handler
    router.message.register(start, Command("students"))
    router.message.register(search_typed, StudentForm.search, typed)
    router.message.register(family_typed, StudentForm.family, typed)
    router.message.register(event_text_typed, StudentForm.event_text, typed)
    router.message.register(event_date_typed, StudentForm.event_date, typed)
    router.message.register(birth_typed, StudentForm.birth_date, typed)

    def on(action: StudentAction) -> Any:
        return StudentCb.filter(F.action == action)

    router.callback_query.register(card, on(StudentAction.CARD))
    router.callback_query.register(note, on(StudentAction.NOTE))
    router.callback_query.register(status_menu, on(StudentAction.STATUS))
    router.callback_query.register(status_session, on(StudentAction.SET))
    router.callback_query.register(status_save, on(StudentAction.SESSION))
    router.callback_query.register(family_start, on(StudentAction.FAMILY))
    router.callback_query.register(flag, on(StudentAction.FLAG))
    router.callback_query.register(flag, on(StudentAction.UNFLAG))
    router.callback_query.register(event_start, on(StudentAction.TALK))
    router.callback_query.register(event_start, on(StudentAction.VISIT))
    router.callback_query.register(event_day, on(StudentAction.DAY))
    router.callback_query.register(birth_start, on(StudentAction.BIRTH))
    router.callback_query.register(responsible_menu, on(StudentAction.RESPONSIBLE))
    router.callback_query.register(responsible_save, on(StudentAction.RESPONSIBLE_SET))
    return router


def _may_read_any(person: Person) -> bool:
    return students.can_read_all(person) or students.readable_class(person) is not None


# --- keyboards and texts (pure) -----------------------------------------------------------------


def results_kb(found: list[Student]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for s in found:
        assert s.id is not None
        builder.button(
            text=f"{s.full_name} · {s.class_name}"[:64],
            callback_data=StudentCb(action=StudentAction.CARD, id=s.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def card_kb(lang: str, student: Student, person: Person) -> InlineKeyboardMarkup:
    assert student.id is not None

    def cb(action: StudentAction) -> str:
        return StudentCb(action=action, id=student.id or 0, ver=student.version).pack()

    flag_action = StudentAction.UNFLAG if student.for_council else StudentAction.FLAG
    rows = [
        [
            InlineKeyboardButton(text=t(lang, "btn_note"), callback_data=cb(StudentAction.NOTE)),
            InlineKeyboardButton(
                text=t(lang, "btn_council_off" if student.for_council else "btn_council_on"),
                callback_data=cb(flag_action),
            ),
        ],
        [InlineKeyboardButton(text=t(lang, "btn_family"), callback_data=cb(StudentAction.FAMILY))],
        [
            InlineKeyboardButton(text=t(lang, "btn_talk"), callback_data=cb(StudentAction.TALK)),
            InlineKeyboardButton(
                text=t(lang, "btn_home_visit"), callback_data=cb(StudentAction.VISIT)
            ),
        ],
        [
            InlineKeyboardButton(
                text=t(lang, "btn_birth_date"), callback_data=cb(StudentAction.BIRTH)
            ),
            InlineKeyboardButton(
                text=t(lang, "btn_responsible"), callback_data=cb(StudentAction.RESPONSIBLE)
            ),
        ],
    ]
    if can(person.roles, Perm.MANAGE_REGISTER):
        rows[1].insert(
            0,
            InlineKeyboardButton(
                text=t(lang, "btn_status"), callback_data=cb(StudentAction.STATUS)
            ),
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def render_card(lang: str, card: Card, tz: Any, sessions: dict[int, int]) -> str:
    s = card.student
    dash = t(lang, "dash")
    lines = []
    for line in card.chronology:
        day = f"{line.at.astimezone(tz):%d.%m.%Y}"
        if line.kind == "incident":
            assert line.category is not None
            lines.append(f"{day} · №{line.incident_id} {t(lang, f'cat_{line.category.value}')}")
            continue
        text = line.text
        if line.kind == "status_change" and "→" in text:
            before, _, after = text.partition("→")
            text = f"{t(lang, f'status_{before}')} → {t(lang, f'status_{after}')}"
        else:
            text = quote(text[:200])
        session_no = sessions.get(line.session_id or 0)
        where = t(lang, "ev_session", n=session_no) if session_no else ""
        lines.append(f"{day} · {t(lang, f'ev_{line.kind}')}{where}: {text}")
    return t(
        lang,
        "stu_card",
        name=quote(s.full_name),
        klass=quote(s.class_name),
        dob=f"{s.birth_date:%d.%m.%Y}" if s.birth_date else dash,
        status=t(lang, f"status_{s.register_status.value}"),
        grounds=quote(s.grounds) if s.grounds else dash,
        since=f"{s.registered_at:%d.%m.%Y}" if s.registered_at else dash,
        family=quote(s.family_notes) if s.family_notes else dash,
        responsible=quote(card.responsible.name) if card.responsible else dash,
        council=t(lang, "stu_council_mark") if s.for_council else "",
        notes=tp(lang, "n_notes", card.notes_total),
        lines="\n".join(lines) or t(lang, "stu_chron_empty"),
    )


# --- finding ------------------------------------------------------------------------------------


async def start(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    command: CommandObject | None = None,
) -> None:
    await state.clear()
    if not _may_read_any(person):
        await message.answer(t(lang, "not_allowed"))
        return
    own = students.readable_class(person)
    if command is not None and command.args:
        await _results(message, session, person, lang, command.args)
        return
    if own is not None:
        found = await students.students_of_class(session, own)
        await state.set_state(StudentForm.search)
        await message.answer(
            t(lang, "inc_pick_in_class", klass=own), reply_markup=results_kb(found)
        )
        return
    await state.set_state(StudentForm.search)
    await message.answer(t(lang, "stu_ask"))


async def _results(
    message: Message, session: AsyncSession, person: Person, lang: str, query: str
) -> None:
    found = await students.search(session, query, only_class=students.readable_class(person))
    if not found:
        await message.answer(t(lang, "inc_found_none", query=quote(" ".join(query.split())[:60])))
        return
    await message.answer(t(lang, "inc_found"), reply_markup=results_kb(found))


async def search_typed(message: Message, session: AsyncSession, person: Person, lang: str) -> None:
    if not _may_read_any(person):
        await message.answer(t(lang, "not_allowed"))
        return
    await _results(message, session, person, lang, message.text or "")


# --- the card -----------------------------------------------------------------------------------


async def _card_view(
    session: AsyncSession, student_id: int, person: Person, lang: str, clock: Clock, tz: Any
) -> tuple[str, InlineKeyboardMarkup] | str:
    """The card's text and buttons, or the text key saying why not."""
    try:
        found = await students.open_card(session, student_id, person, clock.now())
    except NotAllowed:
        return "not_allowed"
    if found is None:
        return "stale_button"
    ids = {line.session_id for line in found.chronology if line.session_id}
    numbers = {}
    for sid in ids:
        row = await session.get(CouncilSession, sid)
        if row is not None:
            numbers[sid] = row.number
    return render_card(lang, found, tz, numbers), card_kb(lang, found.student, person)


async def card(
    query: CallbackQuery,
    callback_data: StudentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    view = await _card_view(session, callback_data.id, person, lang, clock, calendar.tz)
    if isinstance(view, str):
        await query.answer(t(lang, view), show_alert=True)
        return
    await state.clear()
    text, kb = view
    if isinstance(query.message, Message) and query.message.reply_markup is not None and any(
        b.callback_data and b.callback_data.startswith("n1:") for row in
        query.message.reply_markup.inline_keyboard for b in row
    ):  # fmt: skip
        # Opened from a note: keep the note on screen and show the card below it.
        await query.message.answer(text, reply_markup=kb)
        await query.answer()
        return
    await show(query, text, kb)


async def _refused(query: CallbackQuery, lang: str, exc: Exception) -> None:
    key = "stu_card_changed" if isinstance(exc, CardChanged) else "not_allowed"
    await query.answer(t(lang, key)[:200], show_alert=True)


async def note(
    query: CallbackQuery,
    callback_data: StudentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    student = await session.get(Student, callback_data.id)
    if student is None or not (
        can(person.roles, Perm.FILE_INCIDENT) and students.can_read(person, student.class_name)
    ):
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    await begin_with_student(query, state, session, lang, student)


async def status_menu(
    query: CallbackQuery,
    callback_data: StudentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    student = await session.get(Student, callback_data.id, populate_existing=True)
    if student is None or not can(person.roles, Perm.MANAGE_REGISTER):
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    if student.version != callback_data.ver:
        await _refused(query, lang, CardChanged())
        return
    builder = InlineKeyboardBuilder()
    for status in RegisterStatus:
        mark = "☑️ " if status is student.register_status else ""
        builder.button(
            text=mark + t(lang, f"status_{status.value}"),
            callback_data=StudentCb(
                action=StudentAction.SET, id=callback_data.id, ver=callback_data.ver,
                value=status.value,
            ),
        )  # fmt: skip
    builder.button(
        text=t(lang, "btn_back"),
        callback_data=StudentCb(action=StudentAction.CARD, id=callback_data.id),
    )
    builder.adjust(1)
    await show(
        query, t(lang, "stu_status_pick", name=quote(student.full_name)), builder.as_markup()
    )


async def status_session(
    query: CallbackQuery,
    callback_data: StudentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
) -> None:
    if not can(person.roles, Perm.MANAGE_REGISTER):
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    builder = InlineKeyboardBuilder()
    for row in await students.council_sessions(session, clock.now()):
        assert row.id is not None
        builder.button(
            text=t(lang, "btn_session", n=row.number),
            callback_data=StudentCb(
                action=StudentAction.SESSION, id=callback_data.id, ver=callback_data.ver,
                value=callback_data.value, id2=row.id,
            ),
        )  # fmt: skip
    builder.button(
        text=t(lang, "btn_no_session"),
        callback_data=StudentCb(
            action=StudentAction.SESSION, id=callback_data.id, ver=callback_data.ver,
            value=callback_data.value,
        ),
    )  # fmt: skip
    builder.adjust(1)
    await show(query, t(lang, "stu_session_pick"), builder.as_markup())


async def status_save(
    query: CallbackQuery,
    callback_data: StudentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    try:
        status = RegisterStatus(callback_data.value)
        await students.set_status(
            session,
            student_id=callback_data.id,
            seen_version=callback_data.ver,
            status=status,
            actor=person,
            now=clock.now(),
            tz=calendar.tz,
            council_session_id=callback_data.id2 or None,
        )
    except ValueError:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    except (CardChanged, NotAllowed) as exc:
        await _refused(query, lang, exc)
        return
    log.info("student %s: register status set by person %s", callback_data.id, person.id)
    view = await _card_view(session, callback_data.id, person, lang, clock, calendar.tz)
    if isinstance(view, str):
        await query.answer(t(lang, view), show_alert=True)
        return
    await show(query, *view)


async def flag(
    query: CallbackQuery,
    callback_data: StudentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    try:
        await students.update_card(
            session,
            student_id=callback_data.id,
            seen_version=callback_data.ver,
            actor=person,
            now=clock.now(),
            for_council=callback_data.action is StudentAction.FLAG,
        )
    except (CardChanged, NotAllowed) as exc:
        await _refused(query, lang, exc)
        return
    view = await _card_view(session, callback_data.id, person, lang, clock, calendar.tz)
    if isinstance(view, str):
        await query.answer(t(lang, view), show_alert=True)
        return
    await show(query, *view)


async def family_start(
    query: CallbackQuery,
    callback_data: StudentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    student = await session.get(Student, callback_data.id, populate_existing=True)
    if student is None or not students.can_read(person, student.class_name):
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    await state.set_state(StudentForm.family)
    await state.update_data(student=callback_data.id, ver=callback_data.ver)
    assert isinstance(query.message, Message)
    await query.message.answer(t(lang, "stu_family_ask"))
    await query.answer()


async def family_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    text = " ".join((message.text or "").split(" ")).strip()
    if len(text) > students.NOTES_MAX:
        await message.answer(t(lang, "too_long", size=len(text), limit=students.NOTES_MAX))
        return
    data = await state.get_data()
    await state.clear()
    try:
        await students.update_card(
            session,
            student_id=data["student"],
            seen_version=data["ver"],
            actor=person,
            now=clock.now(),
            family_notes=None if text in ("", "-") else text,
        )
    except (CardChanged, NotAllowed) as exc:
        key = "stu_card_changed" if isinstance(exc, CardChanged) else "not_allowed"
        await message.answer(t(lang, key))
        return
    view = await _card_view(session, data["student"], person, lang, clock, calendar.tz)
    if isinstance(view, str):
        await message.answer(t(lang, view))
        return
    await message.answer(t(lang, "stu_saved"))
    await message.answer(view[0], reply_markup=view[1])


# --- talks and home visits ----------------------------------------------------------------------


async def _readable(session: AsyncSession, student_id: int, person: Person) -> Student | None:
    student = await session.get(Student, student_id, populate_existing=True)
    if student is None or not students.can_read(person, student.class_name):
        return None
    return student


async def event_start(
    query: CallbackQuery,
    callback_data: StudentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    student = await _readable(session, callback_data.id, person)
    if student is None:
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    kind = (
        StudentEventKind.TALK
        if callback_data.action is StudentAction.TALK
        else StudentEventKind.HOME_VISIT
    )
    await state.set_state(StudentForm.event_text)
    await state.set_data({"student": callback_data.id, "kind": kind.value})
    assert isinstance(query.message, Message)
    await query.message.answer(
        t(lang, "stu_event_ask", name=quote(student.full_name), what=t(lang, f"ev_{kind}"))
    )
    await query.answer()


def event_day_kb(lang: str, student_id: int) -> InlineKeyboardMarkup:
    def cb(value: str) -> str:
        return StudentCb(action=StudentAction.DAY, id=student_id, value=value).pack()

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=t(lang, "btn_today"), callback_data=cb("today")),
                InlineKeyboardButton(text=t(lang, "btn_yesterday"), callback_data=cb("yday")),
            ]
        ]
    )


async def event_text_typed(message: Message, state: FSMContext, lang: str) -> None:
    text = (message.text or "").strip()
    if not text:
        await message.answer(t(lang, "stu_event_empty"))
        return
    if len(text) > students.NOTES_MAX:
        await message.answer(t(lang, "too_long", size=len(text), limit=students.NOTES_MAX))
        return
    data = await state.get_data()
    await state.update_data(text=text)
    await state.set_state(StudentForm.event_date)
    await message.answer(
        t(lang, "stu_event_when"), reply_markup=event_day_kb(lang, data["student"])
    )


async def _save_event(
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    tz: Any,
    day: date,
) -> tuple[str, tuple[str, InlineKeyboardMarkup] | str]:
    """Store the dialogue's event on `day`: (the answer, then the card's view or a text key)."""
    now = clock.now()
    data = await state.get_data()
    await state.clear()
    kind = StudentEventKind(data["kind"])
    today = now.astimezone(tz).date()
    at = now if day == today else datetime.combine(day, time(12, 0), tzinfo=tz)
    try:
        await students.add_event(
            session,
            student_id=data["student"],
            kind=kind,
            text=data["text"],
            at=at,
            actor=person,
            now=now,
        )
    except NotAllowed:
        return t(lang, "not_allowed"), "not_allowed"
    log.info("student %s: %s added by person %s", data["student"], kind.value, person.id)
    done = t(lang, "stu_event_saved", what=t(lang, f"ev_{kind}"), date=f"{day:%d.%m.%Y}")
    return done, await _card_view(session, data["student"], person, lang, clock, tz)


async def event_day(
    query: CallbackQuery,
    callback_data: StudentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    data = await state.get_data()
    if (
        await state.get_state() != StudentForm.event_date.state
        or data.get("student") != callback_data.id
        or callback_data.value not in ("today", "yday")
    ):
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    now = clock.now()
    day = now.astimezone(calendar.tz).date()
    if callback_data.value == "yday":
        day -= timedelta(days=1)
    done, view = await _save_event(state, session, person, lang, clock, calendar.tz, day)
    if isinstance(view, str):
        await query.answer(t(lang, view), show_alert=True)
        return
    await show(query, done, None)
    assert isinstance(query.message, Message)
    await query.message.answer(view[0], reply_markup=view[1])


async def event_date_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    now = clock.now()
    day = parse_day(message.text or "", now.astimezone(calendar.tz).date())
    if day is None:
        await message.answer(t(lang, "inc_bad_date"))
        return
    done, view = await _save_event(state, session, person, lang, clock, calendar.tz, day)
    if isinstance(view, str):
        await message.answer(t(lang, view))
        return
    await message.answer(done)
    await message.answer(view[0], reply_markup=view[1])


# --- date of birth and the responsible person ---------------------------------------------------


async def birth_start(
    query: CallbackQuery,
    callback_data: StudentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    student = await _readable(session, callback_data.id, person)
    if student is None:
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    if student.version != callback_data.ver:
        await _refused(query, lang, CardChanged())
        return
    await state.set_state(StudentForm.birth_date)
    await state.set_data({"student": callback_data.id, "ver": callback_data.ver})
    assert isinstance(query.message, Message)
    await query.message.answer(t(lang, "stu_dob_ask", name=quote(student.full_name)))
    await query.answer()


async def birth_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    now = clock.now()
    born = students.parse_birth_date(message.text or "", now.astimezone(calendar.tz).date())
    if born is None:
        low, high = students.SCHOOL_AGE
        await message.answer(t(lang, "stu_dob_bad", low=low, high=high))
        return
    data = await state.get_data()
    await state.clear()
    try:
        await students.update_card(
            session,
            student_id=data["student"],
            seen_version=data["ver"],
            actor=person,
            now=now,
            birth_date=born,
        )
    except (CardChanged, NotAllowed) as exc:
        key = "stu_card_changed" if isinstance(exc, CardChanged) else "not_allowed"
        await message.answer(t(lang, key))
        return
    view = await _card_view(session, data["student"], person, lang, clock, calendar.tz)
    if isinstance(view, str):
        await message.answer(t(lang, view))
        return
    await message.answer(t(lang, "stu_saved"))
    await message.answer(view[0], reply_markup=view[1])


async def responsible_menu(
    query: CallbackQuery,
    callback_data: StudentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    student = await _readable(session, callback_data.id, person)
    if student is None:
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    if student.version != callback_data.ver:
        await _refused(query, lang, CardChanged())
        return

    def cb(person_id: int) -> StudentCb:
        return StudentCb(
            action=StudentAction.RESPONSIBLE_SET, id=callback_data.id, ver=callback_data.ver,
            id2=person_id,
        )  # fmt: skip

    builder = InlineKeyboardBuilder()
    for candidate in await students.responsible_candidates(session, student.class_name):
        assert candidate.id is not None
        mark = "☑️ " if candidate.id == student.responsible_person_id else ""
        builder.button(text=(mark + candidate.name)[:64], callback_data=cb(candidate.id))
    builder.button(text=t(lang, "btn_nobody"), callback_data=cb(0))
    builder.button(
        text=t(lang, "btn_back"),
        callback_data=StudentCb(action=StudentAction.CARD, id=callback_data.id),
    )
    builder.adjust(1)
    await show(
        query, t(lang, "stu_responsible_pick", name=quote(student.full_name)), builder.as_markup()
    )


async def responsible_save(
    query: CallbackQuery,
    callback_data: StudentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    try:
        await students.set_responsible(
            session,
            student_id=callback_data.id,
            seen_version=callback_data.ver,
            person_id=callback_data.id2 or None,
            actor=person,
            now=clock.now(),
        )
    except ValueError:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    except (CardChanged, NotAllowed) as exc:
        await _refused(query, lang, exc)
        return
    view = await _card_view(session, callback_data.id, person, lang, clock, calendar.tz)
    if isinstance(view, str):
        await query.answer(t(lang, view), show_alert=True)
        return
    await show(query, *view)
