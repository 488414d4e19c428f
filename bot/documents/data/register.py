"""The students on preventive record: current, all year, or removed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.documents.data.common import RegisterFilter, class_key, people_by_id
from db.models import (
    CouncilSession,
    Incident,
    RegisterStatus,
    Student,
    StudentEvent,
    StudentEventKind,
)


@dataclass(frozen=True, slots=True)
class RegisterRow:
    student_id: int
    full_name: str
    class_name: str
    birth_date: date | None
    kind: str  # a RegisterStatus value (for a removed student: the kind they had)
    registered_on: date | None
    grounds: str | None
    responsible: str | None
    measures: tuple[tuple[str, int], ...]  # (StudentEventKind value or "note", count)
    removed_on: date | None
    removed_session: int | None  # the council session that took the student off, if known


def _year_bounds(calendar: SchoolCalendar) -> tuple[datetime, datetime]:
    lo, hi = calendar.span
    start = datetime.combine(date(lo.year, 8, 1), time.min, calendar.tz)
    end = datetime.combine(date(hi.year, 7, 31), time.max, calendar.tz)
    return start, end


async def load_register(
    session: AsyncSession, calendar: SchoolCalendar, which: RegisterFilter
) -> list[RegisterRow]:
    start, end = _year_bounds(calendar)
    students = (await session.exec(select(Student))).all()
    changes = (
        await session.exec(
            select(StudentEvent)
            .where(StudentEvent.kind == StudentEventKind.STATUS_CHANGE)
            .order_by(col(StudentEvent.at))
        )
    ).all()
    last_change: dict[int, StudentEvent] = {}
    for ev in changes:
        last_change[ev.student_id] = ev
    sessions = {
        s.id: s.number
        for s in (await session.exec(select(CouncilSession))).all()
        if s.id is not None
    }
    chosen: list[Student] = []
    for s in students:
        current = s.register_status is not RegisterStatus.NONE
        removed = (
            not current and s.closed_at is not None and start <= s.closed_at <= end
        ) and s.registered_at is not None
        if (
            (which is RegisterFilter.CURRENT and current)
            or (which is RegisterFilter.REMOVED and removed)
            or (which is RegisterFilter.YEAR and (current or removed))
        ):
            chosen.append(s)
    ids = [s.id for s in chosen if s.id is not None]
    measures: dict[int, Counter[str]] = defaultdict(Counter)
    if ids:
        for sid, kind in (
            await session.exec(
                select(StudentEvent.student_id, StudentEvent.kind).where(
                    col(StudentEvent.student_id).in_(ids),
                    StudentEvent.kind != StudentEventKind.STATUS_CHANGE,
                )
            )
        ).all():
            measures[sid][str(kind)] += 1
        for sid in (
            await session.exec(
                select(Incident.student_id).where(col(Incident.student_id).in_(ids))
            )
        ).all():
            measures[sid]["note"] += 1
    people = await people_by_id(session)
    rows = []
    order = ("talk", "home_visit", "analysis", "council_review", "note")
    for s in sorted(chosen, key=lambda s: (class_key(s.class_name), s.full_name)):
        assert s.id is not None
        kind = s.register_status.value
        removed_on = None
        removed_session = None
        if s.register_status is RegisterStatus.NONE:
            ev = last_change.get(s.id)
            if ev is not None and "→" in ev.text:
                kind = ev.text.split("→", 1)[0]
                removed_session = sessions.get(ev.session_id) if ev.session_id else None
            removed_on = s.closed_at.astimezone(calendar.tz).date() if s.closed_at else None
        responsible = people.get(s.responsible_person_id) if s.responsible_person_id else None
        counted = measures.get(s.id, Counter())
        rows.append(
            RegisterRow(
                student_id=s.id,
                full_name=s.full_name,
                class_name=s.class_name,
                birth_date=s.birth_date,
                kind=kind,
                registered_on=s.registered_at,
                grounds=s.grounds,
                responsible=responsible.name if responsible else None,
                measures=tuple((k, counted[k]) for k in order if counted.get(k)),
                removed_on=removed_on,
                removed_session=removed_session,
            )
        )
    return rows
