"""Work due before the people answering for it joined: the admin's "unassigned history".

A person who joins in November is asked only about what falls due from then on
(`bot.scheduler.planner`); what was due before is nobody's to answer in the bot. This lists it
for the admin, per item: how many occurrences, for how many people, which ones (by name), so
that it can be settled by hand (the paper trail, a word with the deputy) rather than lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import plan_in
from bot.core.routine import SILENT
from bot.core.schedule import occurrences, ref_sort_key
from bot.services import tasks
from bot.services.assignments import effective_plan
from db.models import Occurrence as OccurrenceRow
from db.models import Report, ReportStatus


@dataclass(frozen=True, slots=True)
class HistoryLine:
    ref: str
    title: str
    first_due: datetime
    last_due: datetime
    occurrences: int  # occurrences due before someone joined
    names: tuple[str, ...]  # who joined after (sorted)


async def unassigned_history(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar, now: datetime, lang: str = "kk"
) -> list[HistoryLine]:
    """Per item, what fell due this year before the responsible people joined and is not
    done, in plan order; titles in `lang`."""
    current = plan_in(await effective_plan(session, plan), lang)
    roster = await tasks.load_roster(session, current)
    lo = calendar.span[0]
    today = now.astimezone(calendar.tz).date()
    if today < lo:
        return []
    occs = [
        o
        for o in occurrences(current, calendar, lo, min(today, calendar.span[1]))
        if o.kind == "task" and o.reminders and o.routine != SILENT and o.due < now
    ]
    done = set(
        (
            await session.exec(
                select(OccurrenceRow.key, Report.person_id)
                .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
                .where(
                    OccurrenceRow.school_year == calendar.year,
                    Report.status == ReportStatus.DONE,
                )
            )
        ).all()
    )
    lines: dict[str, tuple[str, list[datetime], set[int]]] = {}
    for occ in occs:
        late = [
            pid
            for pid in roster.responsible(occ)
            if (joined := roster.joined.get(pid)) is not None
            and joined > occ.due
            and (occ.key, pid) not in done
        ]
        if not late:
            continue
        title, dues, people = lines.setdefault(occ.ref, (occ.title, [], set()))
        dues.append(occ.due)
        people.update(late)
    out = []
    for ref, (title, dues, people) in lines.items():
        names = tuple(sorted(roster.by_id[pid].name for pid in people if pid in roster.by_id))
        out.append(HistoryLine(ref, title, min(dues), max(dues), len(dues), names))
    out.sort(key=lambda h: ref_sort_key(h.ref))
    return out
