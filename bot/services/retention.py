"""Closed cases are kept for ``RETENTION_YEARS`` school years, then anonymised.

A case is **closed** when the student is on no register (``register_status`` "none": taken off
it, or never put on). Its **last activity** is the latest of: the card's creation, the day it
was taken off the register, its notes (when they happened, when they were filed) and its
chronology. A closed case is kept through the `years` school years that follow the school year
of its last activity (a school year starts on 1 September), and anonymised in the next one,
once (``student.anonymised_at``):

* the name becomes ``№{id}``; the date of birth, the family notes and the grounds are emptied;
* in the notes' texts (every version) and the chronology, the words of the name (and their
  inflected forms: "Ерлан", "Ерлана", "Ерланом") become ``***``;
* files attached to its notes are dropped (a photo shows the child); a kept file no other note
  refers to is deleted from the folder by the job after the commit;
* the notes themselves stay, with category, class, dates and author: the council's statistics
  (how many fights in 7th grade, per year) still add up.

The nightly job logs counts only. Pure date logic (`cutoff`) is separate from the database work.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.staff import audit
from db.models import (
    Evidence,
    Incident,
    IncidentVersion,
    RegisterStatus,
    Student,
    StudentEvent,
)

log = logging.getLogger(__name__)

SCHOOL_YEAR_START_MONTH = 9
MASK = "***"


def school_year_start(day: date) -> date:
    """1 September of the school year `day` belongs to."""
    year = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    return date(year, SCHOOL_YEAR_START_MONTH, 1)


def cutoff(today: date, years: int) -> date:
    """Cases whose last activity is before this day are anonymised today: `years` whole school
    years have passed since the school year it fell in."""
    if years < 1:
        raise ValueError("keep closed cases at least one school year")
    start = school_year_start(today)
    return start.replace(year=start.year - years)


def name_pattern(full_name: str) -> re.Pattern[str] | None:
    """The words of a name and their inflected forms, as written (capitalised): a word of four
    letters or more loses its last letter and takes any ending."""
    stems = []
    for word in re.findall(r"\w+", full_name):
        if len(word) < 2 or word.isdigit():
            continue
        stem = word[:-1] if len(word) >= 4 else word
        stems.append(re.escape(stem))
    if not stems:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(stems, key=len, reverse=True)) + r")\w*")


def mask_name(text: str, pattern: re.Pattern[str] | None) -> str:
    return pattern.sub(MASK, text) if pattern is not None else text


@dataclass
class Anonymised:
    students: int = 0
    texts: int = 0  # note versions and chronology entries changed
    files: set[str] = field(default_factory=set)  # sha256 of files no note refers to now


async def _last_activity(session: AsyncSession, student_ids: list[int]) -> dict[int, datetime]:
    latest: dict[int, datetime] = {}

    def keep(sid: int, moment: datetime | None) -> None:
        if moment is not None and (sid not in latest or moment > latest[sid]):
            latest[sid] = moment

    for chunk_start in range(0, len(student_ids), 500):
        chunk = student_ids[chunk_start : chunk_start + 500]
        for column in (Incident.created_at, Incident.occurred_at):
            rows = await session.exec(
                select(Incident.student_id, func.max(column))
                .where(col(Incident.student_id).in_(chunk))
                .group_by(col(Incident.student_id))
            )
            for sid, moment in rows.all():
                keep(sid, _aware(moment))
        rows_ev = await session.exec(
            select(StudentEvent.student_id, func.max(StudentEvent.at))
            .where(col(StudentEvent.student_id).in_(chunk))
            .group_by(col(StudentEvent.student_id))
        )
        for sid, moment in rows_ev.all():
            keep(sid, _aware(moment))
    return latest


def _aware(moment: Any) -> datetime | None:
    """Aggregates come back from SQLite as naive UTC (or text); the columns store UTC."""
    from datetime import UTC

    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def anonymise_closed_cases(
    session: AsyncSession, *, now: datetime, tz: tzinfo, years: int
) -> Anonymised:
    """Anonymise every closed case past its keeping time (see the module notes). Commits."""
    limit = datetime.combine(cutoff(now.astimezone(tz).date(), years), time(0), tzinfo=tz)
    candidates = (
        await session.exec(
            select(Student).where(
                col(Student.register_status) == RegisterStatus.NONE,
                col(Student.anonymised_at).is_(None),
            )
        )
    ).all()
    if not candidates:
        return Anonymised()
    activity = await _last_activity(session, [s.id for s in candidates if s.id is not None])
    done = Anonymised()
    dropped: set[str] = set()
    for student in candidates:
        assert student.id is not None
        moments = [student.created_at, student.closed_at, activity.get(student.id)]
        last = max(m for m in moments if m is not None)
        if last >= limit:
            continue
        pattern = name_pattern(student.full_name)
        done.texts += await _scrub_texts(session, student.id, pattern)
        dropped |= await _drop_files(session, student.id)
        student.full_name = f"№{student.id}"
        student.birth_date = None
        student.family_notes = None
        student.grounds = mask_name(student.grounds, pattern) if student.grounds else None
        student.anonymised_at = now
        session.add(student)
        await audit(
            session,
            actor=None,
            action="student.anonymise",
            target=f"student:{student.id}",
            now=now,
            kept_years=years,
        )
        done.students += 1
    await session.flush()
    if dropped:
        still = (
            await session.exec(
                select(Incident.attachment_sha256).where(
                    col(Incident.attachment_sha256).in_(sorted(dropped))
                )
            )
        ).all()
        evidence = (  # the same file kept as evidence of a plan item's work stays
            await session.exec(select(Evidence.sha256).where(col(Evidence.sha256).in_(dropped)))
        ).all()
        done.files = dropped - set(still) - set(evidence)
    await session.commit()
    return done


async def _scrub_texts(
    session: AsyncSession, student_id: int, pattern: re.Pattern[str] | None
) -> int:
    if pattern is None:
        return 0
    changed = 0
    versions = (
        await session.exec(
            select(IncidentVersion)
            .join(Incident, col(Incident.id) == col(IncidentVersion.incident_id))
            .where(Incident.student_id == student_id)
        )
    ).all()
    events = (
        await session.exec(select(StudentEvent).where(StudentEvent.student_id == student_id))
    ).all()
    for row in (*versions, *events):
        masked = mask_name(row.text, pattern)
        if masked != row.text:
            row.text = masked
            session.add(row)
            changed += 1
    return changed


async def _drop_files(session: AsyncSession, student_id: int) -> set[str]:
    notes = (
        await session.exec(
            select(Incident).where(
                Incident.student_id == student_id,
                col(Incident.attachment_kind).is_not(None),
            )
        )
    ).all()
    shas = set()
    for note in notes:
        if note.attachment_sha256:
            shas.add(note.attachment_sha256)
        note.attachment_file_id = None
        note.attachment_bot_id = None
        note.attachment_kind = None
        note.attachment_sha256 = None
        note.attachment_size = None
        note.attachment_name = None
        note.attachment_mime = None
        session.add(note)
    return shas


# --- the nightly job ----------------------------------------------------------------------------

RETENTION_JOB_ID = "kenes-retention"


async def nightly_retention(
    session_pool: Any, clock: Any, tz: tzinfo, years: int, store: Any = None
) -> Anonymised | None:
    """The scheduler's job. Logs counts only; errors are logged, not raised."""
    try:
        async with session_pool() as session:
            done = await anonymise_closed_cases(session, now=clock.now(), tz=tz, years=years)
        for sha in sorted(done.files):
            if store is not None:
                store.remove(sha)
    except Exception:  # the clock must keep ticking; the next night retries
        log.exception("retention failed")
        return None
    if done.students:
        log.info(
            "retention: %d closed cases anonymised (kept %d school years), %d texts masked, "
            "%d files removed",
            done.students,
            years,
            done.texts,
            len(done.files),
        )
    return done


def schedule_nightly_retention(
    scheduler: Any,
    session_pool: Any,
    clock: Any,
    tz: tzinfo,
    years: int,
    store: Any = None,
    *,
    hour: int = 3,
    minute: int = 15,
) -> None:
    """Add the job (after the 02:30 backup: last night's copy still has the names)."""
    from apscheduler.triggers.cron import CronTrigger

    scheduler.add_job(
        nightly_retention,
        CronTrigger(hour=hour, minute=minute, timezone=tz),
        args=[session_pool, clock, tz, years, store],
        id=RETENTION_JOB_ID,
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=3600,
    )
