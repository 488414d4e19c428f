"""/documents: the council's papers as files, for those the permission table allows.

* minutes, analyses, the effective plan (`Perm.DOC_COUNCIL`): chair, deputies, secretary,
  social pedagogue; counts only, no child's name (the minutes' closed appendix is left out
  here unless the reader may read the notes);
* the register (`Perm.DOC_REGISTER`) and a child's case file (`Perm.DOC_CASE_FILE`, audited):
  note readers only; sent with ``protect_content`` (no forwarding, no saving).

Each file comes in one message (sendDocument) in the reader's language.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import DocAction, DocCb
from bot.clock import Clock
from bot.config import Settings
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.documents import Produced, TemplateProblem, produce
from bot.documents import data as q
from bot.escape import quote
from bot.filters import PrivateChat
from bot.permissions import Perm, can
from bot.screens import show
from bot.services import students
from bot.states import DocumentForm
from bot.texts import t
from db.models import Person, Student

log = logging.getLogger(__name__)
D = DocAction
DOC_PERMS = (Perm.DOC_COUNCIL, Perm.DOC_REGISTER, Perm.DOC_CASE_FILE)
NEEDS: dict[DocAction, Perm] = {
    D.MINUTES: Perm.DOC_COUNCIL,
    D.ANALYSIS: Perm.DOC_COUNCIL,
    D.PLAN: Perm.DOC_COUNCIL,
    D.REGISTER: Perm.DOC_REGISTER,
    D.CASE: Perm.DOC_CASE_FILE,
}


class AnyDocPerm(Filter):
    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and any(can(person.roles, p) for p in DOC_PERMS)


def router_factory() -> Router:
    router = Router(name="documents")
    router.message.filter(PrivateChat())
    allowed = AnyDocPerm()
    router.message.register(menu_cmd, Command("documents"), allowed)
    router.message.register(student_typed, DocumentForm.student, F.text, allowed)
    router.callback_query.register(tap, DocCb.filter(), allowed)
    router.callback_query.register(forbidden, DocCb.filter())
    return router


def _cb(action: DocAction, arg: str = "") -> str:
    return DocCb(action=action, arg=arg).pack()


def menu_kb(lang: str, person: Person) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key, action in (
        ("btn_doc_minutes", D.MINUTES),
        ("btn_doc_register", D.REGISTER),
        ("btn_doc_analysis", D.ANALYSIS),
        ("btn_doc_case", D.CASE),
        ("btn_doc_plan", D.PLAN),
    ):
        if can(person.roles, NEEDS[action]):
            builder.button(text=t(lang, key), callback_data=_cb(action))
    builder.adjust(1)
    return builder.as_markup()


def _back(builder: InlineKeyboardBuilder, lang: str) -> None:
    builder.button(text=t(lang, "btn_back"), callback_data=_cb(D.MENU))


async def menu_cmd(message: Message, person: Person, lang: str, state: FSMContext) -> None:
    await state.clear()
    await message.answer(
        t(lang, "doc_menu", language=t(lang, "doc_lang")), reply_markup=menu_kb(lang, person)
    )


async def forbidden(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "not_allowed"), show_alert=True)


async def tap(
    query: CallbackQuery,
    callback_data: DocCb,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    person: Person,
    state: FSMContext,
    settings: Settings,
    bot: Bot,
) -> None:
    action, arg = callback_data.action, callback_data.arg
    if action == D.MENU:
        await state.clear()
        text = t(lang, "doc_menu", language=t(lang, "doc_lang"))
        await show(query, text, menu_kb(lang, person))
        return
    if not can(person.roles, NEEDS[action]):
        await forbidden(query, lang)
        return
    now = clock.now()
    opts = produce.options(settings)
    made: Produced | None = None
    name = ""
    try:
        if action == D.MINUTES:
            if not arg:
                await _sessions_screen(query, session, calendar, lang)
                return
            number = int(arg) if arg.isdigit() else -1
            # The closed appendix (names) only for those who read the notes.
            names_ok = can(person.roles, Perm.READ_ALL_INCIDENTS)
            made = await produce.minutes(
                session, plan, calendar, now, lang, opts, number,
                with_appendix=None if names_ok else False,
            )  # fmt: skip
            name = t(lang, "doc_name_minutes", number=number)
        elif action == D.REGISTER:
            which, _, fmt = arg.partition(".")
            if not arg:
                await _register_screen(query, lang)
                return
            made = await produce.register(
                session, plan, calendar, now, lang, opts, q.RegisterFilter(which), fmt
            )
            name = t(lang, "doc_name_register")
        elif action == D.ANALYSIS:
            if not arg:
                await _analysis_screen(query, lang)
                return
            period, _, fmt = arg.partition(".")
            if period not in ("h1", "year") or fmt not in ("docx", "xlsx"):
                raise ValueError(arg)
            made = await produce.analysis(
                session, plan, calendar, now, lang, opts, half=period == "h1", fmt=fmt
            )
            name = t(lang, f"doc_name_analysis_{period}")
        elif action == D.CASE:
            if not arg:
                await state.set_state(DocumentForm.student)
                await show(query, t(lang, "doc_ask_student"))
                return
            made = await _case_file(query, arg, session, plan, calendar, clock, lang, person, opts)
            if made is None:
                return
            student = await session.get(Student, int(arg))
            assert student is not None  # `_case_file` made the file: the student is there
            name = t(lang, "doc_name_case", name=student.full_name, klass=student.class_name)
        elif action == D.PLAN:
            made = await produce.effective_plan(session, plan, calendar, now, lang, opts)
            name = t(lang, "doc_name_plan")
    except (ValueError, q.NotRecorded):
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    except TemplateProblem as exc:
        await query.answer()
        await bot.send_message(
            query.from_user.id, t(lang, "doc_template_problem", problem=quote(str(exc)))
        )
        return
    assert made is not None
    await query.answer(t(lang, "doc_sent"))
    await send_file(bot, query.from_user.id, made, name, lang)


async def send_file(bot: Bot, chat_id: int, made: Produced, name: str, lang: str) -> None:
    """One message: the file, protected when it carries a child's name."""
    key = "doc_caption_private" if made.sensitive else "doc_caption"
    log.info("document %s sent to chat %s", made.filename.split("-", 1)[0], chat_id)
    await bot.send_document(
        chat_id,
        BufferedInputFile(made.content, made.filename),
        caption=t(lang, key, name=quote(name)),
        protect_content=made.sensitive,
    )


async def _sessions_screen(
    query: CallbackQuery, session: AsyncSession, calendar: SchoolCalendar, lang: str
) -> None:
    rows = await q.held_sessions(session, calendar.year)
    builder = InlineKeyboardBuilder()
    for row in rows:
        assert row.held_at is not None
        day = row.held_at.astimezone(calendar.tz).strftime("%d.%m")
        builder.button(
            text=f"№{row.number} · {day}", callback_data=_cb(D.MINUTES, str(row.number))
        )
    _back(builder, lang)
    builder.adjust(*([3] * (len(rows) // 3)), *([len(rows) % 3] if len(rows) % 3 else []), 1)
    text = t(lang, "doc_pick_session") if rows else t(lang, "doc_no_sessions")
    await show(query, text, builder.as_markup())


async def _register_screen(query: CallbackQuery, lang: str) -> None:
    builder = InlineKeyboardBuilder()
    for which, key in (("current", "btn_doc_current"), ("year", "btn_doc_year"),
                       ("removed", "btn_doc_removed")):  # fmt: skip
        for fmt in ("xlsx", "docx"):
            label = f"{t(lang, key)} · {'Excel' if fmt == 'xlsx' else 'Word'}"
            builder.button(text=label, callback_data=_cb(D.REGISTER, f"{which}.{fmt}"))
    _back(builder, lang)
    builder.adjust(2, 2, 2, 1)
    await show(query, t(lang, "doc_pick_register"), builder.as_markup())


async def _analysis_screen(query: CallbackQuery, lang: str) -> None:
    builder = InlineKeyboardBuilder()
    for period, key in (("h1", "btn_doc_h1"), ("year", "btn_doc_full_year")):
        for fmt in ("docx", "xlsx"):
            label = f"{t(lang, key)} · {'Word' if fmt == 'docx' else 'Excel'}"
            builder.button(text=label, callback_data=_cb(D.ANALYSIS, f"{period}.{fmt}"))
    _back(builder, lang)
    builder.adjust(2, 2, 1)
    await show(query, t(lang, "doc_pick_analysis"), builder.as_markup())


async def _case_file(
    query: CallbackQuery, arg: str, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, person: Person, opts: Any,
) -> Produced | None:  # fmt: skip
    if not arg.isdigit():
        raise ValueError(arg)
    try:
        # `open_card` checks who may read it and audits the opening, like the card itself.
        card = await students.open_card(session, int(arg), person, clock.now())
    except students.NotAllowed:
        await forbidden(query, lang)
        return None
    if card is None:
        raise ValueError(arg)
    return await produce.case_file(
        session, plan, calendar, clock.now(), lang, opts, int(arg), actor=person, via="bot"
    )


async def student_typed(
    message: Message, session: AsyncSession, person: Person, lang: str, state: FSMContext
) -> None:
    if not can(person.roles, Perm.DOC_CASE_FILE):
        await message.answer(t(lang, "not_allowed"))
        return
    found = await students.search(
        session, message.text or "", only_class=students.readable_class(person), limit=12
    )
    if not found:
        await message.answer(t(lang, "doc_no_students"))
        return
    await state.clear()
    builder = InlineKeyboardBuilder()
    for s in found:
        builder.button(
            text=f"{s.full_name} · {s.class_name}"[:60], callback_data=_cb(D.CASE, str(s.id))
        )
    _back(builder, lang)
    builder.adjust(1)
    await message.answer(t(lang, "doc_pick_student"), reply_markup=builder.as_markup())
