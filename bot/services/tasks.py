"""Tasks at work: reports recorded once, the occurrences the database knows, open work, and
what a reminder says.

* `record` stores a tap: a `report_event` under an idempotency key (``INSERT … ON CONFLICT DO
  NOTHING``), and only if that row is new, the person's `report` is upserted. Double taps, two
  devices and retries give one record.
* `ensure_occurrence` materialises an `occurrence` row by key the first time one is needed.
* `load_overrides` reads what the council sessions add to the plan: set dates and places, held
  sessions (closed), decisions with an owner and a deadline (tasks with reminders).
* `render_*` are pure: the texts of reminders, the digest and the overdue summary. Every plan
  and user text is escaped with `aiogram.html.quote`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.hosts import guests_of
from bot.core.plan import Plan
from bot.core.plan_lang import localize
from bot.core.schedule import DEFAULT_POLICY, Occurrence, ReminderPolicy, occurrences
from bot.escape import quote
from bot.names import ref_text
from bot.scheduler.planner import (
    FINISHED,
    Escalation,
    Intent,
    ReportView,
    Roster,
    extra_occurrence,
    next_allowed,
)
from bot.services.students import CouncilCase, student_occurrences
from bot.texts import t, tp
from db.dialect import insert_ignore
from db.models import (
    Account,
    CouncilSession,
    Decision,
    OccurrenceStatus,
    Person,
    Report,
    ReportEvent,
    ReportStatus,
)
from db.models import Occurrence as OccurrenceRow

# --- what the sessions add to the plan --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overrides:
    session_times: Mapping[int, datetime] = field(default_factory=dict)
    session_places: Mapping[int, str] = field(default_factory=dict)
    closed: frozenset[str] = frozenset()
    extra: tuple[Occurrence, ...] = ()

    @property
    def fingerprint(self) -> tuple[object, ...]:
        return (
            tuple(sorted(self.session_times.items())),
            tuple(o.key for o in self.extra),
            tuple(o.due for o in self.extra),
        )


def session_key(number: int, school_year: str) -> str:
    return f"council-{number}@{school_year}"


def decision_key(decision_id: int, school_year: str) -> str:
    return f"decision-{decision_id}@{school_year}"


async def load_overrides(
    session: AsyncSession, calendar: SchoolCalendar, policy: ReminderPolicy = DEFAULT_POLICY
) -> Overrides:
    """Set session dates (`council_session.scheduled_at`), held sessions, closed occurrences,
    and decisions with an owner and a deadline, for the calendar's school year."""
    year = calendar.year
    rows = (
        await session.exec(select(CouncilSession).where(CouncilSession.school_year == year))
    ).all()
    times: dict[int, datetime] = {}
    places: dict[int, str] = {}
    closed: set[str] = set()
    extra: list[Occurrence] = []
    by_id = {r.id: r for r in rows}
    for row in rows:
        if row.scheduled_at is not None:
            times[row.number] = row.scheduled_at
        if row.place:
            places[row.number] = row.place
        if row.held_at is not None:
            closed.add(session_key(row.number, year))
        if row.extraordinary and row.scheduled_at is not None:
            extra.append(
                extra_occurrence(
                    key=session_key(row.number, year),
                    ref=f"council-{row.number}",
                    title=f"Кеңес отырысы №{row.number}",
                    kind="session",
                    window_start=row.created_at,
                    due=row.scheduled_at,
                    people=(),
                    names=(),
                    calendar=calendar,
                    policy=policy,
                )
            )
    if by_id:
        found = (
            await session.exec(
                select(Decision, Person)
                .outerjoin(Person, col(Person.id) == col(Decision.owner_person_id))
                .where(
                    col(Decision.session_id).in_(list(by_id)),
                    col(Decision.deadline).is_not(None),
                )
            )
        ).all()
        role_holders: dict[str, list[Person]] = {}
        if any(d.owner_role and owner is None for d, owner in found):
            for p in (await session.exec(select(Person).where(col(Person.active)))).all():
                for role in p.roles:
                    role_holders.setdefault(role, []).append(p)
        for decision, owner in found:
            assert decision.id is not None and decision.deadline is not None
            if owner is not None:
                owners = [owner]
            elif (
                decision.owner_role
            ):  # a role answers: everyone who has it (bot.services.recording)
                owners = sorted(role_holders.get(decision.owner_role, []), key=lambda p: p.name)
            else:
                continue
            held = by_id[decision.session_id]
            extra.append(
                extra_occurrence(
                    key=decision.occurrence_key or decision_key(decision.id, year),
                    ref=f"decision-{decision.id}",
                    title=decision.text,
                    kind="decision",
                    window_start=held.held_at or decision.created_at,
                    due=decision.deadline,
                    people=tuple(p.key for p in owners),
                    names=tuple(p.name for p in owners),
                    calendar=calendar,
                    policy=policy,
                )
            )
    shut = (
        await session.exec(
            select(OccurrenceRow.key).where(
                OccurrenceRow.school_year == year,
                col(OccurrenceRow.status).in_(
                    [OccurrenceStatus.CLOSED, OccurrenceStatus.CANCELLED]
                ),
            )
        )
    ).all()
    closed.update(shut)
    # The per-student work of 3.1/3.2: analyses of registered students (bot.services.students).
    lo, hi = calendar.span
    extra += await student_occurrences(
        session,
        calendar,
        datetime.combine(lo, time.min, calendar.tz),
        datetime.combine(hi, time.max, calendar.tz),
        policy=policy,
    )
    return Overrides(times, places, frozenset(closed), tuple(extra))


# One cache per calendar (one per school: many schools in one process neither share nor evict
# one another's entries), gone with its calendar. Values keep the plan they were computed for:
# a key holds its id, and an id may be reused by a new object once the old one is gone
# (reassignments make new plans).
_Entries = dict[tuple[object, ...], tuple[Plan, list[Occurrence]]]
_CACHE: dict[int, tuple[weakref.ref[SchoolCalendar], _Entries]] = {}
_PER_CALENDAR = 16


def _entries(calendar: SchoolCalendar) -> _Entries:
    key = id(calendar)
    found = _CACHE.get(key)
    if found is not None and found[0]() is calendar:
        return found[1]

    def gone(ref: weakref.ref[SchoolCalendar]) -> None:
        if key in _CACHE and _CACHE[key][0] is ref:
            del _CACHE[key]

    entries: _Entries = {}
    _CACHE[key] = (weakref.ref(calendar, gone), entries)
    return entries


def occurrences_around(
    plan: Plan,
    calendar: SchoolCalendar,
    overrides: Overrides,
    today: date,
    *,
    back: timedelta = timedelta(days=15),
    ahead: timedelta = timedelta(days=45),
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[Occurrence]:
    """The plan's occurrences due from `today - back` to `today + ahead`, plus the extra ones,
    sorted by due. Cached per day and overrides (a tick each minute computes once a day)."""
    cache = _entries(calendar)
    cache_key = (id(plan), today, back, ahead, policy, overrides.fingerprint)
    entry = cache.get(cache_key)
    found = entry[1] if entry is not None and entry[0] is plan else None
    if found is None:
        start, end = today - back, today + ahead
        lo, hi = calendar.span
        # Past the calendar's year (August, next year's file not read yet): nothing to plan.
        found = (
            occurrences(
                plan, calendar, max(start, lo), min(end, hi), policy, overrides.session_times
            )
            if max(start, lo) <= min(end, hi)
            else []
        )
        found += [o for o in overrides.extra if start <= o.due.date() <= end]
        found.sort(key=lambda o: o.due)
        if len(cache) >= _PER_CALENDAR:
            cache.clear()
        cache[cache_key] = (plan, found)
    return found


def find_occurrence(
    plan: Plan, calendar: SchoolCalendar, overrides: Overrides, key: str, today: date
) -> Occurrence | None:
    for occ in overrides.extra:  # decisions and analyses, however far their deadline
        if occ.key == key:
            return occ
    for occ in occurrences_around(plan, calendar, overrides, today):
        if occ.key == key:
            return occ
    return None


# --- the database side ------------------------------------------------------------------------


async def ensure_occurrence(
    session: AsyncSession, occ: Occurrence, school_year: str
) -> OccurrenceRow:
    await insert_ignore(
        session,
        OccurrenceRow,
        {
            "key": occ.key,
            "ref": occ.ref,
            "school_year": school_year,
            "window_start": occ.window_start,
            "due": occ.due,
            "title": occ.title,
            "status": OccurrenceStatus.OPEN,
            "created_at": occ.window_start,
        },
        key=["key"],
    )
    row = (await session.exec(select(OccurrenceRow).where(OccurrenceRow.key == occ.key))).one()
    return row


@dataclass(frozen=True, slots=True)
class Recorded:
    new: bool  # False: the same tap was recorded before
    report: Report | None


async def record(
    session: AsyncSession,
    *,
    occurrence: OccurrenceRow,
    person_id: int,
    status: ReportStatus,
    now: datetime,
    idempotency_key: str,
    text: str | None = None,
    snoozed_until: datetime | None = None,
) -> Recorded:
    """Record one report; commits. A comment keeps the current status (done stays done)."""
    assert occurrence.id is not None
    inserted = await insert_ignore(
        session,
        ReportEvent,
        {
            "occurrence_id": occurrence.id,
            "person_id": person_id,
            "status": status,
            "text": text,
            "at": now,
            "idempotency_key": idempotency_key,
        },
        key=["idempotency_key"],
    )
    mine = select(Report).where(
        Report.occurrence_id == occurrence.id, Report.person_id == person_id
    )
    if not inserted:
        report = (await session.exec(mine)).first()
        await session.commit()
        return Recorded(False, report)
    # The person's report row, made insert-or-ignore: two taps at once (Done, then Snooze) on
    # PostgreSQL would otherwise both find none and both insert; the second now waits for the
    # first and updates its row, as SQLite's single writer does anyway.
    await insert_ignore(
        session,
        Report,
        {
            "occurrence_id": occurrence.id,
            "person_id": person_id,
            "status": status,
            "created_at": now,
            "updated_at": now,
        },
        key=["occurrence_id", "person_id"],
    )
    report = (await session.exec(mine.execution_options(populate_existing=True))).one()
    report.updated_at = now
    if status is not ReportStatus.COMMENT:  # a comment lives in the history only
        report.status = status
        report.snoozed_until = snoozed_until if status is ReportStatus.SNOOZED else None
        report.reason = text if status is ReportStatus.CANT else None
    await session.commit()
    return Recorded(True, report)


async def done_key(session: AsyncSession, occurrence: OccurrenceRow, person_id: int) -> str:
    """The idempotency key of a person's "done" on an occurrence: the same for every tap of one
    round (a double tap records once), a new one after each Undo (`undo_done`)."""
    from sqlalchemy import func

    undone = (
        await session.exec(
            select(func.count())
            .select_from(ReportEvent)
            .where(
                ReportEvent.occurrence_id == occurrence.id,
                ReportEvent.person_id == person_id,
                ReportEvent.status == ReportStatus.UNDONE,
            )
        )
    ).one()
    base = f"done|{occurrence.key}|{person_id}"
    return f"{base}|r{undone}" if undone else base


async def undo_done(
    session: AsyncSession,
    *,
    occurrence: OccurrenceRow,
    person_id: int,
    now: datetime,
    idempotency_key: str,
) -> bool:
    """Take a "done" back: the report becomes *undone* (open, reminded again). False if the
    report is not "done" (nothing to take back)."""
    report = (
        await session.exec(
            select(Report).where(
                Report.occurrence_id == occurrence.id, Report.person_id == person_id
            )
        )
    ).first()
    if report is None or report.status is not ReportStatus.DONE:
        return False
    recorded = await record(
        session, occurrence=occurrence, person_id=person_id, status=ReportStatus.UNDONE,
        now=now, idempotency_key=idempotency_key,
    )  # fmt: skip
    return recorded.new


async def reports_for(
    session: AsyncSession, keys: Iterable[str]
) -> dict[tuple[str, int], ReportView]:
    wanted = list(set(keys))
    out: dict[tuple[str, int], ReportView] = {}
    for i in range(0, len(wanted), 500):
        rows = (
            await session.exec(
                select(OccurrenceRow.key, Report)
                .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
                .where(col(OccurrenceRow.key).in_(wanted[i : i + 500]))
            )
        ).all()
        for key, report in rows:
            out[(key, report.person_id)] = ReportView(report.status, report.snoozed_until)
    return out


async def report_texts(
    session: AsyncSession, occ_key: str
) -> dict[int, Report]:  # person id -> report
    rows = (
        await session.exec(
            select(Report)
            .join(OccurrenceRow, col(Report.occurrence_id) == col(OccurrenceRow.id))
            .where(OccurrenceRow.key == occ_key)
        )
    ).all()
    return {r.person_id: r for r in rows}


async def load_roster(session: AsyncSession, plan: Plan) -> Roster:
    # Ordered: rows come in no promised order without ORDER BY (PostgreSQL shows it).
    people = (await session.exec(select(Person).order_by(col(Person.id)))).all()
    accounts = (await session.exec(select(Account).order_by(col(Account.id)))).all()
    return Roster(plan, people, accounts)


def progress(
    occ: Occurrence, roster: Roster, reports: Mapping[tuple[str, int], ReportView]
) -> tuple[int, int]:
    """(done, total) among the people responsible."""
    who = roster.responsible(occ)
    done = sum(
        1
        for pid in who
        if (r := reports.get((occ.key, pid))) is not None and r.status is ReportStatus.DONE
    )
    return done, len(who)


def open_work(
    occs: Sequence[Occurrence],
    roster: Roster,
    reports: Mapping[tuple[str, int], ReportView],
    person_id: int,
    now: datetime,
    *,
    until: datetime,
    closed: Iterable[str] = (),
    overdue_horizon: timedelta = timedelta(days=14),
) -> list[Occurrence]:
    """A person's open tasks, soonest first: window opened by `until`, not finished, deadline
    not older than the horizon (a daily item only on its day)."""
    shut = set(closed)
    out = []
    for occ in occs:
        if occ.kind != "task" or occ.key in shut or occ.window_start > until:
            continue
        if occ.due < now - overdue_horizon or (occ.rule == "daily" and occ.due < now):
            continue
        if person_id not in roster.responsible(occ):
            continue
        report = reports.get((occ.key, person_id))
        if report is not None and report.status in FINISHED:
            continue
        out.append(occ)
    out.sort(key=lambda o: (o.due, o.key))
    return out


def snooze_until(
    choice: str, now: datetime, calendar: SchoolCalendar, policy: ReminderPolicy = DEFAULT_POLICY
) -> datetime:
    """1 hour, tomorrow morning, next Monday morning; never into quiet hours or days off."""
    local = now.astimezone(calendar.tz)
    if choice == "hour":
        return next_allowed(local + timedelta(hours=1), calendar, policy)
    if choice == "tomorrow":
        day = local.date() + timedelta(days=1)
    else:
        day = local.date() + timedelta(days=7 - local.weekday())
    start = datetime.combine(day, policy.morning_time, tzinfo=calendar.tz)
    return next_allowed(start, calendar, policy)


# --- what a reminder says ---------------------------------------------------------------------


def fmt_when(lang: str, local: datetime, *, clock: bool = True) -> str:
    """'19 қараша, бейсенбі, 15:00' / '19 ноября, четверг, 15:00' (in `local`'s zone)."""
    values = {
        "day": local.day,
        "month": t(lang, f"month_gen_{local.month}"),
        "weekday": t(lang, f"weekday_{local.weekday()}"),
    }
    if clock:
        return t(lang, "when_full", time=local.strftime("%H:%M"), **values)
    return t(lang, "when_date", **values)


def what(lang: str, occ: Occurrence) -> str:
    """What a task is, in one line (HTML): "1.4. Title", a session by its title, a decision
    as "Решение совета: …" — never an internal key ("council-4", "decision-2")."""
    if occ.kind == "session":
        return quote(occ.title)
    if occ.rule == "decision":
        return t(lang, "what_decision", title=quote(occ.title))
    return t(lang, "what_item", ref=quote(occ.ref), title=quote(occ.title))


def named(lang: str, occ: Occurrence, plan: Plan | None) -> tuple[str, str]:
    """How a screen names an item (plain text: the caller escapes it): its number as a user
    reads it ("1.4"; a session "№3 отырыс"; a decision "Шешім") - never a key - and its title
    in the reader's language (`plan`: any plan with its titles; None: as it stands)."""
    if plan is not None:
        occ = localize(occ, plan, lang)
    if occ.rule == "decision":
        return t(lang, "ref_decision"), occ.title
    return ref_text(occ.ref, lang), occ.title


@dataclass(frozen=True, slots=True)
class TaskState:
    status: ReportStatus | None = None
    snoozed_until: datetime | None = None
    reason: str | None = None
    comment: str | None = None


def render_task(
    lang: str,
    occ: Occurrence,
    *,
    person_id: int,
    roster: Roster,
    done: tuple[int, int] | None = None,
    kind: str = "",
    late: bool = False,
    state: TaskState | None = None,
) -> str:
    """A task reminder (or its edited form after a tap): the item, the deadline, who else."""
    occ = localize(occ, roster.plan, lang)
    values = {"what": what(lang, occ), "due": fmt_when(lang, occ.due)}
    if kind == "overdue":
        head = "task_overdue"
    elif kind.startswith("snooze-"):
        head = "task_snoozed_reminder"
    else:
        head = "task_reminder"
    lines = [t(lang, head, **values)]
    if occ.checklist:
        lines.append(t(lang, "task_checklist"))
        lines += [f"• {quote(c)}" for c in occ.checklist]
    me = roster.by_id.get(person_id)
    others = [n for n in occ.responsible_names if me is None or n != me.name]
    if others:
        lines.append(t(lang, "task_shared", names=quote(", ".join(others))))
    if occ.guests:  # the item names only people from outside: the host invites them
        guests = guests_of(roster.plan, occ.ref, lang) or occ.guests
        lines.append(t(lang, "task_guests", names=quote(", ".join(guests))))
    if done is not None and done[1] > 1:
        lines.append(t(lang, "task_progress", done=done[0], total=done[1]))
    if state is not None and state.status is not None:
        lines.append("")
        if state.status is ReportStatus.DONE:
            lines.append(t(lang, "task_state_done"))
        elif state.status is ReportStatus.SNOOZED and state.snoozed_until is not None:
            until = state.snoozed_until.astimezone(occ.due.tzinfo)
            lines.append(t(lang, "task_state_snoozed", when=fmt_when(lang, until)))
        elif state.status is ReportStatus.CANT:
            lines.append(t(lang, "task_state_cant", reason=quote(state.reason or "—")))
        if state.comment:
            lines.append(t(lang, "task_state_comment", text=quote(state.comment)))
    if late:
        lines += ["", t(lang, "task_late")]
    return "\n".join(lines)


_SESSION_WHEN = {
    "week_before": "session_in_week",
    "day_before": "session_tomorrow",
    "morning_of": "session_today",
}


def render_session(
    lang: str,
    intent: Intent,
    place: str | None = None,
    cases: Sequence[CouncilCase] = (),
    plan: Plan | None = None,
) -> str:
    occ = intent.occurrence
    assert occ is not None
    if plan is not None:
        occ = localize(occ, plan, lang)
        points = {line.number for line in intent.points}
        intent = replace(intent, points=tuple(a for a in occ.agenda if a.number in points))
    number = occ.ref.removeprefix("council-")
    if intent.kind == "set_date":
        text = t(
            lang, "session_set_date", number=number, date=fmt_when(lang, occ.due, clock=False)
        )
        return text
    if intent.kind.startswith("set_date_"):  # asked again, 7 and 3 days before the day
        days = intent.kind.removeprefix("set_date_")
        return t(
            lang,
            "session_set_date_again",
            number=number,
            date=fmt_when(lang, occ.due, clock=False),
            days=tp(lang, "n_days", int(days)) if days.isdigit() else days,
        )
    head = t(
        lang,
        "session_reminder",
        number=number,
        when=t(lang, _SESSION_WHEN.get(intent.kind, "session_soon")),
        date=fmt_when(lang, occ.due),
    )
    if len(intent.points) == 1:
        head += t(lang, "session_your_point", title=quote(intent.points[0].title))
    elif intent.points:
        titles = ", ".join(f"«{quote(p.title)}»" for p in intent.points)
        head += t(lang, "session_your_points", titles=titles)
    lines = [head]
    if place:
        lines.append(t(lang, "session_place", place=quote(place)))
    if occ.agenda:
        lines += ["", t(lang, "session_agenda")]
        for line in occ.agenda:
            reporters = quote(", ".join(line.reporters))
            text = f"{line.number}. {quote(line.title)}" + (f" — {reporters}" * bool(reporters))
            if line.guests:
                names = guests_of(plan, f"{occ.ref}.{line.number}", lang) if plan else ()
                text += t(lang, "session_guests", names=quote(", ".join(names or line.guests)))
            lines.append(text)
    if cases and not intent.kind.startswith("set_date"):
        lines += ["", t(lang, "session_cases")]
        for case in cases:
            notes = ", ".join(f"#{n}" for n in case.incident_ids)
            lines.append(
                t(lang, "session_case", klass=quote(case.class_name))
                + (t(lang, "session_case_notes", notes=notes) if notes else "")
            )
    if intent.late:
        lines += ["", t(lang, "task_late")]
    return "\n".join(lines)


def render_record_prompt(lang: str, number: str, held: datetime) -> str:
    """To the secretary (or chair), an hour after a session: record it."""
    return t(lang, "rec_prompt", number=number, date=fmt_when(lang, held))


def render_digest(
    lang: str, items: Sequence[Occurrence], now: datetime, plan: Plan | None = None
) -> str:
    lines = [t(lang, "digest_head", tasks=tp(lang, "n_tasks", len(items)))]
    for occ in items:
        occ = localize(occ, plan, lang) if plan is not None else occ
        key = "digest_overdue_line" if occ.due < now else "digest_line"
        lines.append(t(lang, key, due=fmt_when(lang, occ.due), what=what(lang, occ)))
    lines += ["", t(lang, "digest_foot")]
    return "\n".join(lines)


def render_summary(
    lang: str,
    escalations: Sequence[Escalation],
    roster: Roster,
    reasons: Mapping[tuple[str, int], str] | None = None,
) -> str:
    reasons = reasons or {}
    lines = [t(lang, "summary_head", tasks=tp(lang, "n_tasks", len(escalations)))]
    for esc in escalations:
        occ = localize(esc.occurrence, roster.plan, lang)
        names = []
        for pid in esc.not_done:
            person = roster.by_id.get(pid)
            name = quote(person.name if person else f"#{pid}")
            reason = reasons.get((occ.key, pid))
            names.append(
                t(lang, "summary_cant", name=name, reason=quote(reason)) if reason else name
            )
        lines.append(
            t(
                lang,
                "summary_line",
                what=what(lang, occ),
                due=fmt_when(lang, occ.due),
                names=", ".join(names),
            )
        )
    return "\n".join(lines)
