"""What a sent message carries, and marking its items done.

A message the outbox sent is a `reminder` row with `telegram_message_id`; `message_item` lists
the plan items it carries (`bot.scheduler.moments`). A row written before that table existed
carries its `occurrence_key`. `carried_by` finds them from a chat and a message id, for a tap
on "Done all", a worded reply ("дайын") or a photo sent as a reply.

`mark_done` records *done* for each item the person still answers for, through the same
`bot.services.tasks.record` as the buttons (one round's idempotency key, `tasks.done_key`), so a
reply and a tap on the same item record it once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.schedule import Occurrence
from bot.scheduler.planner import FINISHED
from bot.services import tasks
from bot.services.assignments import effective_plan
from db.models import MessageItem, Person, Reminder, ReportStatus

_PART_RE = re.compile(r"^(?P<base>.*)#\d+/\d+$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Carried:
    row: Reminder  # the row of the message itself (one part of a long message)
    base: Reminder  # the message's first part: the one `message_item` names
    items: tuple[tuple[str, str], ...]  # (occurrence key, kind), in the order shown


async def carried_by(session: AsyncSession, chat_id: int, message_id: int) -> Carried | None:
    """The items of a message the outbox sent to `chat_id`, or None (not one of ours)."""
    row = (
        await session.exec(
            select(Reminder).where(
                Reminder.chat_id == chat_id, Reminder.telegram_message_id == message_id
            )
        )
    ).first()
    if row is None:
        return None
    base = row
    if (match := _PART_RE.match(row.dedup_key)) is not None:
        found = (
            await session.exec(select(Reminder).where(Reminder.dedup_key == match["base"]))
        ).first()
        base = found or row
    items = (
        await session.exec(
            select(MessageItem.occurrence_key, MessageItem.kind)
            .where(MessageItem.reminder_id == base.id)
            .order_by(col(MessageItem.position))
        )
    ).all()
    found_items = tuple((key, kind) for key, kind in items)
    if not found_items and base.occurrence_key and not base.occurrence_key.startswith("council-"):
        found_items = ((base.occurrence_key, base.kind),)
    return Carried(row, base, found_items)


@dataclass
class Marked:
    done: list[Occurrence] = field(default_factory=list)  # newly recorded
    already: list[Occurrence] = field(default_factory=list)  # done or can't before
    gone: list[str] = field(default_factory=list)  # keys: closed, not theirs, left the plan


@dataclass(frozen=True, slots=True)
class Open:
    """The items of a message a person may still answer, found in the plan in use."""

    occurrences: tuple[Occurrence, ...]
    finished: frozenset[str]  # keys they answered already (done or can't)
    gone: tuple[str, ...]


async def find_items(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    person: Person,
    keys: Iterable[str],
    now: datetime,
) -> Open:
    """The occurrences behind `keys` that are tasks `person` answers for and not closed."""
    assert person.id is not None
    current = await effective_plan(session, plan)
    overrides = await tasks.load_overrides(session, calendar)
    roster = await tasks.load_roster(session, current)
    today = now.astimezone(calendar.tz).date()
    found: list[Occurrence] = []
    gone: list[str] = []
    for key in dict.fromkeys(keys):
        occ = tasks.find_occurrence(current, calendar, overrides, key, today)
        if (
            occ is None
            or occ.kind != "task"
            or occ.key in overrides.closed
            or person.id not in roster.responsible(occ)
        ):
            gone.append(key)
            continue
        found.append(occ)
    reports = await tasks.reports_for(session, [o.key for o in found])
    finished = frozenset(
        o.key
        for o in found
        if (r := reports.get((o.key, person.id))) is not None and r.status in FINISHED
    )
    return Open(tuple(found), finished, tuple(gone))


async def mark_done(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    person: Person,
    keys: Iterable[str],
    now: datetime,
) -> Marked:
    """Record *done* for every item of `keys` the person still has open."""
    assert person.id is not None
    found = await find_items(session, plan, calendar, person, keys, now)
    out = Marked(gone=list(found.gone))
    for occ in found.occurrences:
        if occ.key in found.finished:
            out.already.append(occ)
            continue
        row = await tasks.ensure_occurrence(session, occ, calendar.year)
        recorded = await tasks.record(
            session, occurrence=row, person_id=person.id, status=ReportStatus.DONE, now=now,
            idempotency_key=await tasks.done_key(session, row, person.id),
        )  # fmt: skip
        (out.done if recorded.new else out.already).append(occ)
    return out
