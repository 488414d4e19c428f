"""A child's case file: card, chronology, analyses, home visits, council decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.documents.data.common import people_by_id
from bot.services.students import ANALYSIS_STAGES, analysis_dates, analysis_key
from db.models import (
    CouncilSession,
    Incident,
    IncidentVersion,
    Report,
    ReportStatus,
    Student,
    StudentEvent,
    StudentEventKind,
)
from db.models import Occurrence as OccurrenceRow


@dataclass(frozen=True, slots=True)
class ChronologyEntry:
    at: datetime
    kind: str  # a StudentEventKind value or "incident"
    text: str
    author: str | None
    incident_id: int | None = None
    category: str | None = None
    session_number: int | None = None


@dataclass(frozen=True, slots=True)
class AnalysisStage:
    stage: str  # ANALYSIS_STAGES
    due: date
    done: bool


@dataclass(slots=True)
class CaseFileData:
    student_id: int
    full_name: str
    class_name: str
    birth_date: date | None
    status: str
    registered_on: date | None
    grounds: str | None
    responsible: str | None
    family_notes: str | None
    chronology: list[ChronologyEntry] = field(default_factory=list)
    analyses: list[AnalysisStage] = field(default_factory=list)
    visits: list[ChronologyEntry] = field(default_factory=list)
    decisions: list[ChronologyEntry] = field(default_factory=list)


async def load_case_file(
    session: AsyncSession, calendar: SchoolCalendar, student_id: int
) -> CaseFileData | None:
    student = await session.get(Student, student_id)
    if student is None or student.id is None:
        return None
    people = await people_by_id(session)
    sessions = {
        s.id: s.number
        for s in (await session.exec(select(CouncilSession))).all()
        if s.id is not None
    }
    events = (
        await session.exec(
            select(StudentEvent)
            .where(StudentEvent.student_id == student_id)
            .order_by(col(StudentEvent.at))
        )
    ).all()
    entries: list[ChronologyEntry] = []
    for e in events:
        author = people.get(e.author_person_id) if e.author_person_id else None
        entries.append(
            ChronologyEntry(
                at=e.at,
                kind=str(e.kind),
                text=e.text,
                author=author.name if author else None,
                session_number=sessions.get(e.session_id) if e.session_id else None,
            )
        )
    notes = (
        await session.exec(
            select(Incident)
            .where(Incident.student_id == student_id)
            .order_by(col(Incident.occurred_at))
        )
    ).all()
    texts: dict[int, tuple[int, str]] = {}
    if notes:
        for iid, version, text in (
            await session.exec(
                select(
                    IncidentVersion.incident_id, IncidentVersion.version, IncidentVersion.text
                ).where(col(IncidentVersion.incident_id).in_([n.id for n in notes]))
            )
        ).all():
            if iid not in texts or version > texts[iid][0]:
                texts[iid] = (version, text)
    for n in notes:
        assert n.id is not None
        author = people.get(n.author_person_id)
        entries.append(
            ChronologyEntry(
                at=n.occurred_at,
                kind="incident",
                text=texts.get(n.id, (0, ""))[1],
                author=author.name if author else None,
                incident_id=n.id,
                category=str(n.category),
            )
        )
    entries.sort(key=lambda e: e.at)
    analyses: list[AnalysisStage] = []
    if student.registered_at is not None:
        keys = [
            analysis_key(student_id, stage, student.registered_at) for stage in ANALYSIS_STAGES
        ]
        done_keys = set(
            (
                await session.exec(
                    select(OccurrenceRow.key)
                    .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
                    .where(col(OccurrenceRow.key).in_(keys), Report.status == ReportStatus.DONE)
                )
            ).all()
        )
        for (stage, _window, due), key in zip(
            analysis_dates(student.registered_at), keys, strict=True
        ):
            analyses.append(AnalysisStage(stage, due, key in done_keys))
    responsible = (
        people.get(student.responsible_person_id) if student.responsible_person_id else None
    )
    return CaseFileData(
        student_id=student.id,
        full_name=student.full_name,
        class_name=student.class_name,
        birth_date=student.birth_date,
        status=student.register_status.value,
        registered_on=student.registered_at,
        grounds=student.grounds,
        responsible=responsible.name if responsible else None,
        family_notes=student.family_notes,
        chronology=entries,
        analyses=analyses,
        visits=[e for e in entries if e.kind == StudentEventKind.HOME_VISIT.value],
        decisions=[e for e in entries if e.session_number is not None],
    )
