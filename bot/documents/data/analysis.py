"""The figures of a half-year or annual analysis: plan items, sessions and decisions, notes,
the register's movement, talks and lectures."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.routine import SILENT
from bot.core.schedule import DEFAULT_POLICY, Occurrence, occurrences
from bot.documents.data.common import class_key
from bot.scheduler.planner import Roster
from bot.services.assignments import effective_plan
from bot.services.tasks import load_overrides
from db.models import (
    CouncilSession,
    Decision,
    Incident,
    Person,
    RegisterStatus,
    Report,
    ReportEvent,
    ReportStatus,
    Student,
    StudentEvent,
    StudentEventKind,
)
from db.models import Occurrence as OccurrenceRow


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
    reported = {key for key, _ in reports}
    for item in plan.items():
        item_occs = per_item.get(item.ref, [])
        if not item_occs or not item.remind:
            continue  # 1.6 ("sessions monthly") is the sessions themselves: counted below
        # A silent routine duty (bot.core.routine) is never asked: without any report it is
        # not judged done or not done. Reported where it is, it counts like any other.
        item_occs = [o for o in item_occs if o.routine != SILENT or o.key in reported]
        if not item_occs:
            continue
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
