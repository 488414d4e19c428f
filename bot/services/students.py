"""The student register (картотека): cards, who may see them, register decisions, analyses.

Privacy rules kept here, so that handlers cannot forget them:

* `can_read(person, class_name)`: social pedagogue, psychologists, deputy directors and the chair
  read every card (`Perm.READ_ALL_INCIDENTS`); a class teacher reads the cards of their own class
  (`Perm.READ_CLASS_INCIDENTS` and `Person.class_name`); everyone else reads nothing.
* `open_card` writes ``student.open`` to the audit log every time a card is opened.
* Audit rows and log lines name students by id only (``student:12``), never by name.

Concurrency: `Student.version` is SQLAlchemy's version counter. Every change here takes the
version the user *saw* (it travels in the button or the dialogue) and refuses with
`CardChanged` when the card has moved on since, so two staff editing the same card at once never
overwrite each other silently; a race between the check and the UPDATE is caught by the
ORM's ``StaleDataError`` and turned into the same `CardChanged`.

Per-student work (plan items 3.1/3.2): registering a student starts the initial analysis at
once, then the first, second and third analyses `AnalysisConfig.months` after registration.
`student_occurrences(session, calendar, start, end)` returns them as `bot.core.schedule.Occurrence`
objects, keyed ``3.1@s{student_id}/{stage}/{registered_on}`` so a student registered again
gets a new series; taking the student off the register ends the series. Titles carry the
student's id and class only.

The council (3.5): `council_cases(session)` lists flagged students and notes, for the next
session's agenda and the chair's reminder; `record_council_review` clears the flags.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.schedule import (
    DEFAULT_POLICY,
    Occurrence,
    ReminderMoment,
    ReminderPolicy,
    place_reminder,
)
from bot.core.school_class import normalize_class
from bot.permissions import Perm, can
from bot.services.staff import audit
from db.models import (
    CouncilSession,
    Incident,
    IncidentCategory,
    Person,
    RegisterStatus,
    Student,
    StudentEvent,
    StudentEventKind,
)

log = logging.getLogger(__name__)

NAME_MIN, NAME_MAX = 3, 120
NOTES_MAX = 1000
CHRONOLOGY_LIMIT = 15


class CardChanged(Exception):
    """The card changed since the user opened it: show it again and let them decide."""


class NotAllowed(Exception):
    """The person may not see or change this card."""


# --- input --------------------------------------------------------------------------------------


def normalize_name(text: str) -> str | None:
    """Spaces collapsed; None if too short or too long. HTML and emoji are kept as typed."""
    name = " ".join(text.split())
    return name if NAME_MIN <= len(name) <= NAME_MAX else None


def split_name_and_class(text: str) -> tuple[str | None, str | None]:
    """``"Сапаров Ерлан 7Ә"`` → (name, class). The class is the last word (or the last two,
    as in ``"7 Ә"``); (name, None) when the text does not end with a valid class."""
    words = text.split()
    for take in (1, 2):
        if len(words) > take:
            klass = normalize_class(" ".join(words[-take:]))
            if klass:
                return normalize_name(" ".join(words[:-take])), klass
    return normalize_name(text), None


# --- who sees what ------------------------------------------------------------------------------


def can_read_all(person: Person) -> bool:
    return can(person.roles, Perm.READ_ALL_INCIDENTS)


def can_read(person: Person, class_name: str) -> bool:
    if can_read_all(person):
        return True
    return (
        can(person.roles, Perm.READ_CLASS_INCIDENTS)
        and bool(person.class_name)
        and normalize_class(person.class_name or "") == class_name
    )


def readable_class(person: Person) -> str | None:
    """The one class a class teacher may see (None: all classes, or none at all)."""
    if can_read_all(person) or not can(person.roles, Perm.READ_CLASS_INCIDENTS):
        return None
    return normalize_class(person.class_name or "")


# --- finding and adding -------------------------------------------------------------------------


async def known_classes(session: AsyncSession) -> list[str]:
    """Classes the school has: those of students and of class teachers, sorted 1А..11Б."""
    found = set((await session.exec(select(Student.class_name).distinct())).all())
    for klass in (await session.exec(select(Person.class_name).distinct())).all():
        if klass and (norm := normalize_class(klass)):
            found.add(norm)
    return sorted(found, key=_class_key)


def _class_key(klass: str) -> tuple[int, str]:
    digits = "".join(ch for ch in klass if ch.isdigit())
    return (int(digits or 0), klass)


async def students_of_class(session: AsyncSession, class_name: str) -> list[Student]:
    rows = await session.exec(
        select(Student).where(Student.class_name == class_name).order_by(col(Student.full_name))
    )
    return list(rows.all())


async def search(
    session: AsyncSession, query: str, *, only_class: str | None = None, limit: int = 20
) -> list[Student]:
    """Students whose name contains every word of `query` (case-insensitive, Cyrillic too), or
    the students of a class when `query` is a class. `only_class` limits what a class teacher
    finds. Names are compared in Python: SQLite's lower() knows ASCII only."""
    klass = normalize_class(query)
    if klass is not None:
        if only_class is not None and klass != only_class:
            return []
        return (await students_of_class(session, klass))[:limit]
    words = [w.casefold() for w in query.split()]
    if not words:
        return []
    statement = select(Student.id, Student.full_name, Student.class_name)
    if only_class is not None:
        statement = statement.where(Student.class_name == only_class)
    # The first `limit` in the order shown, whatever order the database returns rows in.
    found = sorted(
        (
            (_class_key(klass), name, sid)
            for sid, name, klass in (await session.exec(statement)).all()
            if all(w in name.casefold() for w in words)
        ),
    )[:limit]
    if not found:
        return []
    rows = await session.exec(select(Student).where(col(Student.id).in_([f[2] for f in found])))
    return sorted(rows.all(), key=lambda s: (_class_key(s.class_name), s.full_name, s.id))


async def namesakes(session: AsyncSession, full_name: str, class_name: str) -> list[Student]:
    """Students of `class_name` with the same name (case and spacing ignored)."""
    wanted = " ".join(full_name.split()).casefold()
    return [
        s
        for s in await students_of_class(session, class_name)
        if " ".join(s.full_name.split()).casefold() == wanted
    ]


async def add_student(
    session: AsyncSession, *, full_name: str, class_name: str, actor: Person, now: datetime
) -> Student:
    """A new card (flushed, not committed: a new student is saved with their first note, so
    an abandoned dialogue leaves nothing). The caller has checked name, class and namesakes."""
    student = Student(full_name=full_name, class_name=class_name, created_at=now)
    session.add(student)
    await session.flush()
    await audit(
        session,
        action="student.create",
        target=f"student:{student.id}",
        actor=actor,
        klass=class_name,
        now=now,
    )
    return student


# --- the card -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChronologyLine:
    at: datetime
    kind: str  # a StudentEventKind value, or "incident"
    text: str  # user-typed for events (escape before HTML); empty for notes
    incident_id: int | None = None
    category: IncidentCategory | None = None
    session_id: int | None = None


@dataclass(slots=True)
class Card:
    student: Student
    responsible: Person | None
    chronology: list[ChronologyLine] = field(default_factory=list)
    notes_total: int = 0


async def open_card(
    session: AsyncSession, student_id: int, viewer: Person, now: datetime
) -> Card | None:
    """The card for `viewer`, audited as ``student.open``. None if there is no such student;
    `NotAllowed` if the viewer may not read it (also audited, as ``student.open_denied``)."""
    student = await session.get(Student, student_id, populate_existing=True)
    if student is None:
        return None
    allowed = can_read(viewer, student.class_name)
    await audit(
        session,
        action="student.open" if allowed else "student.open_denied",
        target=f"student:{student_id}",
        actor=viewer,
        now=now,
    )
    await session.commit()
    if not allowed:
        raise NotAllowed
    responsible = (
        await session.get(Person, student.responsible_person_id)
        if student.responsible_person_id
        else None
    )
    events = (
        await session.exec(
            select(StudentEvent)
            .where(StudentEvent.student_id == student_id)
            .order_by(col(StudentEvent.at).desc())
            .limit(CHRONOLOGY_LIMIT)
        )
    ).all()
    notes = (
        await session.exec(
            select(Incident.id, Incident.category, Incident.occurred_at)
            .where(Incident.student_id == student_id)
            .order_by(col(Incident.occurred_at).desc())
            .limit(CHRONOLOGY_LIMIT)
        )
    ).all()
    total = len(notes)
    if total == CHRONOLOGY_LIMIT:
        from sqlalchemy import func

        total = (
            await session.exec(
                select(func.count()).select_from(Incident).where(Incident.student_id == student_id)
            )
        ).one()
    lines = [
        ChronologyLine(e.at, str(e.kind), e.text, session_id=e.session_id) for e in events
    ] + [ChronologyLine(at, "incident", "", incident_id=i, category=c) for i, c, at in notes]
    lines.sort(key=lambda line: line.at, reverse=True)
    return Card(student, responsible, lines[:CHRONOLOGY_LIMIT], total)


async def _for_change(session: AsyncSession, student_id: int, seen_version: int) -> Student:
    student = await session.get(Student, student_id, populate_existing=True)
    if student is None or student.version != seen_version:
        raise CardChanged
    return student


async def _commit_change(session: AsyncSession) -> None:
    try:
        await session.commit()
    except StaleDataError:
        await session.rollback()
        raise CardChanged from None


async def set_status(
    session: AsyncSession,
    *,
    student_id: int,
    seen_version: int,
    status: RegisterStatus,
    actor: Person,
    now: datetime,
    tz: tzinfo,
    council_session_id: int | None = None,
    grounds: str | None = None,
) -> Student:
    """Put a student on the register, move them between registers, or take them off: a council
    decision, recorded in the chronology with the session when given. Commits."""
    if not can(actor.roles, Perm.MANAGE_REGISTER):
        raise NotAllowed
    student = await _for_change(session, student_id, seen_version)
    if (
        council_session_id is not None
        and await session.get(CouncilSession, council_session_id) is None
    ):
        council_session_id = None
    before = student.register_status
    if status == before:
        return student
    today = now.astimezone(tz).date()
    student.register_status = status
    if status is RegisterStatus.NONE:
        student.closed_at = now
    elif before is RegisterStatus.NONE:
        student.registered_at = today
        student.closed_at = None
    if grounds is not None:
        student.grounds = grounds
    session.add(
        StudentEvent(
            student_id=student_id,
            kind=StudentEventKind.STATUS_CHANGE,
            text=f"{before.value}→{status.value}",
            at=now,
            author_person_id=actor.id,
            session_id=council_session_id,
        )
    )
    await audit(
        session,
        action="student.status",
        target=f"student:{student_id}",
        actor=actor,
        before=before.value,
        after=status.value,
        session_id=council_session_id,
        now=now,
    )
    await _commit_change(session)
    return student


async def update_card(
    session: AsyncSession,
    *,
    student_id: int,
    seen_version: int,
    actor: Person,
    now: datetime,
    **changes: object,
) -> Student:
    """Change plain card fields (family_notes, grounds, birth_date, responsible_person_id,
    for_council) if the card is still as the user saw it. Commits."""
    allowed = {"family_notes", "grounds", "birth_date", "responsible_person_id", "for_council"}
    if set(changes) - allowed:
        raise ValueError(f"not a card field: {sorted(set(changes) - allowed)}")
    student = await _for_change(session, student_id, seen_version)
    if not can(actor.roles, Perm.FILE_INCIDENT) or not can_read(actor, student.class_name):
        raise NotAllowed
    for name, value in changes.items():
        setattr(student, name, value)
    await audit(
        session,
        action="student.update",
        target=f"student:{student_id}",
        actor=actor,
        fields=sorted(changes),  # which fields, never their values
        now=now,
    )
    await _commit_change(session)
    return student


# --- talks, home visits, date of birth, responsible --------------------------------------------

EVENT_KINDS = (StudentEventKind.TALK, StudentEventKind.HOME_VISIT)  # what staff add by hand
SCHOOL_AGE = (5, 20)  # a plausible date of birth makes the child this old, in whole years
RESPONSIBLE_ROLES = ("social_pedagogue", "psychologist", "class_teacher")
BIRTH_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_birth_date(text: str, today: date) -> date | None:
    """``"05.03.2013"`` → that date; None unless it is a real DD.MM.YYYY date that makes the
    child 5 to 20 years old `today`."""
    match = BIRTH_RE.match(text)
    if match is None:
        return None
    try:
        born = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None
    low, high = SCHOOL_AGE
    return born if low <= age_on(born, today) <= high else None


async def add_event(
    session: AsyncSession,
    *,
    student_id: int,
    kind: StudentEventKind,
    text: str,
    at: datetime,
    actor: Person,
    now: datetime,
) -> StudentEvent:
    """A talk or a home visit in the card's chronology, by someone who may read the card.
    Adding a line overwrites nothing, so it needs no card version. Audited (kind only). Commits."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"not a hand-made event: {kind}")
    text = text.strip()
    if not text or len(text) > NOTES_MAX:
        raise ValueError("empty or too long")
    student = await session.get(Student, student_id)
    if student is None or not can_read(actor, student.class_name):
        raise NotAllowed
    event = StudentEvent(
        student_id=student_id, kind=kind, text=text, at=at, author_person_id=actor.id
    )
    session.add(event)
    await session.flush()
    await audit(
        session,
        action="student.event",
        target=f"student:{student_id}",
        actor=actor,
        kind=kind.value,
        event=event.id,
        now=now,
    )
    await session.commit()
    return event


async def responsible_candidates(session: AsyncSession, class_name: str) -> list[Person]:
    """Who may answer for a student: active social pedagogues and psychologists, and the class
    teachers of the student's own class (not every class teacher of the school)."""
    rows = (
        await session.exec(select(Person).where(col(Person.active)).order_by(col(Person.name)))
    ).all()
    out = []
    for person in rows:
        roles = set(person.roles)
        if roles & {"social_pedagogue", "psychologist"} or (
            "class_teacher" in roles and normalize_class(person.class_name or "") == class_name
        ):
            out.append(person)
    return out


async def set_responsible(
    session: AsyncSession,
    *,
    student_id: int,
    seen_version: int,
    person_id: int | None,
    actor: Person,
    now: datetime,
) -> Student:
    """Make `person_id` (None: nobody) responsible for the card, if they are a candidate and
    the card is as the user saw it. `ValueError` for someone who is not a candidate. Commits."""
    student = await _for_change(session, student_id, seen_version)
    if not can_read(actor, student.class_name):
        raise NotAllowed
    if person_id is not None and person_id not in {
        p.id for p in await responsible_candidates(session, student.class_name)
    }:
        raise ValueError("not a candidate")
    return await update_card(
        session,
        student_id=student_id,
        seen_version=seen_version,
        actor=actor,
        now=now,
        responsible_person_id=person_id,
    )


async def council_sessions(
    session: AsyncSession, now: datetime, limit: int = 4
) -> Sequence[CouncilSession]:
    """Sessions a register decision can be recorded with: the latest held or scheduled."""
    rows = await session.exec(
        select(CouncilSession)
        .where((col(CouncilSession.held_at) <= now) | (col(CouncilSession.scheduled_at) <= now))
        .order_by(col(CouncilSession.number).desc())
        .limit(limit)
    )
    return rows.all()


# --- the council (3.5) --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CouncilCase:
    """A flagged student or note. No name: the chair opens the card to see who it is."""

    student_id: int
    class_name: str
    register_status: RegisterStatus
    incident_ids: tuple[int, ...]
    student_flagged: bool


async def council_cases(session: AsyncSession) -> list[CouncilCase]:
    """Flagged students and flagged notes (grouped by student), for the next session's agenda
    (3.5) and the chair's reminder. A case stays until `record_council_review` clears it."""
    flagged_notes = (
        await session.exec(
            select(Incident.id, Incident.student_id).where(col(Incident.for_council))
        )
    ).all()
    by_student: dict[int, list[int]] = {}
    for incident_id, student_id in flagged_notes:
        assert incident_id is not None
        by_student.setdefault(student_id, []).append(incident_id)
    students = (
        await session.exec(
            select(Student).where(col(Student.for_council) | col(Student.id).in_(list(by_student)))
        )
    ).all()
    cases = [
        CouncilCase(
            student_id=s.id,  # type: ignore[arg-type]
            class_name=s.class_name,
            register_status=s.register_status,
            incident_ids=tuple(sorted(by_student.get(s.id, []))),  # type: ignore[arg-type]
            student_flagged=s.for_council,
        )
        for s in students
    ]
    return sorted(cases, key=lambda c: (_class_key(c.class_name), c.student_id))


async def record_council_review(
    session: AsyncSession,
    *,
    student_id: int,
    council_session_id: int | None,
    text: str,
    actor: Person | None,
    now: datetime,
) -> None:
    """The council reviewed a case: a chronology entry, and the student's and notes' flags
    cleared. Commits."""
    student = await session.get(Student, student_id, populate_existing=True)
    if student is None:
        raise LookupError(f"no student {student_id}")
    student.for_council = False
    for incident in (
        await session.exec(
            select(Incident).where(Incident.student_id == student_id, col(Incident.for_council))
        )
    ).all():
        incident.for_council = False
    session.add(
        StudentEvent(
            student_id=student_id,
            kind=StudentEventKind.COUNCIL_REVIEW,
            text=text,
            at=now,
            author_person_id=actor.id if actor else None,
            session_id=council_session_id,
        )
    )
    await audit(
        session,
        action="student.council_review",
        target=f"student:{student_id}",
        actor=actor,
        session_id=council_session_id,
        now=now,
    )
    await _commit_change(session)


# --- per-student analyses (3.1, 3.2) ------------------------------------------------------------

ANALYSIS_STAGES = ("initial", "first", "second", "third")


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """When the analyses fall, in months after registration (the initial one at once), and how
    long each may take. The responsible groups come from the plan's item 3.1."""

    months: tuple[int, int, int] = (1, 3, 6)
    initial_days: int = 7  # the initial analysis is due a week after registration
    window_days: int = 7  # the later ones may be done in the week before their date
    ref: str = "3.1"
    groups: tuple[str, ...] = ("psych-service",)


DEFAULT_ANALYSIS = AnalysisConfig()


def analysis_dates(
    registered_on: date, config: AnalysisConfig = DEFAULT_ANALYSIS
) -> list[tuple[str, date, date]]:
    """(stage, window start, due) of each analysis for a student registered on `registered_on`."""
    out = [("initial", registered_on, registered_on + timedelta(days=config.initial_days))]
    for stage, months in zip(ANALYSIS_STAGES[1:], config.months, strict=True):
        due = add_months(registered_on, months)
        out.append((stage, due - timedelta(days=config.window_days), due))
    return out


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Jan + 1 → 28/29 Feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def analysis_key(student_id: int, stage: str, registered_on: date, ref: str = "3.1") -> str:
    return f"{ref}@s{student_id}/{stage}/{registered_on.isoformat()}"


async def student_occurrences(
    session: AsyncSession,
    calendar: SchoolCalendar,
    start: datetime,
    end: datetime,
    config: AnalysisConfig = DEFAULT_ANALYSIS,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[Occurrence]:
    """The analyses of registered students whose window overlaps ``start..end``, as plan-like
    task occurrences for the reminder planner (kind ``"task"``, rule ``"per_student"``).

    Responsible: the card's responsible person if set, the class teachers of the student's
    class, and `config.groups`. Reminders: at the window's start (``morning_of``) and the day
    before the due date (``day_before``); the planner adds the overdue one. Closed cases
    (taken off the register) have no more analyses.
    """
    tz = calendar.tz
    rows = (
        await session.exec(
            select(Student.id, Student.class_name, Student.registered_at, Person.key)
            .outerjoin(Person, col(Person.id) == col(Student.responsible_person_id))
            .where(
                Student.register_status != RegisterStatus.NONE,
                col(Student.registered_at).is_not(None),
                col(Student.closed_at).is_(None),
            )
        )
    ).all()
    teachers: dict[str, list[str]] = {}
    for key, klass, roles in (
        await session.exec(
            select(Person.key, Person.class_name, Person.roles).where(
                col(Person.active), col(Person.class_name).is_not(None)
            )
        )
    ).all():
        norm = normalize_class(klass or "")
        if norm and "class_teacher" in roles:
            teachers.setdefault(norm, []).append(key)
    out: list[Occurrence] = []
    for student_id, klass, registered_on, responsible_key in rows:
        assert student_id is not None and registered_on is not None
        people = tuple(
            dict.fromkeys([k for k in [responsible_key, *teachers.get(klass, [])] if k])
        )
        for number, (stage, window_day, due_day) in enumerate(
            analysis_dates(registered_on, config)
        ):
            window = datetime.combine(window_day, time(8, 0), tzinfo=tz)
            due = datetime.combine(due_day, time(18, 0), tzinfo=tz)
            if due < start or window > end:
                continue
            out.append(
                Occurrence(
                    key=analysis_key(student_id, stage, registered_on, config.ref),
                    ref=f"{config.ref}.{number + 1}",
                    item_ref=config.ref,
                    # The stage's plan title goes in front in the reader's language
                    # (`bot.core.plan_lang.localize`); the child by class only, no id.
                    title=f" · {klass}",
                    kind="task",
                    rule="per_student",
                    window_start=window,
                    due=due,
                    people=people,
                    groups=config.groups,
                    responsible_names=(),
                    reminders=tuple(
                        ReminderMoment(kind, place_reminder(calendar, policy, at, window, due))
                        for kind, at in (
                            ("morning_of", window),
                            ("day_before", due - timedelta(days=1)),
                        )
                    ),
                )
            )
    return out
