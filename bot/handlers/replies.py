"""Replies in words: answering a reminder by replying to it.

* "done", "дайын", "орындалды", "сделано", "готово", ✅ or 👍 (the first word; "дайын емес",
  "не сделано" are not) marks what the message carries done, with an Undo button; words after
  it are kept as a comment;
* any other text becomes a comment on the item (a message with several items asks which);
* a photo or a document attaches evidence (`bot.services.evidence`: kept by the school in the
  attachment store, like a note's file), with "Mark done"; a file over the size limit gets the
  same clear answer as a note's;
* a voice message is attached the same way and acknowledged.

The message replied to is found by its id (`bot.services.messages.carried_by`): the outbox
remembers which items each message it sent carries. A reply to anything else, and free text
outside any dialogue, get the short help (`bot.handlers.fallback.free_text_help`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import ReplyAction, ReplyCb
from bot.clock import Clock
from bot.config import Settings
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.schedule import Occurrence
from bot.escape import quote
from bot.filters import PrivateChat
from bot.handlers.fallback import free_text_help
from bot.handlers.inbox import current_view
from bot.screens import edit
from bot.services import attachments, evidence, messages, routine, tasks
from bot.services.attachments import AttachmentStore
from bot.services.messages import Carried
from bot.texts import t
from db.models import Person, ReportStatus

log = logging.getLogger(__name__)
TEXT_MAX = 1000
DONE_WORDS = frozenset(
    {
        "done", "ok", "ок", "+",
        "дайын", "орындалды", "орындадым", "орындадық", "бітті",
        "сделано", "сделал", "сделала", "сделали", "готово", "выполнено", "выполнил",
        "выполнила", "выполнили",
    }
)  # fmt: skip
DONE_SIGNS = ("✅", "👍", "✔")
NOT_AFTER = ("емес", "жоқ")  # "дайын емес": not ready
_WORD = re.compile(r"[\s,.!;:()—–-]+")
_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")  # variation selector, skin tones


def done_words(text: str) -> tuple[bool, str]:
    """Whether a reply says "done", and the rest of it (kept as a comment)."""
    flat = _MODIFIERS.sub("", text).strip()
    for sign in DONE_SIGNS:
        if flat.startswith(sign):
            return True, flat[len(sign) :].strip(" ,.!-—")
    parts = _WORD.split(flat, maxsplit=1)
    first = parts[0].casefold()
    rest = parts[1].strip() if len(parts) > 1 else ""
    if first not in DONE_WORDS:
        return False, flat
    if rest.split(maxsplit=1)[:1] and rest.split()[0].casefold().strip(".,!") in NOT_AFTER:
        return False, flat
    return True, rest


class ReplyToBot(Filter):
    """A message replying to one of the bot's, not a command."""

    async def __call__(self, event: TelegramObject, bot: Bot) -> bool:
        if not isinstance(event, Message) or event.reply_to_message is None:
            return False
        author = event.reply_to_message.from_user
        if author is None or author.id != bot.id:
            return False
        return not (event.text or "").startswith("/")


def router_factory() -> Router:
    router = Router(name="replies")
    router.message.filter(PrivateChat())
    router.message.register(reply, StateFilter(None), ReplyToBot())
    router.callback_query.register(undo, ReplyCb.filter(F.action == ReplyAction.UNDO))
    router.callback_query.register(picked, ReplyCb.filter(F.action == ReplyAction.PICK))
    router.callback_query.register(mark_done, ReplyCb.filter(F.action == ReplyAction.DONE))
    return router


def _title(lang: str, occ: Occurrence, plan: Plan) -> dict[str, str]:
    ref, title = tasks.named(lang, occ, plan)
    return {"ref": quote(ref), "title": quote(routine.short(title, 60))}


def _refs(lang: str, occs: list[Occurrence], plan: Plan) -> str:
    """The items' numbers as a user reads them (decisions by their title), escaped."""
    names = []
    for occ in occs:
        ref, title = tasks.named(lang, occ, plan)
        names.append(f"{ref} «{routine.short(title, 40)}»" if occ.rule == "decision" else ref)
    return quote(", ".join(sorted(set(names))))


async def reply(
    message: Message, bot: Bot, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, settings: Settings,
    attachment_store: AttachmentStore,
) -> None:  # fmt: skip
    card = message.reply_to_message
    assert card is not None
    carried = await messages.carried_by(session, message.chat.id, card.message_id)
    if carried is None or not carried.items:
        await message.answer(free_text_help(lang, person.roles))
        return
    now = clock.now()
    file = attachments.incoming_of(message)
    files = Files(bot, attachment_store, attachments.max_bytes(settings.attachment_max_mb))
    if file is not None and file.size is not None and file.size > files.max_bytes:
        await message.answer(attachments.too_large_text(lang, file.size, files.max_bytes))
        return
    text = (message.text or message.caption or "").strip()
    if file is None and not text:
        await message.answer(free_text_help(lang, person.roles))
        return
    if len(text) > TEXT_MAX:
        await message.answer(t(lang, "too_long", size=len(text), limit=TEXT_MAX))
        return
    keys = [k for k, _ in carried.items]
    if file is None:
        said_done, rest = done_words(text)
        if said_done:
            await _done(message, bot, session, person, plan, calendar, clock, lang, carried, rest)
            return
    found = await messages.find_items(session, plan, calendar, person, keys, now)
    targets = _one_per_item(found.occurrences, carried)
    if not targets:
        await message.answer(t(lang, "reply_gone"))
        return
    pending: dict[str, Any] = {"text": text, "file": None, "message": message.message_id}
    if file is not None:
        pending["file"] = {
            "file_id": file.file_id, "kind": file.kind, "size": file.size, "name": file.name,
            "mime": file.mime,
        }  # fmt: skip
    if len(targets) == 1:
        await _apply(message, session, person, plan, calendar, lang, targets[0], pending, now,
                     found.finished, files)  # fmt: skip
        return
    await state.update_data(reply=pending)  # no dialogue: the buttons below carry on
    rows = [
        [
            InlineKeyboardButton(
                text=" ".join(tasks.named(lang, occ, plan))[:60],
                callback_data=ReplyCb(action=ReplyAction.PICK, occ=occ.key).pack(),
            )
        ]
        for occ in targets[:20]
    ]
    await message.answer(
        t(lang, "reply_which"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


def _one_per_item(found: tuple[Occurrence, ...], carried: Carried) -> list[Occurrence]:
    """The items a reply may be about: each task, and each check-in once (its first day)."""
    kinds = dict(carried.items)
    out: list[Occurrence] = []
    seen_refs: set[str] = set()
    for occ in found:
        if kinds.get(occ.key) == "checkin":
            if occ.ref in seen_refs:
                continue
            seen_refs.add(occ.ref)
        out.append(occ)
    return out


@dataclass(frozen=True, slots=True)
class Files:
    """Where a reply's file goes: downloaded by `bot` into the school's store."""

    bot: Bot
    store: AttachmentStore
    max_bytes: int


async def _apply(
    message: Message, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, lang: str, occ: Occurrence, pending: dict[str, Any],
    now: datetime, finished: frozenset[str], files: Files,
) -> None:  # fmt: skip
    """A comment or a file for one item; the file gets "Mark done" if the item is open."""
    assert person.id is not None
    text = str(pending.get("text") or "")
    file_data = pending.get("file")
    if file_data:
        file = attachments.Incoming(**file_data)
        try:
            await evidence.attach(
                session, files.bot, files.store, max_bytes=files.max_bytes,
                occurrence_key=occ.key, person_id=person.id, file=file, caption=text or None,
                message_id=int(pending.get("message") or 0) or None, now=now,
            )  # fmt: skip
        except attachments.TooLarge as exc:
            await message.answer(attachments.too_large_text(lang, exc.size, exc.limit))
            return
        except (TelegramAPIError, OSError) as exc:
            log.warning("evidence for %s could not be fetched: %s", occ.key, type(exc).__name__)
            await message.answer(t(lang, "reply_file_failed"))
            return
        log.info("evidence %s attached to %s by person %s", file.kind, occ.key, person.id)
        markup = None
        if occ.key not in finished:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=t(lang, "btn_mark_done"),
                            callback_data=ReplyCb(action=ReplyAction.DONE, occ=occ.key).pack(),
                        )
                    ]
                ]
            )
        await message.answer(
            t(lang, f"reply_{file.kind}", **_title(lang, occ, plan)), reply_markup=markup
        )
        return
    message_id = int(pending.get("message") or 0)
    await _comment(session, person, calendar, occ, text, message_id, now)
    await message.answer(t(lang, "reply_comment", **_title(lang, occ, plan)))


async def _comment(
    session: AsyncSession, person: Person, calendar: SchoolCalendar, occ: Occurrence,
    text: str, message_id: int, now: datetime,
) -> None:  # fmt: skip
    assert person.id is not None
    row = await tasks.ensure_occurrence(session, occ, calendar.year)
    await tasks.record(
        session, occurrence=row, person_id=person.id, status=ReportStatus.COMMENT, now=now,
        idempotency_key=f"comment|{occ.key}|{person.id}|{message_id}", text=text,
    )  # fmt: skip


async def _done(
    message: Message, bot: Bot, session: AsyncSession, person: Person, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, carried: Carried, rest: str,
) -> None:  # fmt: skip
    now = clock.now()
    keys = [k for k, _ in carried.items]
    marked = await messages.mark_done(session, plan, calendar, person, keys, now)
    if not marked.done and not marked.already:
        await message.answer(t(lang, "reply_gone"))
        return
    if rest:
        for occ in _one_per_item(tuple(marked.done), carried)[:1]:
            await _comment(session, person, calendar, occ, rest, message.message_id, now)
    names = _refs(lang, marked.done or marked.already, plan)
    if not marked.done:
        await message.answer(t(lang, "reply_already", items=names))
        return
    log.info("done by reply: person %s, %d items", person.id, len(marked.done))
    await _refresh(bot, session, person, plan, calendar, clock, lang, carried)
    undo = ReplyCb(action=ReplyAction.UNDO, msg=carried.row.telegram_message_id or 0)
    await message.answer(
        t(lang, "reply_done", items=names),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t(lang, "btn_undo"),
                                                   callback_data=undo.pack())]]
        ),
    )  # fmt: skip


async def _refresh(
    bot: Bot, session: AsyncSession, person: Person, plan: Plan, calendar: SchoolCalendar,
    clock: Clock, lang: str, carried: Carried,
) -> None:  # fmt: skip
    """The message replied to shows only what is still open."""
    _text, markup = await current_view(session, plan, calendar, person, carried, clock, lang)
    message_id = carried.row.telegram_message_id
    if message_id is None:
        return
    try:
        await bot.edit_message_reply_markup(
            chat_id=carried.row.chat_id, message_id=message_id, reply_markup=markup
        )
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            log.info("could not refresh message %s: %s", message_id, exc)  # scrubbed by bot.logs


async def undo(
    query: CallbackQuery, callback_data: ReplyCb, bot: Bot, session: AsyncSession,
    person: Person, plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    message = query.message
    assert person.id is not None
    carried = (
        await messages.carried_by(session, message.chat.id, callback_data.msg)
        if isinstance(message, Message)
        else None
    )
    if carried is None or not carried.items:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    now = clock.now()
    found = await messages.find_items(
        session, plan, calendar, person, [k for k, _ in carried.items], now
    )
    undone: list[Occurrence] = []
    for occ in found.occurrences:
        row = await tasks.ensure_occurrence(session, occ, calendar.year)
        key = f"undo|{occ.key}|{person.id}|{getattr(message, 'message_id', 0)}"
        if await tasks.undo_done(session, occurrence=row, person_id=person.id, now=now,
                                 idempotency_key=key):  # fmt: skip
            undone.append(occ)
    if not undone:
        await query.answer(t(lang, "undo_nothing"), show_alert=True)
        return
    await _refresh(bot, session, person, plan, calendar, clock, lang, carried)
    await edit(message, t(lang, "reply_undone", items=_refs(lang, undone, plan)), None)
    await query.answer()


async def picked(
    query: CallbackQuery, callback_data: ReplyCb, bot: Bot, session: AsyncSession,
    person: Person, plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
    state: FSMContext, settings: Settings, attachment_store: AttachmentStore,
) -> None:  # fmt: skip
    pending = (await state.get_data()).get("reply")
    if not pending:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    now = clock.now()
    found = await messages.find_items(session, plan, calendar, person, [callback_data.occ], now)
    if not found.occurrences:
        await query.answer(t(lang, "reply_gone"), show_alert=True)
        return
    await state.update_data(reply=None)
    assert isinstance(query.message, Message)
    await query.message.edit_reply_markup(reply_markup=None)
    files = Files(bot, attachment_store, attachments.max_bytes(settings.attachment_max_mb))
    await _apply(query.message, session, person, plan, calendar, lang, found.occurrences[0],
                 pending, now, found.finished, files)  # fmt: skip
    await query.answer()


async def mark_done(
    query: CallbackQuery, callback_data: ReplyCb, session: AsyncSession, person: Person,
    plan: Plan, calendar: SchoolCalendar, clock: Clock, lang: str,
) -> None:  # fmt: skip
    marked = await messages.mark_done(
        session, plan, calendar, person, [callback_data.occ], clock.now()
    )
    if marked.gone:
        await query.answer(t(lang, "reply_gone"), show_alert=True)
        return
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await query.answer(t(lang, "task_saved" if marked.done else "task_already_done"))
