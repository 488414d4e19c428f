"""One message per moment: everything a tick plans for one person goes out as one message.

The planner offers intents under their own dedup keys (``{occurrence}|{person}|{kind}``); the
tick turns each into a `Part` (its text alone, its line among others, its buttons) and hands a
person's parts to `enqueue_moment`:

* one part: one outbox row under the part's key, exactly as before;
* several: each part is first kept as an outbox row of its own in state ``merged`` (``INSERT …
  ON CONFLICT DO NOTHING`` through `db.dialect`, alike on SQLite and PostgreSQL: a key is
  planned once, however many ticks or processes plan it, and only the parts this tick inserted
  go into its message); then one row under ``moment:{first part's key}`` carries them all: a
  head with the date, the tasks as numbered lines, the check-ins, the sessions, the week's
  digest (without what is listed above it), the overdue summary; one button row per item
  (✅ Done, ⋯ open) and "✅ Done all" when there are two or more. The outbox never sends a
  ``merged`` row; if the message carrying it fails or cannot reach its person, the part rows
  take that state too (`bot.scheduler.outbox.store`), so nothing reads as delivered that was
  not.

`message_item` records which items a message carries (its occurrence keys, in order, and the
part row of each), so that a "Done all", an "open item", a worded reply or a photo sent as a
reply finds them from the message alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import MomentAction, MomentCb, TaskAction, TaskCb
from bot.core.schedule import Occurrence
from bot.escape import quote
from bot.scheduler.outbox import enqueue
from bot.services.tasks import fmt_when
from bot.texts import t
from db.dialect import insert_ignore
from db.models import MessageItem, Reminder, ReminderState

MAX_ITEM_ROWS = 40  # Telegram shows up to 100 buttons; two per item, and "Done all"
# Where a part goes in a message with others: the summary first, then sessions, tasks,
# check-ins, the digest.
ORDER = {"escalation": 0, "session": 1, "task": 2, "checkin": 3, "digest": 4}


@dataclass
class Part:
    """One planned message, as it would go alone and as a piece of a message with others."""

    key: str  # its dedup key
    kind: str  # the intent's kind
    section: str  # a key of ORDER
    person_id: int
    chat_id: int
    lang: str
    late: bool
    occurrence_key: str | None
    text: str  # alone
    markup: InlineKeyboardMarkup | None  # alone
    line: Callable[[int], str]  # among others; the argument is its number among the tasks
    rows: list[list[InlineKeyboardButton]] = field(default_factory=list)  # among others
    items: tuple[tuple[str, str], ...] = ()  # (occurrence key, kind) it carries
    doable: bool = False  # "Done all" marks it done
    occurrences: tuple[Occurrence, ...] = ()  # a digest's items (trimmed among others)


def task_rows(lang: str, ref: str, occ_key: str) -> list[list[InlineKeyboardButton]]:
    """A task among others: ✅ (done) and ⋯ (its card, in the message, with Back)."""
    return [
        [
            InlineKeyboardButton(
                text=t(lang, "btn_item_done", ref=ref),
                callback_data=TaskCb(action=TaskAction.DONE, occ=occ_key).pack(),
            ),
            InlineKeyboardButton(
                text=t(lang, "btn_item_open", ref=ref),
                callback_data=MomentCb(action=MomentAction.OPEN, occ=occ_key).pack(),
            ),
        ]
    ]


def done_all_row(lang: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=t(lang, "btn_done_all"), callback_data=MomentCb(action=MomentAction.ALL).pack()
        )
    ]


def compose(parts: Sequence[Part], now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one message carrying `parts` (one person's, one language)."""
    lang = parts[0].lang
    ordered = sorted(parts, key=lambda p: ORDER.get(p.section, 9))
    blocks = [t(lang, "moment_head", date=fmt_when(lang, now, clock=False))]
    rows: list[list[InlineKeyboardButton]] = []
    number = 0
    shown = 0
    hidden = 0
    for part in ordered:
        if part.section == "task":
            number += 1
        if part.rows and shown >= MAX_ITEM_ROWS:
            hidden += 1
            continue
        block = part.line(number)
        if block:
            blocks.append(block)
        if part.rows:
            rows += part.rows
            shown += 1
    if hidden:
        blocks.append(t(lang, "moment_more", n=hidden))
    if sum(1 for p in ordered if p.doable) >= 2:
        rows.append(done_all_row(lang))
    if any(p.late for p in parts):
        blocks.append(t(lang, "moment_late"))
    return "\n\n".join(blocks), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def enqueue_moment(session: AsyncSession, parts: Sequence[Part], now: datetime) -> int:
    """Put one person's parts in the outbox as one message; returns 1 if a message was made."""
    if not parts:
        return 0
    if len(parts) == 1:
        part = parts[0]
        new = await enqueue(
            session, dedup_key=part.key, chat_id=part.chat_id, text=part.text, kind=part.kind,
            due_at=now, now=now, person_id=part.person_id, occurrence_key=part.occurrence_key,
            reply_markup=part.markup, late=part.late,
        )  # fmt: skip
        if new and part.items:
            await _link(session, part.key, [(part, None)])
        return int(new)
    claimed: list[tuple[Part, int]] = []
    for index, part in enumerate(sorted(parts, key=lambda p: ORDER.get(p.section, 9)), 1):
        values = {
            "dedup_key": part.key, "occurrence_key": part.occurrence_key,
            "person_id": part.person_id, "kind": part.kind, "chat_id": part.chat_id,
            "text": part.line(index) or part.text, "state": ReminderState.MERGED, "due_at": now,
            "attempts": 0, "next_attempt_at": now, "late": part.late, "created_at": now,
        }  # fmt: skip
        row_id = None
        if await insert_ignore(session, Reminder, values, key=["dedup_key"]):
            row_id = (
                await session.exec(select(Reminder.id).where(Reminder.dedup_key == part.key))
            ).one()
        if row_id is not None:
            claimed.append((part, row_id))
    if not claimed:
        return 0
    mine = [part for part, _ in claimed]
    visible = [p for p in mine if p.line(1)]  # a digest with nothing left to list shows nothing
    if len(visible) == 1:  # the one thing to say: as it goes alone (a task's full card)
        alone = visible[0]
        text, markup, kind, occ_key = alone.text, alone.markup, alone.kind, alone.occurrence_key
    else:
        text, markup = compose(mine, now)
        kind, occ_key = "moment", None
    key = f"moment:{mine[0].key}"
    new = await enqueue(
        session, dedup_key=key, chat_id=mine[0].chat_id, text=text, kind=kind, due_at=now,
        now=now, person_id=mine[0].person_id, occurrence_key=occ_key, reply_markup=markup,
        late=any(p.late for p in mine),
    )  # fmt: skip
    if new:
        await _link(session, key, claimed)
    return int(new)


async def _link(session: AsyncSession, key: str, parts: Sequence[tuple[Part, int | None]]) -> None:
    """`message_item` rows: the message under `key` carries these parts' items."""
    row_id = (await session.exec(select(Reminder.id).where(Reminder.dedup_key == key))).one()
    assert row_id is not None
    position = 0
    for part, part_id in parts:
        for occurrence_key, kind in part.items:
            position += 1
            session.add(
                MessageItem(
                    reminder_id=row_id,
                    position=position,
                    occurrence_key=occurrence_key,
                    kind=kind,
                    part_id=part_id,
                )
            )
    await session.flush()


def plain_line(text: str) -> Callable[[int], str]:
    """A part shown as it is (a session, the summary): its text, without the late notice."""
    return lambda _number: text


def task_line(
    lang: str, ref: str, title: str, due: datetime, kind: str, guests: Sequence[str] = ()
) -> Callable[[int], str]:
    """A task among others: "2. <b>1.4</b> Title\\n    due: 12 October, Monday, 18:00"."""
    key = "moment_task"
    if kind == "overdue":
        key = "moment_overdue"
    elif kind.startswith("snooze-"):
        key = "moment_snoozed"

    def line(number: int) -> str:
        text = t(lang, key, n=number, ref=quote(ref), title=quote(title), due=fmt_when(lang, due))
        if guests:
            text += "\n" + t(lang, "moment_guests", names=quote(", ".join(guests)))
        return text

    return line
