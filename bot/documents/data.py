"""The one query layer of the council's papers: plain dataclasses read from the database.

Every figure a document shows is computed here once; the Word context (`context.py`) and the
Excel writer (`xlsx.py`) only format what these functions return. Nothing here knows a
language: names are as stored, kinds are enum values, dates are dates.

* `load_minutes(session, plan, calendar, number)`: a recorded session.
* `load_register(session, calendar, which)`: the students on preventive record.
* `load_analysis(session, plan, calendar, start, end)`: the figures of a period's analysis.
* `load_case_file(session, calendar, student_id)`: one child's file (the caller checks rights
  and audits).
* `load_effective_plan(session, plan, calendar)`: the plan laid on this year's calendar.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan, Responsible
from bot.core.roles import Role
from bot.core.schedule import DEFAULT_POLICY, Occurrence, occurrences
from bot.scheduler.planner import Roster
from bot.services.assignments import effective_plan
from bot.services.sessions import COUNCIL_ROLES
from bot.services.students import ANALYSIS_STAGES, analysis_dates, analysis_key
from bot.services.tasks import load_overrides
from db.models import (
    CouncilSession,
    Decision,
    Incident,
    IncidentVersion,
    Person,
    RegisterStatus,
    Report,
    ReportEvent,
    ReportStatus,
    SessionAttendance,
    SessionGuest,
    SessionItem,
    Student,
    StudentEvent,
    StudentEventKind,
)
from db.models import Occurrence as OccurrenceRow


class RegisterFilter(StrEnum):
    CURRENT = "current"  # on the register now
    YEAR = "year"  # on the register at any time of the school year
    REMOVED = "removed"  # taken off the register during the school year


def class_key(klass: str) -> tuple[int, str]:
    digits = "".join(ch for ch in klass if ch.isdigit())
    return (int(digits or 0), klass)


async def _people(session: AsyncSession) -> dict[int, Person]:
    return {p.id: p for p in (await session.exec(select(Person))).all() if p.id is not None}


def _role_holder(people: dict[int, Person], role: Role) -> Person | None:
    found = sorted((p for p in people.values() if p.active and role.value in p.roles),
                   key=lambda p: p.id or 0)  # fmt: skip
    return found[0] if found else None


# --- minutes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionLine:
    number: int  # within its item
    text: str
    owner_name: str | None  # a person
    owner_role: str | None  # or a role (a Role value)
    deadline: date | None
    due_kind: str | None


@dataclass(frozen=True, slots=True)
class CasesSummary:
    students: int
    notes: int
    by_class: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class MinutesItem:
    number: int
    title: str
    reporters: tuple[str, ...]
    spoke: str | None
    decisions: tuple[DecisionLine, ...]
    cases: CasesSummary | None = None


@dataclass(frozen=True, slots=True)
class MinutesData:
    school_year: str
    number: int
    extraordinary: bool
    held_on: date
    place: str | None
    present: tuple[str, ...]  # names, council members first
    absent: tuple[str, ...]  # council members who were not there
    guests: tuple[tuple[str, str | None], ...]  # (name, post)
    members_total: int
    members_present: int
    quorum: bool
    items: tuple[MinutesItem, ...]
    chair: str | None
    secretary: str | None
    appendix: tuple[tuple[str, str], ...] | None  # (full name, class): only when asked for

    @property
    def has_child_names(self) -> bool:
        return bool(self.appendix)


class NotRecorded(LookupError):
    """The session has not been recorded (held) yet."""


async def load_minutes(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    number: int,
    *,
    with_appendix: bool | None = None,
) -> MinutesData:
    """A recorded session. `with_appendix`: None follows what the chair asked at recording."""
    row = (
        await session.exec(
            select(CouncilSession).where(
                CouncilSession.school_year == calendar.year, CouncilSession.number == number
            )
        )
    ).first()
    if row is None or row.held_at is None or row.id is None:
        raise NotRecorded(number)
    people = await _people(session)
    attended = set(
        (
            await session.exec(
                select(SessionAttendance.person_id).where(SessionAttendance.session_id == row.id)
            )
        ).all()
    )
    members = [p for p in people.values() if p.active and COUNCIL_ROLES & set(p.roles)]
    member_ids = {p.id for p in members}
    present_members = sorted((people[i] for i in attended if i in member_ids),
                             key=lambda p: p.name)  # fmt: skip
    present_others = sorted((people[i] for i in attended if i in people and i not in member_ids),
                            key=lambda p: p.name)  # fmt: skip
    absent = sorted((p for p in members if p.id not in attended), key=lambda p: p.name)
    guests = (
        await session.exec(
            select(SessionGuest)
            .where(SessionGuest.session_id == row.id)
            .order_by(col(SessionGuest.id))
        )
    ).all()
    item_rows = (
        await session.exec(
            select(SessionItem)
            .where(SessionItem.session_id == row.id)
            .order_by(col(SessionItem.number))
        )
    ).all()
    decisions = (
        await session.exec(
            select(Decision).where(Decision.session_id == row.id).order_by(col(Decision.id))
        )
    ).all()
    tz = calendar.tz
    by_item: dict[int, list[DecisionLine]] = defaultdict(list)
    for d in decisions:
        n = d.item_number or (item_rows[-1].number if item_rows else 1)
        owner = people.get(d.owner_person_id) if d.owner_person_id else None
        by_item[n].append(
            DecisionLine(
                number=len(by_item[n]) + 1,
                text=d.text,
                owner_name=owner.name if owner else None,
                owner_role=d.owner_role,
                deadline=d.deadline.astimezone(tz).date() if d.deadline else None,
                due_kind=d.due_kind,
            )
        )
    items: list[MinutesItem] = []
    appendix: list[tuple[str, str]] = []
    for it in item_rows:
        cases = None
        if it.case_student_ids:
            students = (
                await session.exec(
                    select(Student).where(col(Student.id).in_(list(it.case_student_ids)))
                )
            ).all()
            notes = (
                await session.exec(
                    select(Incident.id).where(
                        col(Incident.student_id).in_(list(it.case_student_ids))
                    )
                )
            ).all()
            classes = Counter(s.class_name for s in students)
            cases = CasesSummary(
                students=len(students),
                notes=len(notes),
                by_class=tuple(sorted(classes.items(), key=lambda kv: class_key(kv[0]))),
            )
            appendix += [(s.full_name, s.class_name) for s in students]
        items.append(
            MinutesItem(
                number=it.number,
                title=it.title,
                reporters=tuple(it.reporters),
                spoke=it.spoke,
                decisions=tuple(by_item.get(it.number, [])),
                cases=cases,
            )
        )
    if not item_rows and decisions:  # recorded before items were kept: one item for all
        items.append(MinutesItem(1, "", (), None, tuple(by_item.get(1, []))))
    want_appendix = row.closed_appendix if with_appendix is None else with_appendix
    secretary = people.get(row.secretary_person_id) if row.secretary_person_id else None
    secretary = secretary or _role_holder(people, Role.SECRETARY)
    chair = _role_holder(people, Role.CHAIR)
    quorum = (
        row.quorum
        if row.quorum is not None
        else (len(present_members) * 3 >= len(members) * 2 if members else True)
    )
    return MinutesData(
        school_year=row.school_year,
        number=row.number,
        extraordinary=row.extraordinary,
        held_on=row.held_at.astimezone(tz).date(),
        place=row.place,
        present=tuple(p.name for p in [*present_members, *present_others]),
        absent=tuple(p.name for p in absent),
        guests=tuple((g.name, g.post) for g in guests),
        members_total=len(members),
        members_present=len(present_members),
        quorum=quorum,
        items=tuple(items),
        chair=chair.name if chair else None,
        secretary=secretary.name if secretary else None,
        appendix=tuple(sorted(appendix, key=lambda a: (class_key(a[1]), a[0])))
        if want_appendix and appendix
        else None,
    )


async def held_sessions(session: AsyncSession, year: str) -> list[CouncilSession]:
    rows = (
        await session.exec(
            select(CouncilSession)
            .where(CouncilSession.school_year == year, col(CouncilSession.held_at).is_not(None))
            .order_by(col(CouncilSession.number))
        )
    ).all()
    return list(rows)


# --- the register -------------------------------------------------------------------------------


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
    people = await _people(session)
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


# --- the analysis -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemFigure:
    ref: str
    title: str
    section: int
    responsible: tuple[str, ...]
    due: int  # occurrences due in the period
    done: int  # occurrences everyone responsible reported done
    touched: int  # occurrences with at least one "done", not all
    reasons: tuple[str, ...]  # "can't" reasons given

    @property
    def status(self) -> str:
        if self.done == self.due:
            return "done"
        if self.done or self.touched:
            return "partly"
        return "not_done"


@dataclass(frozen=True, slots=True)
class SectionFigure:
    number: int
    title: str
    items: tuple[ItemFigure, ...]

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


@dataclass(frozen=True, slots=True)
class PersonFigure:
    name: str
    assigned: int
    done: int
    cant: int

    @property
    def not_done(self) -> int:
        return self.assigned - self.done


@dataclass(frozen=True, slots=True)
class DecisionFigures:
    total: int
    on_time: int
    late: int
    open: int
    no_deadline: int


@dataclass(frozen=True, slots=True)
class AnalysisData:
    school_year: str
    start: date
    end: date  # the period's last day
    as_of: date  # the figures count what was due up to here
    sections: tuple[SectionFigure, ...]
    people: tuple[PersonFigure, ...]
    sessions_planned: int  # plan sessions falling in the period
    sessions_held: tuple[tuple[int, date], ...]  # plan sessions held in the period
    extraordinary_held: int
    decisions: DecisionFigures
    notes_total: int
    notes_by_category: tuple[tuple[str, int], ...]
    notes_by_month: tuple[tuple[int, int, int], ...]  # (year, month, count)
    notes_by_class: tuple[tuple[str, int], ...]
    put_on: int
    removed: int
    on_register: int  # at the end of the period (now, if the period is not over)
    talks: int  # talks recorded on cards
    talk_weeks: int  # 3.3's weekly occurrences due
    talk_weeks_done: int
    lectures: int  # 3.4's lectures due
    lectures_done: int

    @property
    def items_total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    def items_count(self, status: str) -> int:
        return sum(s.count(status) for s in self.sections)


def half_year_bounds(calendar: SchoolCalendar) -> tuple[date, date]:
    """The first half-year: from the year's first day to the day before the winter break."""
    lo, hi = calendar.span
    winter = next((b for b in calendar.breaks if b.key == "winter"), None)
    end = winter.start.fromordinal(winter.start.toordinal() - 1) if winter else hi
    return date(lo.year, 8, 1), end


def year_bounds(calendar: SchoolCalendar) -> tuple[date, date]:
    lo, hi = calendar.span
    return date(lo.year, 8, 1), hi


async def load_analysis(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    start: date,
    end: date,
    now: datetime,
) -> AnalysisData:
    tz = calendar.tz
    today = now.astimezone(tz).date()
    as_of = min(end, today)
    lo_dt = datetime.combine(start, time.min, tz)
    hi_dt = min(datetime.combine(as_of, time.max, tz), now)  # not yet due is not "not done"
    plan = await effective_plan(session, plan)
    overrides = await load_overrides(session, calendar)
    lo, hi = calendar.span
    occs: list[Occurrence] = []
    if max(start, lo) <= min(as_of, hi):
        occs = occurrences(
            plan, calendar, max(start, lo), min(as_of, hi), DEFAULT_POLICY,
            overrides.session_times,
        )  # fmt: skip
    occs += [o for o in overrides.extra if o.rule == "per_student" and lo_dt <= o.due <= hi_dt]
    tasks = [o for o in occs if o.kind == "task" and o.due <= hi_dt]
    people_rows = list((await session.exec(select(Person))).all())
    roster = Roster(plan, people_rows, [])
    keys = [o.key for o in tasks]
    reports: dict[tuple[str, int], Report] = {}
    for i in range(0, len(keys), 500):
        for key, report in (
            await session.exec(
                select(OccurrenceRow.key, Report)
                .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
                .where(col(OccurrenceRow.key).in_(keys[i : i + 500]))
            )
        ).all():
            reports[(key, report.person_id)] = report

    section_of = {i.ref: s.number for s in plan.sections for i in s.items}
    titles = {i.ref: i.title for i in plan.items()}
    per_item: dict[str, list[Occurrence]] = defaultdict(list)
    for o in tasks:
        if o.item_ref in section_of:
            per_item[o.item_ref].append(o)
    assigned: Counter[int] = Counter()
    done_by: Counter[int] = Counter()
    cant_by: Counter[int] = Counter()
    figures: dict[int, list[ItemFigure]] = defaultdict(list)
    for item in plan.items():
        item_occs = per_item.get(item.ref, [])
        if not item_occs or not item.remind:
            continue  # 1.6 ("sessions monthly") is the sessions themselves: counted below
        due = done = touched = 0
        reasons: list[str] = []
        names: dict[int, str] = {}
        for o in item_occs:
            who = roster.responsible(o)
            if not who:
                continue
            due += 1
            finished = 0
            for pid in who:
                assigned[pid] += 1
                names[pid] = roster.by_id[pid].name
                r = reports.get((o.key, pid))
                if r is not None and r.status is ReportStatus.DONE:
                    finished += 1
                    done_by[pid] += 1
                elif r is not None and r.status is ReportStatus.CANT:
                    cant_by[pid] += 1
                    if r.reason and r.reason not in reasons:
                        reasons.append(r.reason)
            if finished == len(who):
                done += 1
            elif finished:
                touched += 1
        if not due:
            continue
        figures[section_of[item.ref]].append(
            ItemFigure(
                ref=item.ref,
                title=titles[item.ref],
                section=section_of[item.ref],
                responsible=tuple(sorted(names.values())),
                due=due,
                done=done,
                touched=touched,
                reasons=tuple(reasons),
            )
        )
    sections = tuple(
        SectionFigure(s.number, s.title, tuple(figures.get(s.number, []))) for s in plan.sections
    )
    people = tuple(
        sorted(
            (
                PersonFigure(roster.by_id[pid].name, n, done_by[pid], cant_by[pid])
                for pid, n in assigned.items()
            ),
            key=lambda p: p.name,
        )
    )

    # Sessions and decisions.
    rows = (
        await session.exec(
            select(CouncilSession).where(CouncilSession.school_year == calendar.year)
        )
    ).all()
    planned_numbers = {ps.number for ps in plan.sessions}
    session_occs = [o for o in occs if o.kind == "session"]
    sessions_planned = len({o.ref for o in session_occs})
    held: list[tuple[int, date]] = []
    extraordinary = 0
    in_period: list[int] = []
    for r in rows:
        if r.held_at is None or r.id is None:
            continue
        day = r.held_at.astimezone(tz).date()
        if not start <= day <= as_of:
            continue
        in_period.append(r.id)
        if r.number in planned_numbers:
            held.append((r.number, day))
        else:
            extraordinary += 1
    held.sort()
    decisions = (
        (await session.exec(select(Decision).where(col(Decision.session_id).in_(in_period)))).all()
        if in_period
        else []
    )
    dkeys = [d.occurrence_key for d in decisions if d.occurrence_key]
    first_done: dict[str, datetime] = {}
    if dkeys:
        for key, at in (
            await session.exec(
                select(OccurrenceRow.key, ReportEvent.at)
                .join(ReportEvent, col(ReportEvent.occurrence_id) == col(OccurrenceRow.id))
                .where(col(OccurrenceRow.key).in_(dkeys), ReportEvent.status == ReportStatus.DONE)
            )
        ).all():
            if key not in first_done or at < first_done[key]:
                first_done[key] = at
    on_time = late = open_ = no_deadline = 0
    for d in decisions:
        if d.deadline is None or d.occurrence_key is None:
            no_deadline += 1
            continue
        at = first_done.get(d.occurrence_key)
        if at is None:
            open_ += 1
        elif at <= d.deadline:
            on_time += 1
        else:
            late += 1

    # Notes.
    notes = (
        await session.exec(
            select(Incident.category, Incident.occurred_at, Student.class_name)
            .join(Student, col(Student.id) == col(Incident.student_id))
            .where(col(Incident.occurred_at) >= lo_dt, col(Incident.occurred_at) <= hi_dt)
        )
    ).all()
    by_cat: Counter[str] = Counter()
    by_month: Counter[tuple[int, int]] = Counter()
    by_class: Counter[str] = Counter()
    for category, at, klass in notes:
        local = at.astimezone(tz)
        by_cat[str(category)] += 1
        by_month[(local.year, local.month)] += 1
        by_class[klass] += 1

    # Register movement.
    changes = (
        await session.exec(
            select(StudentEvent.text, StudentEvent.at).where(
                StudentEvent.kind == StudentEventKind.STATUS_CHANGE,
                col(StudentEvent.at) >= lo_dt,
                col(StudentEvent.at) <= hi_dt,
            )
        )
    ).all()
    put_on = removed = 0
    for text, _at in changes:
        before, _, after = text.partition("→")
        if before == RegisterStatus.NONE.value and after != RegisterStatus.NONE.value:
            put_on += 1
        elif after == RegisterStatus.NONE.value and before != RegisterStatus.NONE.value:
            removed += 1
    on_register = len(
        (
            await session.exec(
                select(Student.id).where(Student.register_status != RegisterStatus.NONE)
            )
        ).all()
    )

    # Talks (3.3) and lectures (3.4).
    talks = len(
        (
            await session.exec(
                select(StudentEvent.id).where(
                    StudentEvent.kind == StudentEventKind.TALK,
                    col(StudentEvent.at) >= lo_dt,
                    col(StudentEvent.at) <= hi_dt,
                )
            )
        ).all()
    )
    weekly = [f for s in sections for f in s.items if f.ref == "3.3"]
    lectures = [o for o in tasks if o.item_ref == "3.4"]
    lectures_done = 0
    for o in lectures:
        who = roster.responsible(o)
        if who and all(
            (r := reports.get((o.key, pid))) is not None and r.status is ReportStatus.DONE
            for pid in who
        ):
            lectures_done += 1
    return AnalysisData(
        school_year=calendar.year,
        start=start,
        end=end,
        as_of=as_of,
        sections=sections,
        people=people,
        sessions_planned=sessions_planned,
        sessions_held=tuple(held),
        extraordinary_held=extraordinary,
        decisions=DecisionFigures(len(decisions), on_time, late, open_, no_deadline),
        notes_total=len(notes),
        notes_by_category=tuple(sorted(by_cat.items(), key=lambda kv: (-kv[1], kv[0]))),
        notes_by_month=tuple((y, m, n) for (y, m), n in sorted(by_month.items())),
        notes_by_class=tuple(sorted(by_class.items(), key=lambda kv: class_key(kv[0]))),
        put_on=put_on,
        removed=removed,
        on_register=on_register,
        talks=talks,
        talk_weeks=weekly[0].due if weekly else 0,
        talk_weeks_done=weekly[0].done if weekly else 0,
        lectures=len(lectures),
        lectures_done=lectures_done,
    )


# --- a child's case file ------------------------------------------------------------------------


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
    people = await _people(session)
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


# --- the effective plan -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanLine:
    ref: str
    title: str
    when: str  # as written in the plan
    rule: str  # the first timing rule's kind
    dates: tuple[date, ...]  # this year's due dates
    responsible: Responsible


@dataclass(frozen=True, slots=True)
class PlanSection:
    number: int
    title: str
    lines: tuple[PlanLine, ...]


@dataclass(frozen=True, slots=True)
class SessionLine:
    number: int
    when: date | None
    date_set: bool
    month: int | None
    agenda: tuple[tuple[int, str, Responsible], ...]


@dataclass(frozen=True, slots=True)
class EffectivePlan:
    plan: Plan
    school_year: str
    sections: tuple[PlanSection, ...]
    sessions: tuple[SessionLine, ...]


async def load_effective_plan(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar
) -> EffectivePlan:
    plan = await effective_plan(session, plan)
    overrides = await load_overrides(session, calendar)
    lo, hi = calendar.span
    occs = occurrences(plan, calendar, lo, hi, DEFAULT_POLICY, overrides.session_times)
    dates: dict[str, list[date]] = defaultdict(list)
    sessions: dict[str, Occurrence] = {}
    for o in occs:
        if o.kind == "session":
            sessions[o.ref] = o
        else:
            dates[o.item_ref].append(o.due.astimezone(calendar.tz).date())
    sections = []
    for s in plan.sections:
        lines = []
        for item in s.items:
            rule = item.timing[0].kind if item.timing else "missing"
            lines.append(
                PlanLine(
                    ref=item.ref,
                    title=item.title,
                    when=item.when,
                    rule=rule,
                    dates=tuple(sorted(set(dates.get(item.ref, [])))),
                    responsible=item.responsible,
                )
            )
        sections.append(PlanSection(s.number, s.title, tuple(lines)))
    session_lines = []
    for ps in plan.sessions:
        occ = sessions.get(ps.ref)
        month = None
        for rule in ps.timing:
            month = getattr(rule, "month", None) or (getattr(rule, "months", None) or [None])[0]
            break
        session_lines.append(
            SessionLine(
                number=ps.number,
                when=occ.due.astimezone(calendar.tz).date() if occ else None,
                date_set=occ.date_set if occ else False,
                month=month,
                agenda=tuple((a.number, a.title, a.reporters) for a in ps.agenda),
            )
        )
    return EffectivePlan(plan, calendar.year, tuple(sections), tuple(session_lines))


def responsible_names(plan: Plan, resp: Responsible, lang: str) -> str:
    names = []
    for key in resp.people:
        try:
            names.append(plan.person(key).name)
        except KeyError:
            continue
    for key in resp.groups:
        try:
            group = plan.group(key)
        except KeyError:
            continue
        names.append(group.names.ru if lang == "ru" else group.names.kk)
    return ", ".join(names) or (resp.text.strip() if resp.text else "")


def person_names(people: Sequence[Person]) -> str:
    return ", ".join(p.name for p in people)
