"""Council sessions at work: dates set by the chair, sessions recorded, extraordinary sessions.

The database is the truth: `council_session` (one row per school year and number, upserted),
`session_attendance`, `decision`. The reminder planner (`bot.services.tasks.load_overrides`)
reads them: `scheduled_at` becomes the session's time (the plan's month-only date is replaced),
`held_at` closes the session, a decision with an owner and a deadline becomes a task with
reminders (`decision.occurrence_key`, ``decision-{id}@{year}``), and an extraordinary row
(number 11 and up, `extraordinary=True`) becomes an extra session occurrence.

An extraordinary session's agenda has no column of its own: it is kept in ``kv`` under
``session-agenda:{year}:{number}`` (`agenda_key`); `extraordinary_agendas` reads them all for a
year, for whoever renders the reminders.

Every change is audited (``session.set_date``, ``session.record``, ``session.edit``,
``session.call``). Validation lives in pure functions (`check_day`, `parse_day`, `parse_time`)
that return a text key on failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan, Responsible
from bot.core.plan import Session as PlanSession
from bot.core.roles import Role
from bot.core.schedule import occurrences
from bot.core.timing import FixedDate, Months
from bot.services.staff import audit, members_of
from bot.services.tasks import decision_key
from db.dialect import has_prefix
from db.models import (
    Account,
    AccountState,
    CouncilSession,
    Decision,
    KeyValue,
    Person,
    SessionAttendance,
    SessionRsvp,
)

FIRST_EXTRAORDINARY = 11
COUNCIL_ROLES = frozenset({Role.CHAIR.value, Role.COUNCIL_MEMBER.value})
TIME_CHOICES = ("14:00", "15:00", "16:00")
PLACE_MAX = 120
AGENDA_MAX = 1500
DECISION_MAX = 1000
MINUTES_MAX = 3500


# --- what a session is ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionView:
    """A plan session or an extraordinary one, with what the database knows about it."""

    number: int
    extraordinary: bool
    month: int | None  # the plan's month (a month-only or a fixed-date session)
    plan_day: date | None  # a fixed date in the plan (session 1)
    row: CouncilSession | None

    @property
    def scheduled_at(self) -> datetime | None:
        return self.row.scheduled_at if self.row else None

    @property
    def held(self) -> bool:
        return self.row is not None and self.row.held_at is not None

    @property
    def place(self) -> str | None:
        return self.row.place if self.row else None


def plan_month(session: PlanSession, calendar: SchoolCalendar) -> tuple[int | None, date | None]:
    """(month, fixed day) of a plan session: a month-only session has no day."""
    for rule in session.timing:
        if isinstance(rule, FixedDate):
            try:
                return rule.month, calendar.map_month_day(rule.month, rule.day)
            except ValueError:
                return rule.month, None
        if isinstance(rule, Months):
            return rule.months[0], None
    return None, None


async def session_rows(session: AsyncSession, year: str) -> dict[int, CouncilSession]:
    rows = (
        await session.exec(select(CouncilSession).where(CouncilSession.school_year == year))
    ).all()
    return {r.number: r for r in rows}


def views(
    plan: Plan, calendar: SchoolCalendar, rows: dict[int, CouncilSession]
) -> list[SessionView]:
    """The plan's sessions in order, then the extraordinary ones."""
    out = []
    for ps in plan.sessions:
        month, day = plan_month(ps, calendar)
        out.append(SessionView(ps.number, False, month, day, rows.get(ps.number)))
    planned = {ps.number for ps in plan.sessions}
    for number in sorted(rows):
        if number not in planned:
            out.append(SessionView(number, True, None, None, rows[number]))
    return out


async def list_sessions(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar
) -> list[SessionView]:
    return views(plan, calendar, await session_rows(session, calendar.year))


async def get_view(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar, number: int
) -> SessionView | None:
    for view in await list_sessions(session, plan, calendar):
        if view.number == number:
            return view
    return None


# --- reading what was typed -------------------------------------------------------------------

_DAY = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_day(text: str, calendar: SchoolCalendar) -> date | None:
    """'26.11' (or 26.11.2026) as a date of the calendar's school year; None if unreadable."""
    m = _DAY.match(text)
    if m is None:
        return None
    day, month = int(m.group(1)), int(m.group(2))
    try:
        found = calendar.map_month_day(month, day)
    except ValueError:
        return None
    if m.group(3):
        year = int(m.group(3))
        year += 2000 if year < 100 else 0
        if year != found.year:
            return None
    return found


def parse_time(text: str) -> time | None:
    m = _TIME.match(text)
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def check_day(view: SessionView | None, day: date, calendar: SchoolCalendar, today: date) -> str:
    """'' if a session may be set on `day`, else the text key saying why not."""
    if day < today:
        return "ses_err_past"
    if view is not None and view.month is not None and day.month != view.month:
        return "ses_err_month"
    if not calendar.is_school_day(day):
        return "ses_err_not_school_day"
    return ""


def day_choices(
    view: SessionView | None, calendar: SchoolCalendar, today: date, limit: int = 12
) -> list[date]:
    """School days to offer as buttons: the rest of the session's month, or (extraordinary)
    the next school days."""
    if view is not None and view.month is not None:
        first, last = calendar.month_date_range(view.month)
        return [d for d in calendar.school_days(max(first, today), last)][:limit]
    lo, hi = calendar.span
    return [d for d in calendar.school_days(max(today, lo), hi)][:limit]


def plan_day(plan: Plan, calendar: SchoolCalendar, number: int) -> date | None:
    """The day the plan itself gives session №`number`: its date (moved to a working day), or
    for a session dated by month the month's default day (the last school Thursday); None for
    an extraordinary session or a month without school days."""
    if not any(s.number == number for s in plan.sessions):
        return None
    month, _ = plan_month(plan.session(number), calendar)
    if month is None:
        return None
    first, last = calendar.month_date_range(month)
    ref = f"council-{number}"
    for occ in occurrences(plan, calendar, first, last):
        if occ.ref == ref:
            return occ.due.astimezone(calendar.tz).date()
    return None


async def set_rsvp(
    session: AsyncSession, year: str, number: int, person_id: int, coming: bool, now: datetime
) -> bool:
    """Record a member's answer to the session's reminder (a later tap changes it). Returns
    whether anything changed."""
    row = (
        await session.exec(
            select(SessionRsvp).where(
                SessionRsvp.school_year == year,
                SessionRsvp.number == number,
                SessionRsvp.person_id == person_id,
            )
        )
    ).first()
    if row is not None and row.coming == coming:
        return False
    if row is None:
        row = SessionRsvp(
            school_year=year, number=number, person_id=person_id, coming=coming, at=now
        )
    row.coming, row.at = coming, now
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # the same tap from a second device, at the same moment
        await session.rollback()
        return False
    return True


async def rsvp_counts(session: AsyncSession, year: str, number: int) -> tuple[int, int]:
    """(coming, not coming) among the answers to session №`number`'s reminders."""
    rows = (
        await session.exec(
            select(SessionRsvp.coming).where(
                SessionRsvp.school_year == year, SessionRsvp.number == number
            )
        )
    ).all()
    return sum(1 for c in rows if c), sum(1 for c in rows if not c)


def at(calendar: SchoolCalendar, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=calendar.tz)


# --- setting the date -------------------------------------------------------------------------


async def set_date(
    session: AsyncSession,
    calendar: SchoolCalendar,
    *,
    number: int,
    when: datetime,
    place: str | None,
    actor: Person,
    now: datetime,
) -> CouncilSession:
    """Upsert the session's time and place (a place of None keeps the old one); audited.

    Moving a date only changes `scheduled_at`: the planner reminds for the new date under the
    same occurrence key, and what was already sent stays sent."""
    year = calendar.year
    row = (await session_rows(session, year)).get(number)
    before = row.scheduled_at.isoformat() if row and row.scheduled_at else None
    if row is None:
        row = CouncilSession(school_year=year, number=number, created_at=now)
        session.add(row)
    row.scheduled_at = when
    if place is not None:
        row.place = place
    row.set_by_person_id = actor.id
    await session.flush()
    await audit(
        session,
        actor=actor,
        action="session.set_date",
        target=f"council_session:{row.id}",
        now=now,
        number=number,
        school_year=year,
        before=before,
        after=when.isoformat(),
        place=row.place,
    )
    await session.commit()
    return row


# --- recording a session ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionInput:
    text: str
    owner_id: int | None = None
    deadline: datetime | None = None


def attendance_candidates(plan: Plan, people: Sequence[Person], number: int) -> list[Person]:
    """Council members (chair and members), then the session's reporters, by name."""
    active = [p for p in people if p.active and p.id is not None]
    chosen = {p.id: p for p in active if COUNCIL_ROLES & set(p.roles)}
    try:
        ps = plan.session(number)
    except KeyError:
        ps = None
    if ps is not None:
        resps: list[Responsible] = [ps.responsible, *(a.reporters for a in ps.agenda)]
        for resp in resps:
            for p in members_of(resp, plan, active):
                chosen.setdefault(p.id, p)
    members = sorted((p for p in chosen.values() if COUNCIL_ROLES & set(p.roles)),
                     key=lambda p: p.name)  # fmt: skip
    others = sorted((p for p in chosen.values() if not COUNCIL_ROLES & set(p.roles)),
                    key=lambda p: p.name)  # fmt: skip
    return members + others


def owner_candidates(people: Sequence[Person]) -> list[Person]:
    """Staff who can own a decision: active, not external, by name."""
    return sorted(
        (
            p
            for p in people
            if p.active
            and not p.vacancy
            and p.id is not None
            and set(p.roles) - {Role.EXTERNAL.value}
        ),
        key=lambda p: p.name,
    )


async def record(
    session: AsyncSession,
    calendar: SchoolCalendar,
    *,
    number: int,
    held_at: datetime,
    attended: Iterable[int],
    decisions: Sequence[DecisionInput],
    minutes: str | None,
    actor: Person,
    now: datetime,
    edit: bool = False,
) -> CouncilSession | None:
    """Record a session as held: attendance, decisions (tasks when owned and dated), minutes.

    Recording twice is refused (None) unless `edit`: an edit replaces the held date and the
    attendance, keeps the decisions already taken and adds the new ones, and replaces the
    minutes if new ones are given. Audited as ``session.record`` or ``session.edit``."""
    year = calendar.year
    row = (await session_rows(session, year)).get(number)
    if row is not None and row.held_at is not None and not edit:
        return None
    if row is None:
        row = CouncilSession(school_year=year, number=number, created_at=now)
        session.add(row)
    before = {
        "held_at": row.held_at.isoformat() if row.held_at else None,
        "attended": len(await attendance(session, row.id)) if row.id else 0,
    }
    row.held_at = held_at
    if minutes is not None:
        row.minutes = minutes
    await session.flush()
    assert row.id is not None
    await session.exec(
        delete(SessionAttendance).where(col(SessionAttendance.session_id) == row.id)
    )
    ids = sorted(set(attended))
    for pid in ids:
        session.add(SessionAttendance(session_id=row.id, person_id=pid))
    new_ids = []
    for d in decisions:
        decision = Decision(
            session_id=row.id,
            text=d.text,
            owner_person_id=d.owner_id,
            deadline=d.deadline,
            created_at=now,
        )
        session.add(decision)
        await session.flush()
        assert decision.id is not None
        if d.owner_id is not None and d.deadline is not None:
            decision.occurrence_key = decision_key(decision.id, year)
        new_ids.append(decision.id)
    await audit(
        session,
        actor=actor,
        action="session.edit" if edit else "session.record",
        target=f"council_session:{row.id}",
        now=now,
        number=number,
        school_year=year,
        held_at=held_at.isoformat(),
        attended=ids,
        decisions=new_ids,
        minutes=minutes is not None,
        before=before if edit else None,
    )
    await session.commit()
    return row


async def attendance(session: AsyncSession, session_id: int | None) -> list[int]:
    if session_id is None:
        return []
    rows = await session.exec(
        select(SessionAttendance.person_id).where(SessionAttendance.session_id == session_id)
    )
    return list(rows.all())


async def decisions_of(
    session: AsyncSession, session_id: int | None
) -> list[tuple[Decision, Person | None]]:
    if session_id is None:
        return []
    rows = (
        await session.exec(
            select(Decision).where(Decision.session_id == session_id).order_by(col(Decision.id))
        )
    ).all()
    out = []
    for d in rows:
        owner = await session.get(Person, d.owner_person_id) if d.owner_person_id else None
        out.append((d, owner))
    return out


# --- extraordinary sessions -------------------------------------------------------------------


def agenda_key(year: str, number: int) -> str:
    return f"session-agenda:{year}:{number}"


async def call_extraordinary(
    session: AsyncSession,
    calendar: SchoolCalendar,
    *,
    when: datetime,
    place: str | None,
    agenda: str,
    actor: Person,
    now: datetime,
) -> CouncilSession:
    """A new extraordinary session: the next free number from 11; its agenda in ``kv``."""
    year = calendar.year
    for _ in range(5):
        rows = await session_rows(session, year)
        number = max([FIRST_EXTRAORDINARY - 1, *rows]) + 1
        row = CouncilSession(
            school_year=year,
            number=number,
            extraordinary=True,
            scheduled_at=when,
            place=place,
            set_by_person_id=actor.id,
            created_at=now,
        )
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:  # another chair took the number at the same moment
            await session.rollback()
            continue
        session.add(KeyValue(key=agenda_key(year, number), value=agenda, updated_at=now))
        await audit(
            session,
            actor=actor,
            action="session.call",
            target=f"council_session:{row.id}",
            now=now,
            number=number,
            school_year=year,
            scheduled_at=when.isoformat(),
            place=place,
        )
        await session.commit()
        return row
    raise RuntimeError("could not find a free session number")


async def extraordinary_agendas(session: AsyncSession, year: str) -> dict[int, str]:
    """Hook for reminder texts: {session number: agenda text} of the year's extraordinary
    sessions (the plan's sessions have their agenda in the plan)."""
    prefix = agenda_key(year, 0)[:-1]
    rows = (await session.exec(select(KeyValue).where(has_prefix(KeyValue.key, prefix)))).all()
    out = {}
    for row in rows:
        tail = row.key.removeprefix(prefix)
        if tail.isdigit():
            out[int(tail)] = row.value
    return out


async def council_chats(session: AsyncSession) -> list[tuple[Person, Account]]:
    """Council members (chair, members) with a reachable account: whom to tell of a session."""
    rows = (
        await session.exec(
            select(Person, Account).join(Account, col(Account.person_id) == col(Person.id))
        )
    ).all()
    return [
        (p, a)
        for p, a in rows
        if p.active
        and COUNCIL_ROLES & set(p.roles)
        and a.state is AccountState.JOINED
        and a.unreachable_since is None
    ]
