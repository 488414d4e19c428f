"""Which students' data was seen or changed in a period, from the audit log: the list a school
needs on the first day after a leak (README, "Personal data").

Every opening of a card or a note, every change, and every refused attempt is in `audit_log`
with the student (``student:12``) or the note (``incident:40``, whose student is looked up). Only
ids go out of here; the command line adds names when asked to (``--names``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import AuditLog, Incident, Student

OPENED = frozenset({"student.open", "incident.open"})
DENIED = frozenset({"student.open_denied", "incident.open_denied"})


@dataclass
class Affected:
    student_id: int
    class_name: str
    opened: int = 0  # a card or note shown to someone allowed to see it
    changed: int = 0  # created, edited, flagged, register decisions, chronology
    denied: int = 0  # refused attempts (forged buttons, another class)
    first: datetime | None = None
    last: datetime | None = None
    people: set[int] = field(default_factory=set)  # person ids who acted


async def affected_students(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    *,
    person_id: int | None = None,
) -> list[Affected]:
    """Students touched by `student.*` / `incident.*` audit rows in ``[since, until)``, by
    anyone or by `person_id` only; ordered by class, then id."""
    query = select(AuditLog).where(
        col(AuditLog.at) >= since,
        col(AuditLog.at) < until,
        col(AuditLog.target).like("student:%") | col(AuditLog.target).like("incident:%"),
    )
    if person_id is not None:
        query = query.where(AuditLog.actor_person_id == person_id)
    rows = (await session.exec(query.order_by(col(AuditLog.at)))).all()
    note_ids = {int(r.target.split(":", 1)[1]) for r in rows if r.target.startswith("incident:")}
    student_of: dict[int, int] = {}
    if note_ids:
        pairs = await session.exec(
            select(Incident.id, Incident.student_id).where(col(Incident.id).in_(note_ids))
        )
        student_of = {nid: sid for nid, sid in pairs.all() if nid is not None}
    found: dict[int, Affected] = {}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        kind, _, raw = row.target.partition(":")
        if not raw.isdigit():
            continue
        sid = int(raw) if kind == "student" else student_of.get(int(raw))
        if sid is None:
            continue
        entry = found.setdefault(sid, Affected(sid, ""))
        if row.action in OPENED:
            entry.opened += 1
        elif row.action in DENIED:
            entry.denied += 1
        elif row.action != "student.anonymise":
            entry.changed += 1
        else:
            continue
        entry.first = entry.first or row.at
        entry.last = row.at
        if row.actor_person_id is not None:
            entry.people.add(row.actor_person_id)
        counts[sid][row.action] = counts[sid].get(row.action, 0) + 1
    if found:
        classes = await session.exec(
            select(Student.id, Student.class_name).where(col(Student.id).in_(list(found)))
        )
        for sid, klass in classes.all():
            if sid in found:
                found[sid].class_name = klass
    return sorted(
        (a for a in found.values() if a.opened or a.changed or a.denied),
        key=lambda a: (_class_key(a.class_name), a.student_id),
    )


def _class_key(klass: str) -> tuple[int, str]:
    digits = "".join(ch for ch in klass if ch.isdigit())
    return (int(digits) if digits else 99, klass)
