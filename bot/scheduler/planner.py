"""Which reminders are due now: a pure function of the plan's occurrences, the people, their
reports and the time. No Telegram, no database, no clock.

`plan_reminders(...)` returns `Intent`s, each under a dedup key ``{occurrence}|{person}|{kind}``
(the outbox stores each key once, so a reminder goes out once however often the tick runs, after
a restart, from two ticks at once or two processes). The tick enqueues them.

The rules:

* **Latest passed moment.** For each occurrence and person only the latest reminder moment that
  has passed is offered. A reminder superseded by a later one while the bot was down is never
  sent; the later one goes out, marked late. A session already past gets nothing.
* **Quiet hours and non-working days**: nothing is offered then; the reminder waits for the next
  working morning (and is marked late).
* **Reports**: done or can't stop a person's reminders; a snooze replaces the reminders before
  its moment with one at the moment (kind ``snooze-YYYYmmddHHMM``).
* **Overdue**: one reminder (kind ``overdue``) the first working morning after the deadline, for
  deadlines at most `overdue_horizon` ago (daily items excepted); then, a day later, the
  occurrence is offered for escalation (`Due.escalations`); the tick claims each once.
* **Sessions**: a session dated by month only reminds the chair to set the date (``set_date``)
  and nobody else until the date is set. Council members, the session's people and the agenda's
  reporters get the lead reminders; each reporter with their own points.
* **Digest**: the first working day of each ISO week, from `digest_time`, one message per person
  with open work this week or overdue (key ``digest@2026-W48|{person}|digest``).
* **Routine duties** (`bot.core.routine`): a ``silent`` occurrence is never reminded (nor
  overdue, nor escalated); a ``weekly_checkin`` one gets no card of its own: on the week's last
  school day, from `checkin_time`, each person gets one check-in per item for the week's days
  they have not answered (key ``1.8@checkin-2026-W48|{person}|checkin``), until the end of the
  next working day (not across a break).
* **Fair first contact**: a person is asked only about work due after they joined (their
  account's `joined_at`); what was due before is not theirs to answer (the admin sees it in
  /plan), and a reminder whose moment came before they joined is not "late".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan, Responsible
from bot.core.roles import Role
from bot.core.routine import SILENT, WEEKLY_CHECKIN
from bot.core.schedule import (
    DEFAULT_POLICY,
    AgendaLine,
    Occurrence,
    ReminderMoment,
    ReminderPolicy,
    place_reminder,
)
from bot.services.staff import members_of
from db.models import Account, AccountState, Person, ReportStatus

SESSION_MEMBER_ROLES = frozenset({Role.CHAIR.value, Role.COUNCIL_MEMBER.value})
ESCALATE_TO_ROLES = frozenset({Role.CHAIR.value, Role.DEPUTY_DIRECTOR.value})
FINISHED = frozenset({ReportStatus.DONE, ReportStatus.CANT})


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    late_after: timedelta = timedelta(minutes=10)  # a reminder sent later than this is "late"
    overdue_horizon: timedelta = timedelta(days=14)  # older deadlines: no overdue, no escalation
    escalate_after: timedelta = timedelta(days=1)  # after the overdue reminder
    summary_time: time = time(9, 0)  # the daily overdue summary, on working days
    digest_time: time = time(8, 30)  # the weekly digest, on the week's first working day
    no_overdue_rules: frozenset[str] = frozenset({"daily", "weekly"})  # next one supersedes
    lookahead: timedelta = timedelta(days=45)  # occurrences the tick needs: due up to this far
    record_after: timedelta = timedelta(hours=1)  # "Record session №N" to the secretary
    record_horizon: timedelta = timedelta(days=7)  # not for sessions older than this
    checkin_time: time = time(14, 0)  # a routine duty's weekly check-in, the week's last day


DEFAULT_CONFIG = PlannerConfig()


@dataclass(frozen=True, slots=True)
class ReportView:
    status: ReportStatus
    snoozed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """One message to enqueue."""

    dedup_key: str
    kind: str  # the reminder's kind, "snooze-…", "overdue", "set_date", "digest"
    person_id: int
    chat_id: int
    lang: str
    at: datetime  # the moment it was meant for
    late: bool
    occurrence: Occurrence | None = None
    points: tuple[AgendaLine, ...] = ()  # a session: the recipient's own agenda points
    items: tuple[Occurrence, ...] = ()  # a digest: the week's open work; a check-in: its days


@dataclass(frozen=True, slots=True)
class Escalation:
    occurrence: Occurrence
    not_done: tuple[int, ...]  # person ids: no report, snoozed, or can't


@dataclass(slots=True)
class Due:
    """What `plan_reminders` found due."""

    intents: list[Intent] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    summary_to: tuple[tuple[int, int, str], ...] = ()  # (person id, chat id, lang)


class Roster:
    """The active people and their reachable accounts; who answers for what, cached."""

    def __init__(self, plan: Plan, people: Sequence[Person], accounts: Iterable[Account]) -> None:
        self.plan = plan
        self.people = [p for p in people if p.active]
        self.by_id = {p.id: p for p in self.people if p.id is not None}
        self.by_key = {p.key: p for p in self.people}
        self.chats: dict[int, tuple[int, str]] = {}
        self.joined: dict[int, datetime] = {}  # when each person with an account joined
        for a in accounts:
            self.joined[a.person_id] = a.joined_at
            if a.state is AccountState.JOINED and a.unreachable_since is None:
                self.chats[a.person_id] = (a.chat_id, str(a.language))
        self._members: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[int, ...]] = {}
        self.council = tuple(
            p.id for p in self.people if p.id is not None and SESSION_MEMBER_ROLES & set(p.roles)
        )
        self.escalate_to = tuple(
            p.id for p in self.people if p.id is not None and ESCALATE_TO_ROLES & set(p.roles)
        )
        # Who records a held session: the secretary, or the chair when there is none.
        self.recorders = tuple(
            p.id for p in self.people if p.id is not None and Role.SECRETARY.value in p.roles
        ) or tuple(p.id for p in self.people if p.id is not None and Role.CHAIR.value in p.roles)

    def members(self, people: tuple[str, ...], groups: tuple[str, ...]) -> tuple[int, ...]:
        """Person ids answering for these plan people and groups (all, reachable or not)."""
        got = self._members.get((people, groups))
        if got is None:
            resp = Responsible(people=people, groups=groups)
            got = tuple(p.id for p in members_of(resp, self.plan, self.people) if p.id)
            self._members[(people, groups)] = got
        return got

    def responsible(self, occ: Occurrence) -> tuple[int, ...]:
        return self.members(occ.people, occ.groups)

    def session_recipients(self, occ: Occurrence) -> dict[int, tuple[AgendaLine, ...]]:
        """Everyone a session reminder goes to, with their own agenda points."""
        out: dict[int, list[AgendaLine]] = {pid: [] for pid in self.council}
        for pid in self.responsible(occ):
            out.setdefault(pid, [])
        for line in occ.agenda:
            for pid in self.members(line.people, line.groups):
                out.setdefault(pid, []).append(line)
        return {pid: tuple(lines) for pid, lines in out.items()}

    def joined_by(self, pid: int, moment: datetime) -> bool:
        """Whether the person had joined by `moment` (no account: not yet)."""
        joined = self.joined.get(pid)
        return joined is not None and joined <= moment

    def keys_to_ids(self, keys: Iterable[str]) -> tuple[int, ...]:
        return tuple(
            p.id for k in keys if (p := self.by_key.get(k)) is not None and p.id is not None
        )


class _Emit(Protocol):
    """The shape of `emit` in `plan_reminders`, for the helpers' signatures."""

    def __call__(
        self,
        occ_key: str,
        pid: int,
        kind: str,
        at: datetime,
        occ: Occurrence | None,
        points: tuple[AgendaLine, ...] = (),
        items: tuple[Occurrence, ...] = (),
    ) -> None: ...


def sending_allowed(now: datetime, calendar: SchoolCalendar, policy: ReminderPolicy) -> bool:
    """A working day, outside the quiet hours."""
    local = now.astimezone(calendar.tz)
    t = local.time()
    return calendar.is_working_day(local.date()) and policy.quiet_end <= t < policy.quiet_start


def next_allowed(
    at: datetime, calendar: SchoolCalendar, policy: ReminderPolicy = DEFAULT_POLICY
) -> datetime:
    """`at` if sending is allowed then, else the next working day's morning time."""
    local = at.astimezone(calendar.tz)
    if sending_allowed(local, calendar, policy):
        return local
    d = local.date()
    if calendar.is_working_day(d) and local.time() < policy.quiet_end:
        return datetime.combine(d, policy.morning_time, tzinfo=calendar.tz)
    for _ in range(400):
        d += timedelta(days=1)
        if calendar.is_working_day(d):
            return datetime.combine(d, policy.morning_time, tzinfo=calendar.tz)
    return local  # past the calendar's end: no working day known


def overdue_at(occ: Occurrence, calendar: SchoolCalendar, policy: ReminderPolicy) -> datetime:
    """The first working morning after the deadline."""
    d = occ.due.astimezone(calendar.tz).date() + timedelta(days=1)
    return next_allowed(datetime.combine(d, time(0, 0), tzinfo=calendar.tz), calendar, policy)


def week_start(d: date, calendar: SchoolCalendar) -> date | None:
    """The first working day of `d`'s ISO week."""
    monday = d - timedelta(days=d.weekday())
    for i in range(7):
        day = monday + timedelta(days=i)
        if calendar.is_working_day(day):
            return day
    return None


def dedup_key(occurrence_key: str, person_id: int, kind: str) -> str:
    return f"{occurrence_key}|{person_id}|{kind}"


def snooze_kind(until: datetime) -> str:
    return "snooze-" + until.astimezone(UTC).strftime("%Y%m%d%H%M")


def plan_reminders(
    occurrences: Sequence[Occurrence],
    roster: Roster,
    reports: Mapping[tuple[str, int], ReportView],
    now: datetime,
    calendar: SchoolCalendar,
    policy: ReminderPolicy = DEFAULT_POLICY,
    closed: Iterable[str] = (),
    config: PlannerConfig = DEFAULT_CONFIG,
) -> Due:
    """Everything due at `now` (aware). `closed`: occurrence keys closed, cancelled or held."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    now = now.astimezone(calendar.tz)
    out = Due()
    if not sending_allowed(now, calendar, policy):
        return out
    shut = set(closed)
    horizon = now - config.overdue_horizon

    def emit(
        occ_key: str,
        pid: int,
        kind: str,
        at: datetime,
        occ: Occurrence | None,
        points: tuple[AgendaLine, ...] = (),
        items: tuple[Occurrence, ...] = (),
    ) -> None:
        chat = roster.chats.get(pid)
        if chat is None:
            return
        joined = roster.joined.get(pid)
        missed = now - at > config.late_after and (joined is None or at >= joined)
        out.intents.append(
            Intent(
                dedup_key=dedup_key(occ_key, pid, kind),
                kind=kind,
                person_id=pid,
                chat_id=chat[0],
                lang=chat[1],
                at=at,
                late=missed,
                occurrence=occ,
                points=points,
                items=items,
            )
        )

    checkins: list[Occurrence] = []
    for occ in occurrences:
        if occ.key in shut:
            continue
        if occ.kind == "session":
            _session(occ, roster, now, emit, config)
            continue
        if occ.due < horizon:
            continue
        if not occ.reminders or occ.routine == SILENT:
            continue  # not reminded (1.6: the sessions remind for themselves): no overdue either
        if occ.routine == WEEKLY_CHECKIN:
            checkins.append(occ)  # asked once for the week, below
            continue
        overdue = (
            overdue_at(occ, calendar, policy) if occ.rule not in config.no_overdue_rules else None
        )
        not_done: list[int] = []
        for pid in roster.responsible(occ):
            joined = roster.joined.get(pid)
            if joined is not None and occ.due < joined:
                continue  # due before they joined: not theirs to answer
            report = reports.get((occ.key, pid))
            if report is None or report.status is not ReportStatus.DONE:
                not_done.append(pid)  # "can't" is not done: the summary shows it, with why
            if report is not None and report.status in FINISHED:
                continue
            moments: list[tuple[datetime, str]] = [
                (r.at, r.kind) for r in occ.reminders if r.at <= now and not r.to
            ]
            if overdue is not None and overdue <= now:
                moments.append((overdue, "overdue"))
            if report is not None and report.status is ReportStatus.SNOOZED:
                until = report.snoozed_until
                if until is not None:
                    moments = [m for m in moments if m[0] >= until]
                    if until <= now:
                        moments.append((until, snooze_kind(until)))
            if not moments:
                continue
            at, kind = max(moments)
            if kind != "overdue" and now > occ.due and overdue is None:
                continue  # a daily item's day is over
            emit(occ.key, pid, kind, at, occ)
        if (
            overdue is not None
            and not_done
            and now >= overdue + config.escalate_after
            and occ.due >= horizon
        ):
            out.escalations.append(Escalation(occ, tuple(not_done)))

    if out.escalations:
        out.summary_to = tuple(
            (pid, *roster.chats[pid]) for pid in roster.escalate_to if pid in roster.chats
        )
    _digest(occurrences, roster, reports, now, calendar, shut, config, emit)
    _checkins(checkins, roster, reports, now, calendar, config, emit)
    return out


def _session(
    occ: Occurrence, roster: Roster, now: datetime, emit: _Emit, config: PlannerConfig
) -> None:
    if occ.due <= now:
        # A session already past: no reminders; once, an hour after it, the secretary (or
        # the chair) is asked to record it, unless it is recorded (closed) already.
        at = occ.due + config.record_after
        if occ.date_set and at <= now <= occ.due + config.record_horizon:
            for pid in roster.recorders:
                emit(occ.key, pid, "record", at, occ)
        return
    passed = [r for r in occ.reminders if r.at <= now]
    if not passed:
        return
    # "set_date", then "set_date_7" and "set_date_3": asked again while the date is not set
    set_date = sorted((r for r in passed if r.kind.startswith("set_date")), key=lambda r: r.at)
    if not occ.date_set:
        if set_date:
            r = set_date[-1]
            for pid in roster.keys_to_ids(r.to) or roster.escalate_to:
                emit(occ.key, pid, r.kind, r.at, occ)
        return
    lead: ReminderMoment | None = max(
        (r for r in passed if not r.kind.startswith("set_date")), key=lambda r: r.at, default=None
    )
    if lead is None:
        return
    for pid, points in roster.session_recipients(occ).items():
        emit(occ.key, pid, lead.kind, lead.at, occ, points=points)


def _digest(
    occurrences: Sequence[Occurrence],
    roster: Roster,
    reports: Mapping[tuple[str, int], ReportView],
    now: datetime,
    calendar: SchoolCalendar,
    shut: set[str],
    config: PlannerConfig,
    emit: _Emit,
) -> None:
    today = now.date()
    first = week_start(today, calendar)
    if first != today or now.time() < config.digest_time:
        return
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    horizon = now - config.overdue_horizon
    mine: dict[int, list[Occurrence]] = {}
    for occ in occurrences:
        if occ.key in shut or occ.due < horizon or occ.due.date() > sunday:
            continue
        if occ.rule == "daily":
            continue  # every day anyway; the digest names the week's real deadlines
        if not occ.reminders or occ.routine == SILENT:
            continue  # tracked without reminders (1.6: the sessions remind for it)
        if occ.kind == "session":
            if not occ.date_set or occ.due < now:
                continue
            who: Iterable[int] = roster.session_recipients(occ)
        else:
            if occ.due.date() < monday and occ.rule in config.no_overdue_rules:
                continue
            who = roster.responsible(occ)
        for pid in who:
            report = reports.get((occ.key, pid))
            if report is not None and report.status in FINISHED:
                continue
            joined = roster.joined.get(pid)
            if joined is not None and occ.due < joined:
                continue
            mine.setdefault(pid, []).append(occ)
    iso = today.isocalendar()
    key = f"digest@{iso.year}-W{iso.week:02d}"
    at = datetime.combine(today, config.digest_time, tzinfo=calendar.tz)
    for pid, items in mine.items():
        items.sort(key=lambda o: o.due)
        emit(key, pid, "digest", at, None, items=tuple(items))


def checkin_week(occ: Occurrence) -> str:
    """The ISO week a routine occurrence is checked in with: "2026-W48"."""
    iso = occ.due.date().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def checkin_key(ref: str, week: str) -> str:
    """The occurrence-like key a week's check-in of an item is planned under."""
    return f"{ref}@checkin-{week}"


def _checkins(
    occurrences: Sequence[Occurrence],
    roster: Roster,
    reports: Mapping[tuple[str, int], ReportView],
    now: datetime,
    calendar: SchoolCalendar,
    config: PlannerConfig,
    emit: _Emit,
) -> None:
    """One check-in per routine item, person and week, on the week's last school day."""
    weeks: dict[tuple[str, str], list[Occurrence]] = {}
    for occ in occurrences:
        weeks.setdefault((occ.ref, checkin_week(occ)), []).append(occ)
    today = now.date()
    for (ref, week), occs in weeks.items():
        occs.sort(key=lambda o: o.due)
        last = occs[-1].due.astimezone(calendar.tz).date()
        at = datetime.combine(last, config.checkin_time, tzinfo=calendar.tz)
        if now < at:
            continue
        morning = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=calendar.tz)
        if today > min(next_allowed(morning, calendar).date(), last + timedelta(days=3)):
            continue  # a week gone by (or a break came between): the next one asks again
        open_for: dict[int, list[Occurrence]] = {}
        for occ in occs:
            for pid in roster.responsible(occ):
                joined = roster.joined.get(pid)
                if joined is not None and occ.due < joined:
                    continue
                report = reports.get((occ.key, pid))
                if report is not None and report.status in FINISHED:
                    continue
                open_for.setdefault(pid, []).append(occ)
        for pid, days in open_for.items():
            emit(checkin_key(ref, week), pid, "checkin", at, None, items=tuple(days))


def extra_occurrence(
    *,
    key: str,
    ref: str,
    title: str,
    kind: str,
    window_start: datetime,
    due: datetime,
    people: tuple[str, ...],
    names: tuple[str, ...],
    calendar: SchoolCalendar,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> Occurrence:
    """An occurrence the plan does not have: a decision's task (owner, deadline) or an
    extraordinary session. Reminders: a day before the deadline and its morning."""
    if due.tzinfo is None or window_start.tzinfo is None:
        raise ValueError("aware datetimes only")
    due = due.astimezone(calendar.tz)
    window_start = min(window_start.astimezone(calendar.tz), due)
    wanted = [
        ("day_before", due - timedelta(days=1)),
        ("morning_of", datetime.combine(due.date(), policy.morning_of_time, tzinfo=calendar.tz)),
    ]
    seen: set[datetime] = set()
    moments: list[ReminderMoment] = []
    for name, at in wanted:
        placed = place_reminder(calendar, policy, at, window_start, due)
        if placed not in seen:
            seen.add(placed)
            moments.append(ReminderMoment(name, placed))
    return Occurrence(
        key=key,
        ref=ref,
        item_ref=ref,
        title=title,
        kind="session" if kind == "session" else "task",
        rule=kind,
        window_start=window_start,
        due=due,
        people=people,
        groups=(),
        responsible_names=names,
        reminders=tuple(sorted(moments, key=lambda m: m.at)),
    )
