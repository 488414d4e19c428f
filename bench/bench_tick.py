"""The tick's computation for 100 staff and the full seed plan (target: under 50 ms).

Measured, per moment of a school week (median and p99 over many runs):

* baseline: the bare `occurrences()` call for the tick's period (today - 15 days .. + 45 days);
* planner: `plan_reminders` over those occurrences for 100 staff with accounts and reports;
* cold tick: both together (what a tick costs on the first minute of a day, before the day's
  occurrences are cached); a warm tick is the planner alone.

    .venv/bin/python bench/bench_tick.py
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import CALENDAR_DIR, DEFAULT_PLAN
from bot.core.calendar import load_calendar
from bot.core.plan import load_plan
from bot.core.roles import Role
from bot.core.schedule import occurrences
from bot.scheduler.planner import ReportView, Roster, plan_reminders
from db.models import Account, Person, ReportStatus

TZ = ZoneInfo("Asia/Aqtobe")
STAFF = 100
RUNS = 200


def staff(plan_people: list[tuple[str, str, list[str]]]) -> tuple[list[Person], list[Account]]:
    people = [
        Person(id=i, key=key, name=name, roles=roles)
        for i, (key, name, roles) in enumerate(plan_people, start=1)
    ]
    n = len(people)
    for i in range(n + 1, STAFF + 1):  # the rest: class teachers and teachers
        role = Role.CLASS_TEACHER if i % 3 else Role.TEACHER
        people.append(Person(id=i, key=f"t{i}", name=f"Мұғалім {i}", roles=[str(role)]))
    joined = datetime(2026, 9, 1, 9, 0, tzinfo=TZ)  # everyone joined when the year began
    accounts = [
        Account(person_id=p.id, telegram_user_id=p.id, chat_id=p.id, joined_at=joined)  # type: ignore[arg-type]
        for p in people
    ]
    return people, accounts


def stats(samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"median {statistics.median(samples) * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms"


def main() -> None:
    plan = load_plan(DEFAULT_PLAN)
    calendar = load_calendar(CALENDAR_DIR / "2026-2027.json")
    people, accounts = staff([(p.key, p.name, [str(r) for r in p.roles]) for p in plan.people])
    roster = Roster(plan, people, accounts)
    moments = [
        datetime(2026, 11, 23, 8, 30, tzinfo=TZ),  # Monday: week start, digest
        datetime(2026, 11, 24, 9, 0, tzinfo=TZ),  # Tuesday: summary time
        datetime(2026, 11, 27, 17, 0, tzinfo=TZ),  # Friday afternoon
        datetime(2026, 12, 1, 8, 30, tzinfo=TZ),  # a month's first day
    ]
    base, plan_only, cold = [], [], []
    intents = 0
    for _ in range(RUNS // len(moments)):
        for now in moments:
            today = now.date()
            start, end = today - timedelta(days=15), today + timedelta(days=45)
            t0 = time.perf_counter()
            occs = occurrences(plan, calendar, start, end)
            t1 = time.perf_counter()
            # a third of each task's people have reported something
            reports = {
                (o.key, pid): ReportView(ReportStatus.DONE)
                for o in occs[::3]
                for pid in roster.responsible(o)[::2]
            }
            t2 = time.perf_counter()
            due = plan_reminders(occs, roster, reports, now, calendar)
            t3 = time.perf_counter()
            intents = max(intents, len(due.intents))
            base.append(t1 - t0)
            plan_only.append(t3 - t2)
            cold.append((t1 - t0) + (t3 - t2))
    n_occ = len(occurrences(plan, calendar, date(2026, 11, 8), date(2027, 1, 7)))  # 23 Nov
    print(f"seed plan, {len(roster.people)} staff, ~{n_occ} occurrences in the tick's period")
    print(f"baseline occurrences(): {stats(base)}")
    print(f"planner (warm tick):    {stats(plan_only)}   (up to {intents} intents)")
    print(f"cold tick (both):       {stats(cold)}")
    target = statistics.median(cold) * 1000
    print(f"target < 50 ms: {'OK' if target < 50 else 'MISSED'} ({target:.1f} ms median)")


if __name__ == "__main__":
    main()
