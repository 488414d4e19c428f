"""/incident: a quick note in at most four taps and one text, and reading and correcting notes.

The dialogue: class (tap) → student (tap; or type part of a name) → category (tap) → the text
(a message, or a file with a caption) → "✅ Save · now" (tap). "Earlier today", "Yesterday" and
"Another date" sit next to Save for the rarer cases. A class teacher starts at their class's
students. A new student is typed as "Name Class" and created only when the note is saved, in the
same transaction: nothing is stored until Save, so an abandoned dialogue leaves nothing and
`/cancel` works at every step. More text sent on the confirm screen is appended (a client splits
a long paste into 4096-character messages; the note is stored whole).

Texts name the child only in the private chat of someone allowed to read the card; the notice
to the social pedagogue, psychologists and deputy directors carries the number, category and
class only. Log lines carry ids only.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import IncidentAction, IncidentCb, StudentAction, StudentCb
from bot.clock import Clock
from bot.config import Settings
from bot.core.calendar import SchoolCalendar
from bot.core.school_class import normalize_class
from bot.escape import quote
from bot.filters import HasPerm, PrivateChat
from bot.permissions import Perm
from bot.protect import protect
from bot.scheduler.outbox import enqueue, split_message
from bot.screens import edit_markup, show
from bot.services import attachments, incidents, students
from bot.services.attachments import AttachmentStore
from bot.services.incidents import DEFAULT_CONFIG, Attachment, IncidentConfig
from bot.services.students import NotAllowed
from bot.states import IncidentForm
from bot.texts import t, tp
from db.models import Incident, IncidentCategory, Person, Student

log = logging.getLogger(__name__)
DATE_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\s*$")
FIRST_HOUR = 8


def router_factory() -> Router:
    router = Router(name="incidents")
    router.message.filter(PrivateChat())
    protect(router)  # what these screens send cannot be forwarded or saved (bot.protect)
    typed = F.text & ~F.text.startswith("/")  # a command leaves the dialogue to its handler
    filing = HasPerm(Perm.FILE_INCIDENT)
    router.message.register(start, Command("incident"), filing)
    router.message.register(search_typed, IncidentForm.student, typed, filing)
    router.message.register(new_student_typed, IncidentForm.new_student, typed, filing)
    files = F.document | F.photo | F.voice
    router.message.register(text_typed, IncidentForm.text, typed | files, filing)
    router.message.register(more_text, IncidentForm.confirm, typed | files)
    router.message.register(date_typed, IncidentForm.date, typed)
    router.message.register(edit_typed, IncidentForm.edit, typed)

    def on(action: IncidentAction) -> Any:
        return IncidentCb.filter(F.action == action)

    router.callback_query.register(pick_class, on(IncidentAction.CLASS), filing)
    router.callback_query.register(pick_student, on(IncidentAction.STUDENT), filing)
    router.callback_query.register(new_student, on(IncidentAction.NEW), filing)
    router.callback_query.register(pick_category, on(IncidentAction.CATEGORY), filing)
    router.callback_query.register(when, on(IncidentAction.WHEN), filing)
    router.callback_query.register(hour, on(IncidentAction.HOUR), filing)
    router.callback_query.register(save, on(IncidentAction.SAVE), filing)
    router.callback_query.register(open_note, on(IncidentAction.OPEN))
    router.callback_query.register(edit_start, on(IncidentAction.EDIT))
    router.callback_query.register(flag, on(IncidentAction.FLAG))
    router.callback_query.register(flag, on(IncidentAction.UNFLAG))
    return router


# --- keyboards (pure) ---------------------------------------------------------------------------


def _cb(action: IncidentAction, id_: int = 0, value: str = "") -> str:
    return IncidentCb(action=action, id=id_, value=value).pack()


def classes_kb(lang: str, classes: list[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for klass in classes:
        builder.button(text=klass, callback_data=_cb(IncidentAction.CLASS, value=klass))
    builder.adjust(5)
    builder.row(
        InlineKeyboardButton(
            text=t(lang, "btn_new_student"), callback_data=_cb(IncidentAction.NEW)
        )
    )
    return builder.as_markup()


def students_kb(lang: str, found: list[Student], *, add: bool = True) -> InlineKeyboardMarkup:
    names = [" ".join(s.full_name.split()).casefold() for s in found]
    builder = InlineKeyboardBuilder()
    for student, name in zip(found, names, strict=True):
        label = f"{student.full_name} · {student.class_name}"
        if names.count(name) > 1:  # namesakes: tell them apart
            born = f" · {student.birth_date:%d.%m.%Y}" if student.birth_date else ""
            label += f" · #{student.id}{born}"
        builder.button(text=label[:64], callback_data=_cb(IncidentAction.STUDENT, student.id or 0))
    builder.adjust(1)
    if add:
        builder.row(
            InlineKeyboardButton(
                text=t(lang, "btn_new_student"), callback_data=_cb(IncidentAction.NEW)
            )
        )
    return builder.as_markup()


def categories_kb(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in incidents.CATEGORIES:
        builder.button(
            text=t(lang, f"cat_{category.value}"),
            callback_data=_cb(IncidentAction.CATEGORY, value=category.value),
        )
    builder.adjust(2)
    return builder.as_markup()


def confirm_kb(lang: str, when_chosen: bool) -> InlineKeyboardMarkup:
    save = "btn_save_note" if when_chosen else "btn_save_now"
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t(lang, save), callback_data=_cb(IncidentAction.SAVE))],
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_earlier_today"),
                    callback_data=_cb(IncidentAction.WHEN, value="today"),
                ),
                InlineKeyboardButton(
                    text=t(lang, "btn_yesterday"),
                    callback_data=_cb(IncidentAction.WHEN, value="yday"),
                ),
            ],
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_other_date"),
                    callback_data=_cb(IncidentAction.WHEN, value="date"),
                )
            ],
        ]
    )


def hours_kb(now: datetime) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    first = min(FIRST_HOUR, now.hour)
    for h in range(first, now.hour + 1):
        builder.button(text=f"{h:02d}:00", callback_data=_cb(IncidentAction.HOUR, h))
    builder.adjust(4)
    return builder.as_markup()


def note_kb(
    lang: str, incident: Incident, *, editable: bool, card: bool = True
) -> InlineKeyboardMarkup:
    assert incident.id is not None
    rows: list[list[InlineKeyboardButton]] = []
    first: list[InlineKeyboardButton] = []
    if editable:
        first.append(
            InlineKeyboardButton(
                text=t(lang, "btn_edit_note"), callback_data=_cb(IncidentAction.EDIT, incident.id)
            )
        )
    flag_action = IncidentAction.UNFLAG if incident.for_council else IncidentAction.FLAG
    first.append(
        InlineKeyboardButton(
            text=t(lang, "btn_unflag" if incident.for_council else "btn_flag"),
            callback_data=_cb(flag_action, incident.id),
        )
    )
    rows.append(first)
    if card:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_open_card"),
                    callback_data=StudentCb(
                        action=StudentAction.CARD, id=incident.student_id
                    ).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def open_kb(lang: str, incident_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_open_note", no=incident_id),
                    callback_data=_cb(IncidentAction.OPEN, incident_id),
                )
            ]
        ]
    )


# --- helpers ------------------------------------------------------------------------------------


def _fmt_when(lang: str, moment: datetime, now: datetime, chosen: bool) -> str:
    if not chosen:
        return t(lang, "when_now", time=f"{now:%H:%M}")
    if moment.date() == now.date():
        return t(lang, "when_today", time=f"{moment:%H:%M}")
    return t(lang, "when_day", date=f"{moment:%d.%m.%Y}")


async def _who(session: AsyncSession, data: dict[str, Any]) -> tuple[str, str]:
    """The chosen student's name and class (or the new student's, not saved yet)."""
    if data.get("student"):
        student = await session.get(Student, data["student"])
        if student is not None:
            return student.full_name, student.class_name
    return data.get("new_name", "?"), data.get("new_class", "?")


async def _confirm_view(
    session: AsyncSession, data: dict[str, Any], lang: str, now: datetime, tz: Any
) -> tuple[str, InlineKeyboardMarkup]:
    name, klass = await _who(session, data)
    chosen = data.get("occurred") is not None
    moment = datetime.fromisoformat(data["occurred"]).astimezone(tz) if chosen else now
    text = t(
        lang,
        "inc_confirm",
        name=quote(name),
        klass=quote(klass),
        category=t(lang, f"cat_{data['category']}"),
        when=_fmt_when(lang, moment, now.astimezone(tz), chosen),
        size=tp(lang, "n_chars", len(data.get("text", ""))),
        attached=t(lang, "inc_attached") if data.get("file_id") else "",
    )
    return text, confirm_kb(lang, chosen)


async def begin_with_student(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, lang: str, student: Student
) -> None:
    """Start a note about a known student at the category step (also from the card)."""
    await state.clear()
    await state.set_state(IncidentForm.category)
    await state.update_data(student=student.id)
    await show(
        query,
        t(lang, "inc_pick_category", name=quote(student.full_name), klass=student.class_name),
        categories_kb(lang),
    )


async def _in_flow(query: CallbackQuery, state: FSMContext, lang: str, *wanted: Any) -> bool:
    if await state.get_state() in {w.state for w in wanted}:
        return True
    await query.answer(t(lang, "inc_flow_over"), show_alert=True)
    return False


# --- picking the student ------------------------------------------------------------------------


async def start(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    command: CommandObject | None = None,
) -> None:
    await state.clear()
    own = students.readable_class(person)
    if not students.can_read_all(person) and own is None:
        await message.answer(t(lang, "inc_no_class"))
        return
    await state.set_state(IncidentForm.student)
    if command is not None and command.args:
        await _search(message, session, person, lang, command.args)
        return
    if own is not None:
        found = await students.students_of_class(session, own)
        await message.answer(
            t(lang, "inc_pick_in_class", klass=own), reply_markup=students_kb(lang, found)
        )
        return
    classes = await students.known_classes(session)
    await message.answer(t(lang, "inc_pick_student"), reply_markup=classes_kb(lang, classes))


async def _search(
    message: Message, session: AsyncSession, person: Person, lang: str, query: str
) -> None:
    own = students.readable_class(person)
    klass = normalize_class(query)
    if own is not None and klass is not None and klass != own:
        await message.answer(t(lang, "inc_not_your_class", klass=own))
        return
    found = await students.search(session, query, only_class=own)
    if not found:
        await message.answer(
            t(lang, "inc_found_none", query=quote(" ".join(query.split())[:60])),
            reply_markup=students_kb(lang, []),
        )
        return
    await message.answer(t(lang, "inc_found"), reply_markup=students_kb(lang, found))


async def search_typed(message: Message, session: AsyncSession, person: Person, lang: str) -> None:
    await _search(message, session, person, lang, message.text or "")


async def pick_class(
    query: CallbackQuery,
    callback_data: IncidentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    if not await _in_flow(query, state, lang, IncidentForm.student):
        return
    klass = normalize_class(callback_data.value)
    if klass is None or not students.can_read(person, klass):
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    found = await students.students_of_class(session, klass)
    await show(query, t(lang, "inc_pick_in_class", klass=klass), students_kb(lang, found))


async def pick_student(
    query: CallbackQuery,
    callback_data: IncidentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
) -> None:
    if not await _in_flow(query, state, lang, IncidentForm.student, IncidentForm.new_student):
        return
    student = await session.get(Student, callback_data.id)
    if student is None:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    if not students.can_read(person, student.class_name):
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    await begin_with_student(query, state, session, lang, student)


async def new_student(
    query: CallbackQuery,
    callback_data: IncidentCb,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
) -> None:
    if not await _in_flow(query, state, lang, IncidentForm.student, IncidentForm.new_student):
        return
    data = await state.get_data()
    if callback_data.value == "add" and data.get("new_name"):  # a namesake, added on purpose
        await state.set_state(IncidentForm.category)
        await state.update_data(student=None)
        await show(
            query,
            t(lang, "inc_pick_category", name=quote(data["new_name"]), klass=data["new_class"]),
            categories_kb(lang),
        )
        return
    await state.set_state(IncidentForm.new_student)
    await show(query, t(lang, "inc_new_student_ask"), None)


async def new_student_typed(
    message: Message, state: FSMContext, session: AsyncSession, person: Person, lang: str
) -> None:
    name, klass = students.split_name_and_class(message.text or "")
    if klass is None:
        await message.answer(t(lang, "inc_new_student_bad_class"))
        return
    if name is None:
        await message.answer(t(lang, "inc_new_student_bad_name"))
        return
    own = students.readable_class(person)
    if not students.can_read(person, klass):
        await message.answer(t(lang, "inc_not_your_class", klass=own or "—"))
        return
    await state.update_data(new_name=name, new_class=klass, student=None)
    same = await students.namesakes(session, name, klass)
    if same:
        kb = students_kb(lang, same, add=False)
        kb.inline_keyboard.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_add_anyway"),
                    callback_data=_cb(IncidentAction.NEW, value="add"),
                )
            ]
        )
        await message.answer(
            t(lang, "inc_namesake", name=quote(name), klass=klass), reply_markup=kb
        )
        return
    await state.set_state(IncidentForm.category)
    await message.answer(
        t(lang, "inc_pick_category", name=quote(name), klass=klass),
        reply_markup=categories_kb(lang),
    )


# --- category, text, when -----------------------------------------------------------------------


async def pick_category(
    query: CallbackQuery,
    callback_data: IncidentCb,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
) -> None:
    if not await _in_flow(query, state, lang, IncidentForm.category):
        return
    try:
        category = IncidentCategory(callback_data.value)
    except ValueError:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    await state.update_data(category=category.value)
    await state.set_state(IncidentForm.text)
    name, klass = await _who(session, await state.get_data())
    await show(
        query,
        t(
            lang,
            "inc_ask_text",
            name=quote(name),
            klass=quote(klass),
            category=t(lang, f"cat_{category.value}"),
        ),
        None,
    )


async def _take_file(message: Message, state: FSMContext, lang: str, settings: Settings) -> bool:
    """Remember the message's file for the note (it is downloaded on Save). False, after
    telling the user, if it is over the size limit: the message is not taken at all."""
    incoming = attachments.incoming_of(message)
    if incoming is None:
        return True
    limit = attachments.max_bytes(settings.attachment_max_mb)
    if incoming.size is not None and incoming.size > limit:
        await message.answer(attachments.too_large_text(lang, incoming.size, limit))
        return False
    await state.update_data(
        file_id=incoming.file_id,
        file_kind=incoming.kind,
        file_size=incoming.size,
        file_name=incoming.name,
        file_mime=incoming.mime,
    )
    return True


async def text_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
    settings: Settings,
) -> None:
    if not await _take_file(message, state, lang, settings):
        return
    attached = attachments.incoming_of(message) is not None
    text = message.text if message.text is not None else (message.caption or "")
    if not text.strip():
        await message.answer(t(lang, "inc_need_text" if attached else "inc_empty"))
        return
    if len(text) > incidents.NOTE_MAX:
        await message.answer(t(lang, "too_long", size=len(text), limit=incidents.NOTE_MAX))
        return
    await state.update_data(text=text)
    await state.set_state(IncidentForm.confirm)
    view, kb = await _confirm_view(session, await state.get_data(), lang, clock.now(), calendar.tz)
    await message.answer(view, reply_markup=kb)


async def more_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
    settings: Settings,
) -> None:
    """On the confirm screen, more text continues the note (a long paste comes in parts)."""
    data = await state.get_data()
    if not await _take_file(message, state, lang, settings):
        return
    extra = message.text if message.text is not None else (message.caption or "")
    if extra.strip():
        joined = f"{data.get('text', '')}\n{extra}"
        if len(joined) > incidents.NOTE_MAX:
            await message.answer(t(lang, "too_long", size=len(joined), limit=incidents.NOTE_MAX))
            return
        await state.update_data(text=joined)
    view, kb = await _confirm_view(session, await state.get_data(), lang, clock.now(), calendar.tz)
    await message.answer(view, reply_markup=kb)


async def when(
    query: CallbackQuery,
    callback_data: IncidentCb,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    if not await _in_flow(query, state, lang, IncidentForm.confirm):
        return
    now = clock.now().astimezone(calendar.tz)
    if callback_data.value == "today":
        await show(query, t(lang, "inc_pick_hour"), hours_kb(now))
        return
    if callback_data.value == "date":
        await state.set_state(IncidentForm.date)
        await show(query, t(lang, "inc_ask_date"), None)
        return
    yesterday = datetime.combine(now.date() - timedelta(days=1), time(12, 0), tzinfo=calendar.tz)
    await state.update_data(occurred=yesterday.isoformat())
    view, kb = await _confirm_view(session, await state.get_data(), lang, now, calendar.tz)
    await show(query, view, kb)


async def hour(
    query: CallbackQuery,
    callback_data: IncidentCb,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    if not await _in_flow(query, state, lang, IncidentForm.confirm):
        return
    now = clock.now().astimezone(calendar.tz)
    moment = min(
        datetime.combine(now.date(), time(callback_data.id % 24), tzinfo=calendar.tz), now
    )
    await state.update_data(occurred=moment.isoformat())
    view, kb = await _confirm_view(session, await state.get_data(), lang, now, calendar.tz)
    await show(query, view, kb)


def parse_day(text: str, today: date) -> date | None:
    """``"18.11"`` (this year, or last year if that would be in the future), ``"18.11.2026"``;
    None if unreadable, in the future or more than a year ago."""
    match = DATE_RE.match(text)
    if match is None:
        return None
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    try:
        if year is None:
            found = date(today.year, month, day)
            if found > today:
                found = date(today.year - 1, month, day)
        else:
            found = date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    except ValueError:
        return None
    if found > today or found < today - timedelta(days=366):
        return None
    return found


async def date_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
) -> None:
    now = clock.now().astimezone(calendar.tz)
    day = parse_day(message.text or "", now.date())
    if day is None:
        await message.answer(t(lang, "inc_bad_date"))
        return
    moment = min(datetime.combine(day, time(12, 0), tzinfo=calendar.tz), now)
    await state.update_data(occurred=moment.isoformat())
    await state.set_state(IncidentForm.confirm)
    view, kb = await _confirm_view(session, await state.get_data(), lang, now, calendar.tz)
    await message.answer(view, reply_markup=kb)


# --- saving and telling -------------------------------------------------------------------------


async def save(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    attachment_store: AttachmentStore,
    incident_config: IncidentConfig = DEFAULT_CONFIG,
    outbox: Any = None,
) -> None:
    if not await _in_flow(query, state, lang, IncidentForm.confirm):
        return
    data = await state.get_data()
    attachment = None
    if data.get("file_id"):
        # The file is fetched now, not when it came: nothing is kept until the note is.
        attachment = await _fetch(query, state, data, lang, settings, bot, attachment_store)
        if attachment is None:
            return
    now = clock.now()
    student_id = data.get("student")
    if not student_id:
        new = await students.add_student(
            session,
            full_name=data["new_name"],
            class_name=data["new_class"],
            actor=person,
            now=now,
        )
        student_id = new.id
    assert student_id is not None
    occurred = datetime.fromisoformat(data["occurred"]) if data.get("occurred") else now
    try:
        incident = await incidents.file_incident(
            session,
            student_id=student_id,
            author=person,
            category=IncidentCategory(data["category"]),
            text=data["text"],
            occurred_at=occurred,
            now=now,
            attachment=attachment,
        )
    except NotAllowed:
        await session.rollback()
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    told = await _notify(session, incident, person, now, incident_config)
    await session.commit()
    await state.clear()
    assert incident.id is not None
    log.info("note %s filed by person %s, %d told", incident.id, person.id, told)
    if outbox is not None:
        outbox.wake()
    await show(
        query,
        t(lang, "inc_saved", no=incident.id, people=tp(lang, "n_people", told)),
        note_kb(lang, incident, editable=True),
    )


async def _fetch(
    query: CallbackQuery,
    state: FSMContext,
    data: dict[str, Any],
    lang: str,
    settings: Settings,
    bot: Bot,
    store: AttachmentStore,
) -> Attachment | None:
    """The dialogue's file, downloaded into the school's folder; None after telling the user
    (too large: the file is dropped from the note; Telegram failed: tap Save again)."""
    incoming = attachments.Incoming(
        data["file_id"], data["file_kind"], data.get("file_size"), data.get("file_name"),
        data.get("file_mime"),
    )  # fmt: skip
    try:
        kept = await attachments.fetch(
            bot, incoming, store, attachments.max_bytes(settings.attachment_max_mb)
        )
    except attachments.TooLarge as exc:
        await state.update_data(file_id=None, file_kind=None)
        await query.answer(
            attachments.too_large_text(lang, exc.size, exc.limit)[:200], show_alert=True
        )
        return None
    except (TelegramAPIError, OSError) as exc:
        log.warning("a note's file could not be fetched: %s", exc)
        await query.answer(t(lang, "att_fetch_failed"), show_alert=True)
        return None
    return Attachment(
        incoming.file_id, incoming.kind, kept.sha256, kept.size, incoming.name, incoming.mime,
        bot_id=bot.id,
    )  # fmt: skip


async def _notify(
    session: AsyncSession,
    incident: Incident,
    author: Person,
    now: datetime,
    config: IncidentConfig,
) -> int:
    """One outbox message per recipient: number, category, class; no name, no text."""
    assert incident.id is not None
    student = await session.get(Student, incident.student_id)
    assert student is not None
    told = 0
    for person, account in await incidents.recipients(session, author, config):
        lang = str(account.language)
        told += await enqueue(
            session,
            dedup_key=f"incident:{incident.id}|{person.id}|new",
            chat_id=account.chat_id,
            text=t(
                lang,
                "inc_new_notice",
                no=incident.id,
                category=t(lang, f"cat_{incident.category.value}"),
                klass=quote(student.class_name),
            ),
            kind="incident",
            due_at=now,
            now=now,
            person_id=person.id,
            reply_markup=open_kb(lang, incident.id),
        )
    return told


# --- reading, correcting, flagging --------------------------------------------------------------


def render_note(lang: str, view: incidents.NoteView, tz: Any) -> list[str]:
    """The note as HTML parts of at most 4096 characters after entity parsing; never cut."""
    incident = view.incident
    edited = (
        t(
            lang,
            "inc_edited",
            version=view.version,
            at=f"{view.edited_at.astimezone(tz):%d.%m.%Y %H:%M}",
        )
        if view.version > 1
        else ""
    )
    head = t(
        lang,
        "inc_note_head",
        no=incident.id,
        category=t(lang, f"cat_{incident.category.value}"),
        name=quote(view.student.full_name),
        klass=quote(view.student.class_name),
        when=f"{incident.occurred_at.astimezone(tz):%d.%m.%Y %H:%M}",
        author=quote(view.author.name if view.author else "—"),
        edited=edited,
        flag=t(lang, "inc_flag_mark") if incident.for_council else "",
    )
    return split_message(f"{head}\n\n{quote(view.text)}")


async def open_note(
    query: CallbackQuery,
    callback_data: IncidentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
    calendar: SchoolCalendar,
    bot: Bot,
    attachment_store: AttachmentStore,
) -> None:
    now = clock.now()
    try:
        view = await incidents.read_note(session, callback_data.id, person, now)
    except NotAllowed:
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    if view is None:
        await query.answer(t(lang, "inc_not_found"), show_alert=True)
        return
    assert isinstance(query.message, Message)
    parts = render_note(lang, view, calendar.tz)
    kb = note_kb(lang, view.incident, editable=incidents.can_edit(view.incident, person, now))
    for i, part in enumerate(parts):
        await query.message.answer(part, reply_markup=kb if i == len(parts) - 1 else None)
    incident = view.incident
    if incident.attachment_file_id or incident.attachment_sha256:
        chat_id = query.message.chat.id
        caption = f"№{incident.id}"
        file_id = await attachments.send_attachment(
            bot, chat_id, incident, attachment_store, caption=caption
        )
        if file_id is None:
            await query.message.answer(t(lang, "att_missing", no=incident.id))
        elif file_id != incident.attachment_file_id or incident.attachment_bot_id != bot.id:
            incident.attachment_file_id, incident.attachment_bot_id = file_id, bot.id
            session.add(incident)  # the cache now holds this bot's id of the file
            await session.commit()
    await query.answer()


async def edit_start(
    query: CallbackQuery,
    callback_data: IncidentCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
) -> None:
    incident = await session.get(Incident, callback_data.id)
    if incident is None:
        await query.answer(t(lang, "inc_not_found"), show_alert=True)
        return
    if not incidents.can_edit(incident, person, clock.now()):
        await query.answer(t(lang, "inc_edit_refused"), show_alert=True)
        return
    await state.clear()
    await state.set_state(IncidentForm.edit)
    await state.update_data(incident=incident.id)
    assert isinstance(query.message, Message)
    await query.message.answer(t(lang, "inc_edit_ask", no=incident.id))
    await query.answer()


async def edit_typed(
    message: Message, state: FSMContext, session: AsyncSession, person: Person, lang: str,
    clock: Clock,
) -> None:  # fmt: skip
    text = message.text or ""
    if not text.strip():
        await message.answer(t(lang, "inc_empty"))
        return
    if len(text) > incidents.NOTE_MAX:
        await message.answer(t(lang, "too_long", size=len(text), limit=incidents.NOTE_MAX))
        return
    incident_id = (await state.get_data()).get("incident", 0)
    try:
        row = await incidents.edit_incident(
            session, incident_id=incident_id, editor=person, text=text, now=clock.now()
        )
    except incidents.EditRefused:
        await state.clear()
        await message.answer(t(lang, "inc_edit_refused"))
        return
    except LookupError:
        await state.clear()
        await message.answer(t(lang, "inc_not_found"))
        return
    await state.clear()
    await message.answer(t(lang, "inc_edit_saved", no=incident_id, version=row.version))


async def flag(
    query: CallbackQuery,
    callback_data: IncidentCb,
    session: AsyncSession,
    person: Person,
    lang: str,
    clock: Clock,
) -> None:
    on = callback_data.action is IncidentAction.FLAG
    try:
        incident = await incidents.set_flag(
            session, incident_id=callback_data.id, actor=person, for_council=on, now=clock.now()
        )
    except NotAllowed:
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    except LookupError:
        await query.answer(t(lang, "inc_not_found"), show_alert=True)
        return
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        editable = incidents.can_edit(incident, person, clock.now())
        await edit_markup(query.message, note_kb(lang, incident, editable=editable))
    await query.answer(t(lang, "inc_flagged" if on else "inc_unflagged", no=incident.id))
