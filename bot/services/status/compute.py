"""Where the plan stands: a pure function of the plan, the calendar, the time and plain rows.

`compute_status(plan, calendar, now, ...)` takes no Telegram, no database and no clock;
`load_status` reads the rows. What is counted, per section of the plan:

* a **unit** is one occurrence of an item (a daily duty's school week counts as one unit, not
  five: 1.8 would otherwise outweigh the whole section); it is **done** when everyone answering
  for it reported done (a group item counts each member: "7/11");
* **overdue**: its due moment has passed and it is not done; **coming**: not done, due within
  `COMING` from now;
* the section's bar counts the units due so far (and those done early);
* **behind**: for each person who had joined when a unit fell due, the overdue units they have
  not reported done (worst first);
* the next council session, with the agenda's reporters and whether each said their report is
  ready (a *done* on the session's occurrence).

Left out: items without reminders (1.6: the sessions stand for it), items nobody in the database
answers for (external groups only), work due before Kenes was in use (`since`). Silent routine
duties (`bot.core.routine`) are listed apart, counted only. Items without a timing (2.4) are
named in their section as "no date" until an admin sets one (/plan).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.overrides import needs_timing
from bot.core.plan import Plan, Responsible
from bot.core.plan_lang import plan_in
from bot.core.roles import Role
from bot.core.routine import SILENT
from bot.core.schedule import DEFAULT_POLICY, Occurrence, ReminderPolicy, occurrences
from bot.services.assignments import effective_plan
from bot.services.sessions import plan_month
from bot.services.staff import members_of
from db.models import (
    Account,
    AccountState,
    CouncilSession,
    Person,
    Report,
    ReportStatus,
)
from db.models import Occurrence as OccurrenceRow

COMING = timedelta(days=14)
BEHIND_MAX = 5


@dataclass(frozen=True, slots=True)
class ItemLine:
    key: str  # the occurrence key, or "1.8@2026-W48" for a daily duty's week
    ref: str
    title: str
    due: datetime
    done: int  # people who reported done
    total: int
    waiting: tuple[str, ...] = ()  # names of those who did not (had joined by the due)
    week: bool = False  # a daily duty's school week


@dataclass(slots=True)
class SectionStatus:
    number: int
    title: str
    done: int = 0  # units done (due so far, or early)
    counted: int = 0  # units due so far, and those done early: the bar's whole
    overdue: list[ItemLine] = field(default_factory=list)
    coming: list[ItemLine] = field(default_factory=list)
    undated: list[tuple[str, str]] = field(default_factory=list)  # (ref, title): no timing
    silent: list[tuple[str, str]] = field(default_factory=list)  # routine, counted only


@dataclass(frozen=True, slots=True)
class Reporter:
    point: int
    name: str
    ready: bool


@dataclass(frozen=True, slots=True)
class NextSession:
    number: int
    when: datetime | None  # None: only the month is known
    month: int | None
    reporters: tuple[Reporter, ...] = ()


@dataclass(frozen=True, slots=True)
class Status:
    now: datetime
    sections: tuple[SectionStatus, ...]
    held: tuple[tuple[int, datetime], ...]  # (number, held at), plan and extraordinary
    planned_total: int
    extraordinary_held: int
    next_session: NextSession | None
    blocked: tuple[str, ...]  # names: blocked the bot or unreachable
    never_joined: tuple[str, ...]  # names: no account (and not external)
    behind: tuple[tuple[str, int], ...] = ()  # (name, overdue units), worst first

    def line(self, key: str) -> tuple[SectionStatus, ItemLine] | None:
        for section in self.sections:
            for line in section.overdue + section.coming:
                if line.key == key:
                    return section, line
        return None


@dataclass
class _Unit:
    key: str
    ref: str
    item_ref: str
    title: str
    due: datetime
    days: list[Occurrence]
    ids: tuple[int, ...]


def _units(occs: Iterable[Occurrence], who: object) -> list[_Unit]:
    """Occurrences as units: a daily duty's days of one ISO week are one."""
    units: dict[str, _Unit] = {}
    for occ in occs:
        ids = who(occ.people, occ.groups)  # type: ignore[operator]
        if occ.rule == "daily":
            iso = occ.due.date().isocalendar()
            key = f"{occ.ref}@{iso.year}-W{iso.week:02d}"
        else:
            key = occ.key
        unit = units.get(key)
        if unit is None:
            units[key] = _Unit(key, occ.ref, occ.item_ref, occ.title, occ.due, [occ], ids)
        else:
            unit.days.append(occ)
            unit.due = max(unit.due, occ.due)
    return list(units.values())


def compute_status(
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    *,
    people: Sequence[Person],
    accounts: Iterable[Account],
    done: Iterable[tuple[str, int]],
    sessions: Sequence[CouncilSession],
    policy: ReminderPolicy = DEFAULT_POLICY,
    coming: timedelta = COMING,
    since: date | None = None,
) -> Status:
    """Where the plan stands at `now` (aware). `done`: (occurrence key, person id) pairs with a
    report of status done; `sessions`: the year's `council_session` rows; `since`: the day
    Kenes started keeping track (work due before it was never asked of anyone here, so it is
    not shown as overdue)."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    now = now.astimezone(calendar.tz)
    active = [p for p in people if p.active and p.id is not None]
    names = {p.id: p.name for p in active}
    accounts = list(accounts)
    joined = {a.person_id: a.joined_at for a in accounts if a.state is not AccountState.REVOKED}
    finished = set(done)
    lo, hi = calendar.span
    if since is not None:
        lo = max(lo, since)
    end = min(hi, (now + coming).date())
    times = {s.number: s.scheduled_at for s in sessions if s.scheduled_at is not None}
    occs = occurrences(plan, calendar, lo, max(lo, end), policy, times) if lo <= end else []

    members: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[int, ...]] = {}

    def who(people_keys: tuple[str, ...], groups: tuple[str, ...]) -> tuple[int, ...]:
        got = members.get((people_keys, groups))
        if got is None:
            resp = Responsible(people=people_keys, groups=groups)
            got = tuple(p.id for p in members_of(resp, plan, active) if p.id is not None)
            members[(people_keys, groups)] = got
        return got

    section_of = {i.ref: s.number for s in plan.sections for i in s.items}
    reminded = {i.ref for i in plan.items() if i.remind}
    sections = {s.number: SectionStatus(s.number, s.title) for s in plan.sections}
    silent: dict[str, str] = {}
    tasks = []
    for occ in occs:
        if occ.kind != "task" or occ.item_ref not in reminded:
            continue
        if occ.routine == SILENT:
            silent.setdefault(occ.ref, occ.title)
            continue
        tasks.append(occ)
    behind: Counter[int] = Counter()
    for unit in _units(tasks, who):
        if not unit.ids:
            continue
        got = [pid for pid in unit.ids if all((o.key, pid) in finished for o in unit.days)]
        section = sections[section_of[unit.item_ref]]
        complete = len(got) == len(unit.ids)
        if complete:
            section.done += 1
            section.counted += 1
            continue
        waiting_ids = [
            pid
            for pid in unit.ids
            if pid not in got and (j := joined.get(pid)) is not None and j <= unit.due
        ]
        line = ItemLine(
            unit.key, unit.ref, unit.title, unit.due, len(got), len(unit.ids),
            tuple(sorted(names[pid] for pid in waiting_ids)), week=len(unit.days) > 1
            or unit.days[0].rule == "daily",
        )  # fmt: skip
        if unit.due < now:
            section.counted += 1
            section.overdue.append(line)
            behind.update(waiting_ids)
        elif unit.due <= now + coming:
            section.coming.append(line)
    item_of = {sub.ref: i.ref for i in plan.items() for sub in i.subitems}
    for ref, title in needs_timing(plan):  # 2.4: no date, never silently left out
        sections[section_of[item_of.get(ref, ref)]].undated.append((ref, title))
    for ref, title in silent.items():
        sections[section_of[item_of.get(ref, ref)]].silent.append((ref, title))
    for section in sections.values():
        section.overdue.sort(key=lambda x: x.due, reverse=True)  # the freshest first
        section.coming.sort(key=lambda x: x.due)

    held = tuple(
        sorted(
            ((s.number, s.held_at) for s in sessions if s.held_at is not None),
            key=lambda x: x[0],
        )
    )
    planned = {ps.number for ps in plan.sessions}
    extraordinary_held = sum(1 for number, _ in held if number not in planned)
    next_session = _next_session(plan, calendar, now, sessions, policy, active, finished)

    by_person = {a.person_id: a for a in accounts}
    blocked, never = [], []
    for p in sorted(active, key=lambda p: p.name):
        if not set(p.roles) - {Role.EXTERNAL.value} or p.vacancy:
            continue  # police, doctor: never expected to join; a vacancy is nobody yet
        account = by_person.get(p.id) if p.id is not None else None
        if account is None:
            never.append(p.name)
        elif account.state is AccountState.BLOCKED or account.unreachable_since is not None:
            blocked.append(p.name)
        # revoked accounts: access taken away on purpose, not a reach problem

    worst = sorted(behind.items(), key=lambda kv: (-kv[1], names[kv[0]]))[:BEHIND_MAX]
    return Status(
        now=now,
        sections=tuple(sections[s.number] for s in plan.sections),
        held=held,
        planned_total=len(plan.sessions),
        extraordinary_held=extraordinary_held,
        next_session=next_session,
        blocked=tuple(blocked),
        never_joined=tuple(never),
        behind=tuple((names[pid], n) for pid, n in worst),
    )


def _next_session(
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    sessions: Sequence[CouncilSession],
    policy: ReminderPolicy,
    active: Sequence[Person],
    finished: set[tuple[str, int]],
) -> NextSession | None:
    by_number = {s.number: s for s in sessions}
    candidates: list[tuple[date, NextSession]] = []
    for ps in plan.sessions:
        row = by_number.get(ps.number)
        if row is not None and row.held_at is not None:
            continue
        month, day = plan_month(ps, calendar)
        key = f"{ps.ref}@{calendar.year}"
        reporters = tuple(
            Reporter(point.number, p.name, (key, p.id) in finished)
            for point in ps.agenda
            for p in members_of(point.reporters, plan, active)
            if p.id is not None and set(p.roles) - {Role.EXTERNAL.value}
        )
        if row is not None and row.scheduled_at is not None:
            when = row.scheduled_at.astimezone(calendar.tz)
            if when >= now:
                candidates.append((when.date(), NextSession(ps.number, when, month, reporters)))
        elif day is not None:
            when = datetime.combine(day, policy.session_time, tzinfo=calendar.tz)
            if when >= now:
                candidates.append((day, NextSession(ps.number, when, month, reporters)))
        elif month is not None:
            first, last = calendar.month_date_range(month)
            if last >= now.date():
                candidates.append((first, NextSession(ps.number, None, month, reporters)))
    planned = {ps.number for ps in plan.sessions}
    for row in sessions:
        if row.number in planned or row.held_at is not None or row.scheduled_at is None:
            continue
        when = row.scheduled_at.astimezone(calendar.tz)
        if when >= now:
            candidates.append((when.date(), NextSession(row.number, when, None)))
    candidates.sort(key=lambda c: (c[0], c[1].number))
    return candidates[0][1] if candidates else None


async def load_status(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    policy: ReminderPolicy = DEFAULT_POLICY,
    lang: str = "kk",
) -> Status:
    """The status at `now`, its titles in the reader's language `lang`."""
    plan = plan_in(await effective_plan(session, plan), lang)  # with /reassign applied
    people = (await session.exec(select(Person).order_by(col(Person.id)))).all()
    accounts = (await session.exec(select(Account).order_by(col(Account.id)))).all()
    joined = [a.joined_at for a in accounts]
    since = min(joined).astimezone(calendar.tz).date() if joined else None
    done = (
        await session.exec(
            select(OccurrenceRow.key, Report.person_id)
            .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
            .where(OccurrenceRow.school_year == calendar.year, Report.status == ReportStatus.DONE)
        )
    ).all()
    rows = (
        await session.exec(
            select(CouncilSession).where(CouncilSession.school_year == calendar.year)
        )
    ).all()
    return compute_status(
        plan,
        calendar,
        now,
        people=people,
        accounts=accounts,
        done=[(k, pid) for k, pid in done],
        sessions=rows,
        policy=policy,
        since=since,
    )
