"""A school year, simulated: what every person would receive from Kenes, counted.

`python -m bot simulate-year` (and `bench/bench_year.py`) drive the real tick (`bot.scheduler.
jobs.tick`: the planner, the rendering, the outbox rows) with an injected clock over a whole
school year, on a throwaway SQLite database:

* staff: the seed plan's school people plus generated class teachers and teachers, `staff` in
  all, half of them reading Kazakh, half Russian; everyone joins in the first school week
  except `late_joiners` class teachers who join in November;
* time: every working day, a tick at each clock time a message can be planned at (the year's
  reminder moments, digest, summary, record prompts, check-ins: `_clock_times`), or every
  `step_minutes` from 08:00 to 20:30, and one a minute after each join;
* delivery: the outbox rows a tick made are "sent" in order, one a second per chat (the
  outbox's own pacing), and given message ids;
* people answer like people: most tap what they got the same day, some the next working day,
  a few never (a deterministic draw per person and message), through the same services the
  buttons use.

The figures (`YearFigures`): messages per person per school week (median, p90, max), taps to
mark a week done, the longest message, bursts (more than 3 messages to one chat within a
minute), what the November joiners got on their first day, and the /status screen's length.
"""

from __future__ import annotations

import hashlib
import heapq
import statistics
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.roles import Role
from bot.core.schedule import ReminderPolicy
from bot.scheduler.planner import PlannerConfig
from db.models import Account, Language, Person, Reminder, ReminderState

BURST_SIZE = 3  # more than this many messages to one chat within a minute is a burst
BURST_WINDOW = timedelta(minutes=1)
DAY_START, DAY_END = time(8, 0), time(20, 30)
LATE_JOIN_DAY = date(2026, 11, 16)  # a Monday of the second quarter
STATUS_MOMENTS = (  # (date, clock time) in the school's zone: the chair asks for /status
    (date(2026, 11, 24), time(9, 0)),
    (date(2027, 3, 2), time(9, 0)),
    (date(2027, 5, 18), time(9, 0)),
)


@dataclass(frozen=True, slots=True)
class Delivered:
    person_id: int
    at: datetime  # when it reached the chat (the outbox paces one a second per chat)
    chars: int  # its length as Telegram counts it
    kind: str
    late: bool  # marked "late: the bot was down"
    taps: int  # taps it needs to mark everything it carries done
    items: tuple[str, ...]  # occurrence keys it carries


@dataclass
class YearFigures:
    staff: int
    weeks: int  # school weeks in the year
    per_week: list[int] = field(default_factory=list)  # messages, one value per person-week
    taps_week: list[int] = field(default_factory=list)  # taps, one value per person-week
    longest: int = 0
    bursts: int = 0
    messages: int = 0
    late_first_day: int = 0  # messages to the November joiners on their first day
    late_first_items: int = 0  # items due before they joined shown to them
    late_notices: int = 0  # "the bot was down" notices to them, any day
    status_chars: list[int] = field(default_factory=list)  # /status, each moment
    status_messages: list[int] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        def q(values: Sequence[int], p: float) -> int:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0

        pw, tw = self.per_week, self.taps_week
        return [
            f"staff {self.staff}, school weeks {self.weeks}, person-weeks {len(pw)}, "
            f"messages {self.messages}",
            f"messages per person per school week: median {statistics.median(pw):g}, "
            f"p90 {q(pw, 0.9)}, max {max(pw)}   (goal: median <= 3, max <= 8)",
            f"taps to mark the week done: median {statistics.median(tw):g}, p90 {q(tw, 0.9)}, "
            f"max {max(tw)}",
            f"longest message: {self.longest} characters",
            f"bursts (> {BURST_SIZE} messages to one chat within a minute): {self.bursts}"
            "   (goal: 0)",
            f"/status: {', '.join(map(str, self.status_chars))} characters in "
            f"{', '.join(map(str, self.status_messages))} message(s)   (goal: <= 900, one)",
            f"November joiners' first day: {self.late_first_day} messages, "
            f"{self.late_first_items} items due before they joined, "
            f"{self.late_notices} 'the bot was down' notices",
            "by kind: " + ", ".join(f"{k} {n}" for k, n in self.kinds.most_common()),
        ]


def _draw(*parts: object) -> float:
    """A deterministic number in [0, 1) for these parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _classes(n: int) -> list[str]:
    letters = "АӘБВ"
    return [f"{grade}{letters[i]}" for i in range(4) for grade in range(1, 12)][:n]


async def _staff(pool: async_sessionmaker[AsyncSession], plan: Plan, total: int) -> list[Person]:
    from bot.services.staff import sync_people

    async with pool() as session:
        await sync_people(session, plan)
        people = [p for p in (await session.exec(select(Person))).all() if p.active]
        school = [p for p in people if set(p.roles) - {Role.EXTERNAL.value}]
        extra = max(0, total - len(school))
        classes = _classes(extra)
        for i in range(extra):
            teacher = i < len(classes) * 9 // 10
            session.add(
                Person(
                    key=f"sim-{i + 1}",
                    name=f"Мұғалім {i + 1:02d}",
                    roles=[Role.CLASS_TEACHER.value if teacher else Role.TEACHER.value],
                    class_name=classes[i] if teacher else None,
                )
            )
        await session.commit()
        people = [p for p in (await session.exec(select(Person))).all() if p.active]
    return [p for p in people if set(p.roles) - {Role.EXTERNAL.value}]


def _joins(
    people: Sequence[Person], calendar: SchoolCalendar, late_joiners: int
) -> dict[int, datetime]:
    """Everyone in the first school week; `late_joiners` class teachers in November."""
    tz = calendar.tz
    first = calendar.school_days(calendar.span[0], None)[:4]
    teachers = [p for p in people if p.key.startswith("sim-") and p.class_name]
    late = {p.id for p in teachers[-late_joiners:]} if late_joiners else set()
    out: dict[int, datetime] = {}
    for i, p in enumerate(sorted(people, key=lambda p: p.id or 0)):
        assert p.id is not None
        if p.id in late:
            day, minute = LATE_JOIN_DAY, 10 * 60 + i
        else:
            day, minute = first[i % len(first)], 9 * 60 + 7 * i % 480
        out[p.id] = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return out


async def simulate_year(
    plan: Plan,
    calendar: SchoolCalendar,
    *,
    staff: int = 60,
    late_joiners: int = 5,
    step_minutes: int = 0,
    until: date | None = None,
    directory: Path | None = None,
) -> YearFigures:
    """Run the year; see the module docstring."""
    from db.engine import create_engine, create_session_pool, upgrade_database

    with tempfile.TemporaryDirectory() as tmp:
        folder = directory or Path(tmp)
        url = f"sqlite+aiosqlite:///{folder / 'year.db'}"
        upgrade_database(url)
        engine = create_engine(url)
        try:
            return await _run(
                create_session_pool(engine), plan, calendar, staff, late_joiners,
                step_minutes, until,
            )  # fmt: skip
        finally:
            await engine.dispose()


async def _run(
    pool: async_sessionmaker[AsyncSession],
    plan: Plan,
    calendar: SchoolCalendar,
    staff_n: int,
    late_joiners: int,
    step_minutes: int,
    until: date | None,
) -> YearFigures:
    from bot.scheduler.jobs import AppContext, tick

    tz = calendar.tz
    people = await _staff(pool, plan, staff_n)
    joins = _joins(people, calendar, late_joiners)
    late_ids = {pid for pid, at in joins.items() if at.date() == LATE_JOIN_DAY}
    ctx = AppContext(session_pool=pool, plan=plan, calendar=calendar)
    first_day = min(joins.values()).date()
    last_day = min(until or calendar.span[1], calendar.span[1])
    delivered: list[Delivered] = []
    answers: list[tuple[datetime, int, int, tuple[str, ...], str]] = []  # heap
    pending_joins = sorted((at, pid) for pid, at in joins.items())
    chat_ready: dict[int, datetime] = {}
    message_id = 0
    figures = YearFigures(staff=len(people), weeks=0)

    async def join_due(now: datetime) -> None:
        while pending_joins and pending_joins[0][0] <= now:
            at, pid = pending_joins.pop(0)
            async with pool() as session:
                session.add(
                    Account(
                        person_id=pid,
                        telegram_user_id=100_000 + pid,
                        chat_id=100_000 + pid,
                        language=Language.RU if pid % 2 else Language.KK,
                        joined_at=at,
                    )
                )
                await session.commit()

    async def answer_due(now: datetime) -> None:
        due = []
        while answers and answers[0][0] <= now:
            at, pid, _, items, markup = heapq.heappop(answers)
            due.append((at, pid, items, markup))
        if due:
            await answer(pool, plan, calendar, due)

    async def deliver(now: datetime) -> None:
        nonlocal message_id
        async with pool() as session:
            rows = (
                await session.exec(
                    select(Reminder)
                    .where(col(Reminder.state) == ReminderState.PENDING)
                    .order_by(col(Reminder.next_attempt_at), col(Reminder.id))
                )
            ).all()
            for row in rows:
                at = max(now, chat_ready.get(row.chat_id, now))
                chat_ready[row.chat_id] = at + timedelta(seconds=1)
                message_id += 1
                await session.exec(
                    sa.update(Reminder)
                    .where(col(Reminder.id) == row.id)
                    .values(state=ReminderState.SENT, sent_at=at, telegram_message_id=message_id)
                )
                pid = row.person_id or 0
                row.telegram_message_id = message_id
                items = await carried_items(session, row) if row.reply_markup else ()
                taps = taps_of(row.reply_markup)
                delivered.append(
                    Delivered(pid, at, _length(row.text), row.kind, row.late, taps, items)
                )
                if items:
                    when = _answer_time(pid, row.dedup_key, at, calendar)
                    if when is not None:
                        heapq.heappush(
                            answers, (when, pid, message_id, items, row.reply_markup or "")
                        )
            await session.commit()

    clock_times = _clock_times(plan, calendar, ctx.policy, ctx.config)
    day = first_day
    while day <= last_day:
        if calendar.is_working_day(day):
            moments = (
                _grid(day, tz, step_minutes)
                if step_minutes
                else [datetime.combine(day, c, tzinfo=tz) for c in clock_times]
            )
            moments += [at + timedelta(minutes=1) for at, _ in pending_joins if at.date() == day]
            for now in sorted(set(moments)):
                await join_due(now)
                await answer_due(now)
                await tick(ctx, now)
                await deliver(now)
        else:
            end = datetime.combine(day, DAY_END, tzinfo=tz)
            await join_due(end)
            await answer_due(end)
        day += timedelta(days=1)

    async with pool() as session:
        for day_of, clock_of in STATUS_MOMENTS:
            now = datetime.combine(day_of, clock_of, tzinfo=tz)
            if first_day <= now.date() <= last_day:
                parts = await _status_parts(session, plan, calendar, now)
                figures.status_chars.append(sum(_length(p) for p in parts))
                figures.status_messages.append(len(parts))

    _count(figures, delivered, joins, late_ids, calendar, first_day, last_day)
    return figures


def _clock_times(
    plan: Plan, calendar: SchoolCalendar, policy: ReminderPolicy, config: PlannerConfig
) -> list[time]:
    """Every clock time a message can be planned at in this year: the reminder moments of the
    whole year's occurrences, the overdue reminders, the digest, the summary, the record
    prompts, the routine check-ins. Ticking at these on every working day sees what a tick
    each minute would (tests/test_simulation.py compares the two on a few weeks)."""
    from bot.core.schedule import occurrences

    lo, hi = calendar.span
    found: set[time] = {policy.morning_time, config.digest_time, config.summary_time}
    for occ in occurrences(plan, calendar, lo, hi, policy):
        found.update(r.at.astimezone(calendar.tz).time() for r in occ.reminders)
        if occ.kind == "session":
            found.add((occ.due + config.record_after).astimezone(calendar.tz).time())
    found.add(config.checkin_time)
    return sorted(t for t in found if policy.quiet_end <= t < policy.quiet_start)


def _grid(day: date, tz: object, step_minutes: int) -> list[datetime]:
    out = []
    minute = DAY_START.hour * 60 + DAY_START.minute
    end = DAY_END.hour * 60 + DAY_END.minute
    while minute <= end:
        out.append(datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz))  # type: ignore[arg-type]
        minute += step_minutes
    return out


def _answer_time(pid: int, key: str, at: datetime, calendar: SchoolCalendar) -> datetime | None:
    """Most answer within two hours, some the next working morning, a few never."""
    draw = _draw(pid, key)
    if draw < 0.80:
        return at + timedelta(minutes=5 + int(_draw(key, pid) * 115))
    if draw < 0.92:
        d = at.astimezone(calendar.tz).date() + timedelta(days=1)
        while not calendar.is_working_day(d) and d <= calendar.span[1]:
            d += timedelta(days=1)
        return datetime.combine(d, time(10, 0), tzinfo=calendar.tz)
    return None


def _length(text: str) -> int:
    from bot.scheduler.outbox import telegram_length

    return telegram_length(text)


async def _status_parts(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar, now: datetime
) -> list[str]:
    from bot.services.status import load_status, render_status

    return list(render_status("kk", await load_status(session, plan, calendar, now), calendar))


def _count(
    figures: YearFigures,
    delivered: Sequence[Delivered],
    joins: dict[int, datetime],
    late_ids: set[int],
    calendar: SchoolCalendar,
    first_day: date,
    last_day: date,
) -> None:
    weeks: set[tuple[int, int]] = set()
    for day in calendar.school_days(first_day, last_day):
        iso = day.isocalendar()
        weeks.add((iso.year, iso.week))
    figures.weeks = len(weeks)
    per: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
    taps: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
    by_chat: dict[int, list[datetime]] = defaultdict(list)
    for d in delivered:
        iso = d.at.astimezone(calendar.tz).isocalendar()
        per[(d.person_id, (iso.year, iso.week))] += 1
        taps[(d.person_id, (iso.year, iso.week))] += d.taps
        by_chat[d.person_id].append(d.at)
        figures.longest = max(figures.longest, d.chars)
        figures.kinds[d.kind] += 1
        if d.person_id in late_ids:
            joined = joins[d.person_id]
            if d.at.date() == joined.date():
                figures.late_first_day += 1
                figures.late_first_items += sum(
                    1 for key in d.items if _due_before(key, joined, calendar)
                )
            figures.late_notices += d.late
    figures.messages = len(delivered)
    for pid, joined in joins.items():
        iso = joined.astimezone(calendar.tz).isocalendar()
        for week in sorted(weeks):
            if week >= (iso.year, iso.week):
                figures.per_week.append(per.get((pid, week), 0))
                figures.taps_week.append(taps.get((pid, week), 0))
    for times in by_chat.values():
        times.sort()
        i = 0
        while i + BURST_SIZE < len(times):
            if times[i + BURST_SIZE] - times[i] < BURST_WINDOW:
                figures.bursts += 1
                j = i + BURST_SIZE
                while j + 1 < len(times) and times[j + 1] - times[j] < BURST_WINDOW:
                    j += 1
                i = j + 1
            else:
                i += 1


def _due_before(key: str, joined: datetime, calendar: SchoolCalendar) -> bool:
    """Whether an occurrence key names a day or week before `joined` (by its suffix)."""
    suffix = key.rsplit("@", 1)[-1]
    try:
        if "-W" in suffix:
            year, week = suffix.split("-W")
            day = date.fromisocalendar(int(year), int(week[:2]), 5)
        elif len(suffix) == 10:
            day = date.fromisoformat(suffix)
        elif len(suffix) == 7 and suffix[4] == "-":
            month = date.fromisoformat(suffix + "-01")
            day = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            return False
    except ValueError:
        return False
    return day < joined.astimezone(calendar.tz).date()


def taps_of(markup: str | None) -> int:
    """Taps to mark everything a message carries done: one for "Done all", else one per
    Done (a task's ✅, a check-in's "Yes")."""
    import json

    from bot.callbacks import CheckinAction, CheckinCb, MomentAction, MomentCb, TaskAction, TaskCb

    if not markup:
        return 0
    done_all = MomentCb(action=MomentAction.ALL).pack()
    taps = 0
    for row in json.loads(markup).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data") or ""
            if data == done_all:
                return 1
            if data.startswith(TaskCb.__prefix__ + ":"):
                taps += TaskCb.unpack(data).action is TaskAction.DONE
            elif data.startswith(CheckinCb.__prefix__ + ":"):
                taps += CheckinCb.unpack(data).action is CheckinAction.YES
    return taps


async def carried_items(session: AsyncSession, row: Reminder) -> tuple[str, ...]:
    """The occurrence keys a sent message carries (what "Done all" or a reply marks)."""
    from bot.services.messages import carried_by

    if row.telegram_message_id is None:
        return ()
    found = await carried_by(session, row.chat_id, row.telegram_message_id)
    return tuple(dict.fromkeys(k for k, _ in found.items)) if found is not None else ()


async def answer(
    pool: async_sessionmaker[AsyncSession],
    plan: Plan,
    calendar: SchoolCalendar,
    due: Sequence[tuple[datetime, int, tuple[str, ...], str]],
) -> None:
    """People mark everything their messages carry done, as "Done all" (or each Done) does
    (`bot.services.messages.mark_done`)."""
    from bot.services.messages import mark_done

    async with pool() as session:
        people = {p.id: p for p in (await session.exec(select(Person))).all()}
        for now, person_id, items, _markup in due:
            await mark_done(session, plan, calendar, people[person_id], items, now)
