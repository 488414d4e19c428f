"""How long `occurrences()` takes for a whole school year. Not a test: it prints numbers.

    .venv/bin/python bench/bench_schedule.py [--runs N] [--scale K] [--plan FILE] [--calendar FILE]

It times the seed plan and a synthetic plan K times its size (the seed's items and sessions
copied with new numbers), prints the occurrence counts, the cost per plan item and per
occurrence, and the ratio of the two times against K (linear growth: a ratio at or below K).
Two baselines measured in the same run say what the hardware does in that time: walking the
year's dates once per item, and building the same number of `Occurrence` objects directly.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import CALENDAR_DIR, DEFAULT_PLAN
from bot.core.calendar import SchoolCalendar, load_calendar
from bot.core.plan import Item, Plan, Section, Session, load_plan
from bot.core.schedule import Occurrence, ReminderMoment, occurrences


def scaled(plan: Plan, factor: int) -> Plan:
    """The plan `factor` times over: copy k renumbers section s as s + 100k, session n as
    n + 100k, and every item and sub-item under its section."""
    sections: list[Section] = []
    sessions: list[Session] = []
    for k in range(factor):
        for section in plan.sections:
            number = section.number + 100 * k
            items = []
            for item in section.items:
                ref = f"{number}.{item.ref.split('.', 1)[1]}"
                subitems = tuple(
                    s.model_copy(update={"ref": f"{ref}.{s.ref.rsplit('.', 1)[1]}"})
                    for s in item.subitems
                )
                items.append(item.model_copy(update={"ref": ref, "subitems": subitems}))
            sections.append(section.model_copy(update={"number": number, "items": tuple(items)}))
        sessions.extend(s.model_copy(update={"number": s.number + 100 * k}) for s in plan.sessions)
    return plan.model_copy(update={"sections": tuple(sections), "sessions": tuple(sessions)})


def size(plan: Plan) -> int:
    """Things that get timed: items, sub-items with their own timing, sessions."""
    items: list[Item] = [i for s in plan.sections for i in s.items]
    subs = sum(1 for i in items for s in i.subitems if s.timing is not None)
    return len(items) + subs + len(plan.sessions)


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def walk_dates(cal: SchoolCalendar, start: date, end: date, items: int) -> int:
    """Baseline 1: visit every date of the year once per item and ask if it is a school day."""
    n = 0
    days = (end - start).days + 1
    for _ in range(items):
        d = start
        for _ in range(days):
            n += cal.is_school_day(d)
            d += timedelta(days=1)
    return n


def build_objects(template: list[Occurrence]) -> list[Occurrence]:
    """Baseline 2: build as many Occurrence objects (each with one reminder) directly."""
    return [
        Occurrence(
            key=o.key,
            ref=o.ref,
            item_ref=o.item_ref,
            title=o.title,
            kind=o.kind,
            rule=o.rule,
            window_start=o.window_start,
            due=o.due,
            people=o.people,
            groups=o.groups,
            responsible_names=o.responsible_names,
            reminders=(ReminderMoment("daily", o.window_start),),
        )
        for o in template
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--plan", type=Path, default=DEFAULT_PLAN)
    parser.add_argument("--calendar", type=Path, default=CALENDAR_DIR / "2026-2027.json")
    args = parser.parse_args()

    t0 = time.perf_counter()
    cal = load_calendar(args.calendar)
    t_cal = time.perf_counter() - t0
    plan = load_plan(args.plan)
    big = scaled(plan, args.scale)
    start, end = cal.span
    n1, nk = size(plan), size(big)

    occ1 = occurrences(plan, cal, start, end)
    occk = occurrences(big, cal, start, end)
    assert len({o.key for o in occk}) == len(occk) == len(occ1) * args.scale
    t1 = median_time(lambda: occurrences(plan, cal, start, end), args.runs)
    tk = median_time(lambda: occurrences(big, cal, start, end), max(3, args.runs // 5))
    walk1 = median_time(lambda: walk_dates(cal, start, end, n1), args.runs)
    build1 = median_time(lambda: build_objects(occ1), args.runs)
    buildk = median_time(lambda: build_objects(occk), max(3, args.runs // 5))

    ms = 1000.0
    print(f"calendar {args.calendar.name}: loaded and precomputed in {t_cal * ms:.1f} ms")
    print(f"period {start} .. {end}; median of {args.runs} runs (x{args.scale}: fewer)")
    print()
    print(
        f"{'plan':<16}{'timed':>7}{'occurrences':>13}{'time ms':>10}{'us/item':>10}{'us/occ':>9}"
    )
    for name, n, occ, t in (
        ("seed", n1, occ1, t1),
        (f"synthetic x{args.scale}", nk, occk, tk),
    ):
        per_item = t / n * 1e6
        per_occ = t / len(occ) * 1e6
        print(f"{name:<16}{n:>7}{len(occ):>13}{t * ms:>10.2f}{per_item:>10.1f}{per_occ:>9.2f}")
    print()
    print(
        f"time ratio x{args.scale} / seed: {tk / t1:.1f} (size ratio {nk / n1:.0f}; "
        f"{tk / t1 / (nk / n1):.2f} of linear)"
    )
    print("baselines, same run:")
    print(
        f"  walk {(end - start).days + 1} dates x {n1} items, is_school_day each: "
        f"{walk1 * ms:.2f} ms"
    )
    print(f"  build {len(occ1)} Occurrence objects directly: {build1 * ms:.2f} ms")
    print(f"  build {len(occk)} Occurrence objects directly: {buildk * ms:.2f} ms")
    over = f"seed {t1 / build1:.1f}x, x{args.scale} {tk / buildk:.1f}x"
    print(f"  occurrences() / building alone: {over}")
    budget = 0.2
    verdict = "within" if t1 < budget else "OVER"
    print(f"seed plan, whole year: {t1 * ms:.2f} ms, {verdict} the {budget * ms:.0f} ms budget")
    return 0 if t1 < budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
