"""What is due when: the plan's items and sessions laid onto a school calendar.

`occurrences(plan, calendar, start, end)` is a pure function: the same plan, calendar, period,
policy and session times give the same list, sorted by due time and then by plan number. It does
not read the clock; "now" is the caller's business.

Each rule gives occurrences (an occurrence is one thing to do by one deadline):

=================  =============================================  ==========================
rule               window_start .. due                            reminders (kind)
=================  =============================================  ==========================
session, a date    working day a week before, 08:00 .. the day,   week_before, day_before,
                   15:00 (or `session_times[number]`)             morning_of
session, a month   first school day of the month, 08:00 .. the    set_date (to the chair),
                   last Thursday that is a school day, 15:00 —    week_before, day_before,
                   a provisional default, `date_set=False`        morning_of
fixed_date         a week before, 08:00 .. the day, 18:00         as a session with a date
months, monthly    first .. last school day of the month          month_start, before_end
                   (monthly: every month with school days,
                   Sep-May)
week_of_month      first .. last school day of the n-th week      week_start, before_end
weekly             first .. last school day of each school week   week_start
daily              each school day, 08:00 .. 18:00                daily
all_year           H1: first school day .. last one before the    before_due
                   winter break; H2: first after it .. last day
before_holidays    5 school days before .. the last school day    before_due
                   before each break (autumn, winter, spring,
                   summer; not the 1st-grade week)
per_student, when_needed, missing: no occurrences; `unscheduled(plan)` lists them with why.
=================  =============================================  ==========================

Week 1 of a month is the Monday-Sunday week holding the month's 1st if it has a school day in
that month, else the week after; only the week's school days inside the month count, and a week
without any (a break) gives way to the next one in the month.

An item whose sub-items have their own timing (3.4: seven lectures, each in its month) yields the
sub-items' occurrences; sub-items without timing are the checklist of the item's occurrences.
Items with `remind=False` (1.6: the sessions remind for themselves) have occurrences but no
reminders.

**ReminderPolicy** (`DEFAULT_POLICY`; every field can be changed):

* sessions and fixed-date tasks: 7 days and 1 day before the due time, and the morning of the
  day at 08:00 (`lead_reminders`, `morning_of_time`);
* month items: the month's first school day and 3 school days before its last one;
* weekly items: the first school day of the week; daily items: every school morning;
* all-year items: 5 school days before each half-year's due day;
* reminders are sent at `morning_time` (08:30) unless they keep the due's own clock time;
  quiet hours are 21:00-08:00.

Placing a reminder (`place_reminder`): one after its due moves to the due; one before the
window moves to the window start; one on a non-working day or in the quiet hours moves back to
the morning time of the nearest working day at or before it (21:30 Tuesday -> 08:30 Tuesday;
Saturday -> 08:30 Friday). A reminder landing on the same moment as an earlier one of the same
occurrence, for the same people, is dropped.

Keys are unique and stable within the plan and across school years: "1.8@2026-09-01",
"3.3@2026-W37", "1.1@2026-09", "1.2@2026-2027-H1", "1.5@2026-2027-autumn",
"council-4@2026-2027".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.core.calendar import SchoolCalendar
from bot.core.hosts import external_only, guest_names, host_of
from bot.core.plan import Item, Plan, Responsible, Session, SubItem
from bot.core.roles import Role
from bot.core.routine import mode_for
from bot.core.timing import (
    AllYear,
    BeforeHolidays,
    Daily,
    FixedDate,
    Monthly,
    Months,
    Quarterly,
    TimingRule,
    Weekly,
    WeekOfMonth,
)

# Rules that put an item on the calendar, and why the others do not.
SCHEDULED_KINDS = frozenset(
    {
        "fixed_date",
        "months",
        "week_of_month",
        "daily",
        "weekly",
        "monthly",
        "quarterly",
        "all_year",
        "before_holidays",
    }
)
UNSCHEDULED_REASONS = {
    "per_student": "per student: occurrences come from the student register",
    "when_needed": "when needed: no fixed time, no reminders",
    "missing": "the When cell is empty: set a timing in the plan",
}


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """When reminders go out. Times are clock times in the calendar's time zone."""

    morning_time: time = time(8, 30)
    window_time: time = time(8, 0)  # a task's window opens
    due_time: time = time(18, 0)  # a task is due at the end of its day
    session_time: time = time(15, 0)  # a session without a set time
    session_default_weekday: int = 3  # Thursday: the last one in the month that is a school day
    morning_of_time: time = time(8, 0)
    lead_reminders: tuple[tuple[str, int], ...] = (("week_before", 7), ("day_before", 1))
    month_before_end_school_days: int = 3
    all_year_before_due_school_days: int = 5
    review_lead_school_days: int = 3  # what a session reviews is due this many days before it
    before_holidays_window_school_days: int = 5
    # A session dated by month only: the chair is asked again this many days before its
    # default day while the date is not set (kinds "set_date_7", "set_date_3").
    set_date_again_days: tuple[int, ...] = (7, 3)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)

    def __post_init__(self) -> None:
        for name in ("morning_time", "window_time", "morning_of_time"):
            value = getattr(self, name)
            if not self.quiet_end <= value < self.quiet_start:
                raise ValueError(f"{name} {value} falls in the quiet hours")
        if not 0 <= self.session_default_weekday <= 6:
            raise ValueError("session_default_weekday must be 0 (Monday) .. 6 (Sunday)")


DEFAULT_POLICY = ReminderPolicy()


@dataclass(frozen=True, slots=True)
class ReminderMoment:
    kind: str  # week_before, day_before, morning_of, set_date, month_start, before_end, ...
    at: datetime
    to: tuple[str, ...] = ()  # person keys; empty: the occurrence's responsible


@dataclass(frozen=True, slots=True)
class AgendaLine:
    number: int
    title: str
    people: tuple[str, ...]
    groups: tuple[str, ...]
    reporters: tuple[str, ...]  # display names
    guests: tuple[str, ...] = ()  # external reporters the host invites (names)


@dataclass(frozen=True, slots=True)
class Occurrence:
    key: str  # unique and stable: what a sent reminder is recorded under
    ref: str  # "1.4", "3.4.3", "council-4"
    item_ref: str  # the parent item, or "council-N"
    title: str
    kind: Literal["task", "session"]
    rule: str  # the timing rule's kind
    window_start: datetime
    due: datetime
    people: tuple[str, ...]
    groups: tuple[str, ...]
    responsible_names: tuple[str, ...]  # people's names, groups' Kazakh names
    reminders: tuple[ReminderMoment, ...] = ()
    agenda: tuple[AgendaLine, ...] = ()
    checklist: tuple[str, ...] = ()
    date_set: bool = True  # False: a session dated by month only; `due` is a default
    # Why the date is not final: "month_only" (a session dated by month, a default day until
    # the chair sets it), "moved:2026-08-29" (the rule gave a non-working day; moved back to
    # the nearest earlier working day).
    provisional: tuple[str, ...] = ()
    guests: tuple[str, ...] = ()  # external people the responsible (the host) invites
    routine: str = "card"  # how it reaches its people: `bot.core.routine` (card, check-in, …)

    @property
    def hosted(self) -> bool:
        """The item names only external people: `people` are the school's hosts."""
        return bool(self.guests)

    @property
    def responsible(self) -> tuple[str, ...]:
        """Person keys, then group keys."""
        return self.people + self.groups


def place_reminder(
    calendar: SchoolCalendar,
    policy: ReminderPolicy,
    at: datetime,
    window: datetime,
    due: datetime,
) -> datetime:
    """Where a reminder wanted at `at` goes: into window..due, onto a working day, out of the
    quiet hours (back to the morning of the nearest working day at or before it)."""
    at = max(min(at, due), window).astimezone(calendar.tz)
    d, t = at.date(), at.time()
    working = calendar.is_working_day(d)
    if working and policy.quiet_end <= t < policy.quiet_start:
        return at
    back = d if working and t >= policy.quiet_start else calendar.previous_working_day(d)
    if back is None:
        return window
    return max(datetime.combine(back, policy.morning_time, tzinfo=calendar.tz), window)


_Wanted = tuple[str, datetime, tuple[str, ...]]  # kind, moment before placing, to
_Who = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # people, groups, names


@dataclass(frozen=True, slots=True)
class _Period:
    suffix: str
    window_start: datetime
    due: datetime
    reminders: tuple[ReminderMoment, ...] = field(default=())
    provisional: tuple[str, ...] = ()


class _Context:
    """Per call: the plan's names, and periods computed once per rule for every item."""

    def __init__(
        self,
        plan: Plan,
        calendar: SchoolCalendar,
        policy: ReminderPolicy,
        start: date,
        end: date,
    ) -> None:
        self.cal = calendar
        self.policy = policy
        self.start = start
        self.end = end
        self.tz = calendar.tz
        # Display names: a vacancy ("Медиатор") is nobody's name, and a key is never shown.
        self.names = {p.key: p.name for p in plan.people if not p.vacancy}
        self.group_names = {g.key: g.names.kk for g in plan.groups}
        self.chairs = tuple(p.key for p in plan.people if Role.CHAIR in p.roles)
        self.plan = plan
        self._periods: dict[TimingRule, tuple[_Period, ...]] = {}
        self._who: dict[Responsible, _Who] = {}
        self._guests: dict[Responsible, tuple[str, ...]] = {}
        self.session_days: list[date] = []  # the plan sessions' days, in order
        self.reviewed: dict[str, list[date]] = {}  # item ref -> days of sessions reviewing it
        self.claimed: set[str] = set()  # keys given out: the first occurrence of a key wins

    def claim(self, key: str, due: datetime) -> bool:
        """Whether an occurrence under `key` due at `due` is kept: its key is new (the first
        one wins, in the period or not) and it is due in start..end. Checked before the
        occurrence is built, so the ones outside the period cost nothing."""
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return self.start <= due.date() <= self.end

    def working_day(self, d: date) -> tuple[date, tuple[str, ...]]:
        """`d` if it is a working day, else the nearest earlier one, marked as moved."""
        if self.cal.is_working_day(d):
            return d, ()
        back = self.cal.previous_working_day(d)
        if back is None:
            return d, ()
        return back, (f"moved:{d.isoformat()}",)

    # --- moments ------------------------------------------------------------------------------

    def at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz)

    def place(self, at: datetime, window: datetime, due: datetime) -> datetime:
        return place_reminder(self.cal, self.policy, at, window, due)

    def reminders(
        self,
        wanted: Sequence[_Wanted],
        window: datetime,
        due: datetime,
    ) -> tuple[ReminderMoment, ...]:
        out: list[ReminderMoment] = []
        seen: set[tuple[datetime, tuple[str, ...]]] = set()
        for kind, at, to in wanted:
            placed = self.place(at, window, due)
            if (placed, to) not in seen:  # one message per moment and audience
                seen.add((placed, to))
                out.append(ReminderMoment(kind, placed, to))
        out.sort(key=lambda r: r.at)
        return tuple(out)

    def lead(self, day: date, due: datetime) -> tuple[datetime, list[_Wanted]]:
        """Window and reminders of something on one day: a session or a fixed-date task."""
        p = self.policy
        longest = max((days for _, days in p.lead_reminders), default=0)
        before = self.cal.previous_working_day(day - timedelta(days=longest), inclusive=True)
        window = self.at(before if before is not None else day, p.window_time)
        window = min(window, due)
        wanted: list[_Wanted] = [
            (kind, due - timedelta(days=days), ()) for kind, days in p.lead_reminders
        ]
        wanted.append(("morning_of", self.at(day, p.morning_of_time), ()))
        return window, wanted

    # --- periods, per rule --------------------------------------------------------------------

    def periods(self, rule: TimingRule) -> tuple[_Period, ...]:
        cached = self._periods.get(rule)
        if cached is None:
            cached = self._periods[rule] = tuple(self._make_periods(rule))
        return cached

    def _span(
        self, suffix: str, days: Sequence[date], extra: Sequence[tuple[str, date]]
    ) -> _Period:
        """A period over school days: window at the first, due at the last, reminders at the
        named days' morning."""
        p = self.policy
        window, due = self.at(days[0], p.window_time), self.at(days[-1], p.due_time)
        wanted: list[_Wanted] = [(kind, self.at(d, p.morning_time), ()) for kind, d in extra]
        return _Period(suffix, window, due, self.reminders(wanted, window, due))

    def _month_days(self, month: int) -> tuple[int, tuple[date, ...]]:
        first, last = self.cal.month_date_range(month)
        days = self.cal.school_days(first, last)
        if not days:  # a month outside classes (August, June): staff working days
            days = tuple(
                first + timedelta(days=i)
                for i in range((last - first).days + 1)
                if self.cal.is_working_day(first + timedelta(days=i))
            )
        return first.year, days

    def _month_period(self, year: int, month: int, days: tuple[date, ...]) -> _Period:
        back = self.policy.month_before_end_school_days
        extra = [("month_start", days[0])]
        if len(days) > back + 1:
            extra.append(("before_end", days[-1 - back]))
        return self._span(f"{year:04d}-{month:02d}", days, extra)

    def _make_periods(self, rule: TimingRule) -> Iterator[_Period]:
        cal, p = self.cal, self.policy
        if isinstance(rule, FixedDate):
            try:
                wanted_day = cal.map_month_day(rule.month, rule.day)
            except ValueError:
                return
            day, moved = self.working_day(wanted_day)
            due = self.at(day, p.due_time)
            window, wanted = self.lead(day, due)
            yield _Period(
                wanted_day.isoformat(),
                window,
                due,
                self.reminders(wanted, window, due),
                moved,
            )
        elif isinstance(rule, Months):
            for month in rule.months:
                year, days = self._month_days(month)
                if days:
                    yield self._month_period(year, month, days)
        elif isinstance(rule, Monthly):
            for year, month, days in cal.school_months():
                if rule.by_day is not None:
                    before = tuple(d for d in days if d.day <= rule.by_day)
                    days = before or days[:1]
                yield self._month_period(year, month, days)
        elif isinstance(rule, Quarterly):
            for quarter in cal.quarters:
                if rule.quarters and quarter.number not in rule.quarters:
                    continue
                days = cal.school_days(quarter.start, quarter.end)
                if days:
                    back = p.month_before_end_school_days
                    extra = [("quarter_start", days[0])]
                    if len(days) > back + 1:
                        extra.append(("before_end", days[-1 - back]))
                    yield self._span(f"{cal.year}-Q{quarter.number}", days, extra)
        elif isinstance(rule, WeekOfMonth):
            days = self._week_of_month(rule.week, rule.month)
            if days:
                iso = days[0].isocalendar()
                extra = [("week_start", days[0]), ("before_end", days[-1])]
                yield self._span(f"{iso.year}-W{iso.week:02d}", days, extra)
        elif isinstance(rule, Weekly):
            for suffix, days in cal.school_weeks():
                if days[-1] >= self.start and days[0] <= self.end:
                    yield self._span(suffix, days, [("week_start", days[0])])
        elif isinstance(rule, Daily):
            for d in cal.school_days(self.start, self.end):
                yield self._span(d.isoformat(), (d,), [("daily", d)])
        elif isinstance(rule, AllYear):
            yield from self._halves()
        elif isinstance(rule, BeforeHolidays):
            yield from self._before_holidays()

    def _week_of_month(self, week: int, month: int) -> tuple[date, ...]:
        first, last = self.cal.month_date_range(month)
        monday = first - timedelta(days=first.weekday())
        if not self.cal.school_days(first, monday + timedelta(days=6)):
            monday += timedelta(days=7)
        monday += timedelta(days=7 * (week - 1))
        while monday <= last:
            days = self.cal.school_days(max(monday, first), min(monday + timedelta(days=6), last))
            if days:
                return days
            monday += timedelta(days=7)
        return ()

    def _halves(self) -> Iterator[_Period]:
        cal = self.cal
        winter = cal.winter_break
        if winter is not None:
            h1 = cal.school_days(None, winter.start)
            h2 = cal.school_days(winter.end, None)
        else:
            new_year = date(cal.start_year + 1, 1, 1)
            h1, h2 = cal.school_days(None, new_year), cal.school_days(new_year, None)
        back = self.policy.all_year_before_due_school_days
        lead = self.policy.review_lead_school_days
        for label, half in (("H1", h1), ("H2", h2)):
            if not half:
                continue
            # The session that reviews the half: the last plan session inside it. The work is
            # due after that session (it goes on until the half ends); the reminder comes a
            # few school days before the session, so the report is ready for it.
            review = [d for d in self.session_days if half[0] <= d <= half[-1]]
            if review:
                session_day = review[-1]
                before = self.cal.previous_school_day(session_day, inclusive=True) or session_day
                remind = self.cal.school_day_offset(before, -lead)
                days = half if half[-1] >= session_day else (*half, session_day)
                extra = [("before_review", max(remind, half[0]))]
            else:
                days = half
                extra = [("before_due", half[max(0, len(half) - 1 - back)])]
            yield self._span(f"{cal.year}-{label}", days, extra)

    def _before_holidays(self) -> Iterator[_Period]:
        cal, p = self.cal, self.policy
        for hol in cal.holidays:
            if hol.grades is not None:
                continue
            due_day = cal.previous_school_day(hol.start)
            if due_day is None:
                continue
            first = cal.school_day_offset(due_day, -p.before_holidays_window_school_days)
            window, due = self.at(first, p.window_time), self.at(due_day, p.due_time)
            wanted: list[_Wanted] = [("before_due", self.at(first, p.morning_time), ())]
            yield _Period(
                f"{cal.year}-{hol.key}", window, due, self.reminders(wanted, window, due)
            )

    def before_review(self, period: _Period, days: Sequence[date]) -> _Period:
        """A period of an item a session reviews, due a few school days before the session
        when the session falls inside it."""
        for day in days:
            if period.window_start.date() <= day <= period.due.date():
                start = self.cal.previous_school_day(day, inclusive=True) or day
                due_day = self.cal.school_day_offset(start, -self.policy.review_lead_school_days)
                due = max(self.at(due_day, self.policy.due_time), period.window_start)
                kept = tuple(r for r in period.reminders if r.at <= due)
                return _Period(period.suffix, period.window_start, due, kept, period.provisional)
        return period

    # --- who ----------------------------------------------------------------------------------

    def who(self, resp: Responsible) -> _Who:
        """People, groups and names reminded for `resp`: an external-only `resp` is its
        school host's (the guests are in `guests`)."""
        got = self._who.get(resp)
        if got is None:
            if external_only(self.plan, resp):
                self._guests[resp] = guest_names(self.plan, resp)
                hosts = host_of(self.plan, resp)
                got = (hosts, (), tuple(self.names[k] for k in hosts if k in self.names))
            else:
                self._guests[resp] = ()
                names = tuple(self.names[k] for k in resp.people if k in self.names) + tuple(
                    self.group_names[k] for k in resp.groups if k in self.group_names
                )
                got = (resp.people, resp.groups, names)
            self._who[resp] = got
        return got

    def guests(self, resp: Responsible) -> tuple[str, ...]:
        self.who(resp)
        return self._guests[resp]


def _task_occurrences(
    ctx: _Context,
    ref: str,
    item_ref: str,
    title: str,
    timing: Sequence[TimingRule],
    resp: Responsible,
    remind: bool,
    checklist: tuple[str, ...],
    routine: str | None = None,
) -> Iterator[Occurrence]:
    people, groups, names = ctx.who(resp)
    guests = ctx.guests(resp)
    reviews = ctx.reviewed.get(item_ref, ()) or ctx.reviewed.get(ref, ())
    for rule in timing:
        if rule.kind not in SCHEDULED_KINDS:
            continue
        mode = mode_for(routine, rule.kind)
        for period in ctx.periods(rule):
            if reviews and rule.kind != "all_year":
                period = ctx.before_review(period, reviews)
            key = f"{ref}@{period.suffix}"
            if not ctx.claim(key, period.due):
                continue
            # Positional: keywords cost a sixth of the whole year on a 300-item plan; the
            # order is Occurrence's own (tests/test_schedule.py checks it).
            yield Occurrence(
                key, ref, item_ref, title, "task", rule.kind, period.window_start, period.due,
                people, groups, names, period.reminders if remind else (), (), checklist, True,
                period.provisional, guests, mode,
            )  # fmt: skip


def _item_occurrences(ctx: _Context, item: Item) -> Iterator[Occurrence]:
    timed = [s for s in item.subitems if s.timing is not None]
    checklist = tuple(s.title for s in item.subitems if s.timing is None)
    for sub in timed:
        assert sub.timing is not None
        yield from _task_occurrences(
            ctx,
            sub.ref,
            item.ref,
            sub.title,
            sub.timing,
            sub.responsible or item.responsible,
            item.remind,
            (),
            item.routine,
        )
    if not timed or checklist:
        yield from _task_occurrences(
            ctx,
            item.ref,
            item.ref,
            item.title,
            item.timing,
            item.responsible,
            item.remind,
            checklist,
            item.routine,
        )


def _session_rule(session: Session) -> FixedDate | Months | None:
    for rule in session.timing:
        if isinstance(rule, FixedDate | Months):
            return rule
    return None


def _session_occurrence(
    ctx: _Context, session: Session, session_times: Mapping[int, datetime]
) -> Occurrence | None:
    cal, p = ctx.cal, ctx.policy
    rule = _session_rule(session)
    if rule is None and session.number not in session_times:
        return None
    date_set = True
    moved: tuple[str, ...] = ()
    month_days: tuple[date, ...] = ()
    if session.number in session_times:
        set_at = session_times[session.number]
        if set_at.tzinfo is None:
            raise ValueError(f"session_times[{session.number}] is a naive datetime")
        due = set_at.astimezone(ctx.tz)
    elif isinstance(rule, FixedDate):
        try:
            day, moved = ctx.working_day(cal.map_month_day(rule.month, rule.day))
        except ValueError:
            return None
        due = ctx.at(day, p.session_time)
    else:
        assert isinstance(rule, Months)
        _, month_days = ctx._month_days(rule.months[0])
        if not month_days:
            return None
        wanted_days = [d for d in month_days if d.weekday() == p.session_default_weekday]
        due = ctx.at((wanted_days or month_days)[-1], p.session_time)
        date_set = False
    window, wanted = ctx.lead(due.date(), due)
    if not date_set:
        window = ctx.at(month_days[0], p.window_time)
        wanted.insert(0, ("set_date", ctx.at(month_days[0], p.morning_time), ctx.chairs))
        for days in p.set_date_again_days:
            day = due.date() - timedelta(days=days)
            wanted.append((f"set_date_{days}", ctx.at(day, p.morning_time), ctx.chairs))
    people, groups, names = ctx.who(session.responsible)
    agenda = tuple(
        AgendaLine(a.number, a.title, *ctx.who(a.reporters), guests=ctx.guests(a.reporters))
        for a in session.agenda
    )
    return Occurrence(
        key=f"{session.ref}@{cal.year}",
        ref=session.ref,
        item_ref=session.ref,
        title=f"Кеңес отырысы №{session.number}",
        kind="session",
        rule=rule.kind if rule is not None else "fixed_date",
        window_start=window,
        due=due,
        people=people,
        groups=groups,
        responsible_names=names,
        reminders=ctx.reminders(wanted, window, due),
        agenda=agenda,
        date_set=date_set,
        provisional=moved if date_set else ("month_only",),
        guests=ctx.guests(session.responsible),
    )


_REF_PART = re.compile(r"\d+")


def ref_sort_key(ref: str) -> tuple[int, ...]:
    """Plan numbers in their natural order ("1.2" < "1.10"); sessions after the items."""
    numbers = tuple(int(n) for n in _REF_PART.findall(ref))
    return (1, *numbers) if ref.startswith("council-") else (0, *numbers)


def occurrences(
    plan: Plan,
    calendar: SchoolCalendar,
    start: date,
    end: date,
    policy: ReminderPolicy = DEFAULT_POLICY,
    session_times: Mapping[int, datetime] | None = None,
) -> list[Occurrence]:
    """Everything in `plan` due from `start` to `end` (inclusive, by the due's date in the
    calendar's time zone), sorted by due time, then plan number."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    ctx = _Context(plan, calendar, policy, start, end)
    times = session_times or {}
    found: list[Occurrence] = []
    sessions: list[Occurrence] = []
    for session in plan.sessions:  # first: the all-year deadlines follow the review sessions
        held = _session_occurrence(ctx, session, times)
        if held is not None:
            sessions.append(held)
            day = held.due.date()
            ctx.session_days.append(day)
            for ref in session.reviews:
                ctx.reviewed.setdefault(ref, []).append(day)
    ctx.session_days.sort()
    for section in plan.sections:
        for item in section.items:
            found.extend(_item_occurrences(ctx, item))
    found.extend(held for held in sessions if ctx.claim(held.key, held.due))
    numbers = {ref: ref_sort_key(ref) for ref in {o.ref for o in found}}  # once per number
    found.sort(key=lambda o: (o.due, numbers[o.ref], o.key))
    return found


def _why_not(timing: Sequence[TimingRule] | None) -> str | None:
    if not timing:
        return UNSCHEDULED_REASONS["missing"]
    if any(rule.kind in SCHEDULED_KINDS for rule in timing):
        return None
    return UNSCHEDULED_REASONS.get(timing[0].kind, f"rule {timing[0].kind!r} is not scheduled")


def unscheduled(plan: Plan) -> list[tuple[str, str]]:
    """(ref, reason) for every item, sub-item and session that gets no occurrences."""
    out: list[tuple[str, str]] = []
    for section in plan.sections:
        for item in section.items:
            timed: list[SubItem] = [s for s in item.subitems if s.timing is not None]
            for sub in timed:
                reason = _why_not(sub.timing)
                if reason:
                    out.append((sub.ref, reason))
            if not timed or len(timed) < len(item.subitems):
                reason = _why_not(item.timing)
                if reason:
                    out.append((item.ref, reason))
    for session in plan.sessions:
        if _session_rule(session) is None:
            out.append((session.ref, "a session needs a date or a month"))
    return out
