"""Plan import figures (#13), printed, not asserted: a 300-item Word plan read and checked,
the whole year's schedule for it, and the share of timing phrases understood (the seed's;
a Russian plan in the tests' own words).

    .venv/bin/python bench/bench_import.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import CALENDAR_DIR, SEED_DIR
from bot.core.calendar import load_calendar
from bot.core.importer import import_tables
from bot.core.plan import parse_plan
from bot.core.schedule import occurrences
from bot.plan_import.readers import read_plan_file
from tests.plan_files import big_plan, ru_plan


def best(fn, runs: int = 5, clock=time.perf_counter) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def main() -> None:
    calendar = load_calendar(CALENDAR_DIR / "2026-2027.json")
    content = big_plan(300)

    def read() -> object:
        doc = read_plan_file("big.docx", content)
        got = import_tables(doc.tables, source="big.docx", school_year="2026-2027")
        return parse_plan(got.data)

    plan = read()
    print(f"import of a 300-item .docx: {best(read) * 1000:.0f} ms (target < 1000 ms)")
    year = best(lambda: occurrences(plan, calendar, *calendar.span))  # type: ignore[arg-type]
    cpu = best(lambda: occurrences(plan, calendar, *calendar.span), clock=time.process_time)  # type: ignore[arg-type]
    print(f"whole-year schedule for it: {year * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms "
          "(target < 200 ms)")  # fmt: skip
    seed = (SEED_DIR / "source-plan-2023-2024.txt").read_bytes()
    for name, data in (("seed .txt", seed), ("Russian .docx", ru_plan())):
        doc = read_plan_file("plan.txt" if name.startswith("seed") else "plan.docx", data)
        got = import_tables(doc.tables, source=name, school_year="2026-2027")
        ok, total = got.understood
        print(f"timing phrases understood, {name}: {ok}/{total} = {100 * ok / total:.1f} %")
        for timing in got.timings:
            if timing.rules is None:
                print(f"    not understood: {timing.when!r} at {timing.place}")


if __name__ == "__main__":
    main()
