"""`python -m bot simulate-year`: a school year of messages, counted (see `bot.simulation`).

Runs the real tick over a throwaway database with an injected clock; no Telegram token, no
network. Prints the figures of issue #12: messages per person per school week, taps to mark a
week done, the longest message, bursts, the November joiners' first day, /status's length.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path


def add_simulate_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = sub.add_parser(
        "simulate-year",
        help="count what every person would receive in a school year",
        description="Drive the real scheduler tick over a whole school year (an injected "
        "clock, a throwaway database) and print messages per person per week, taps, bursts.",
    )
    sim.add_argument("--staff", type=int, default=60, help="school staff (default 60)")
    sim.add_argument(
        "--late", type=int, default=5, help="class teachers who join in November (default 5)"
    )
    sim.add_argument("--until", metavar="DATE", help="stop after this day, YYYY-MM-DD")
    sim.add_argument(
        "--step",
        type=int,
        default=0,
        metavar="MIN",
        help="tick every MIN minutes 08:00-20:30 (default: at every moment a message can be "
        "planned at)",
    )
    sim.add_argument("--plan", type=Path, help="plan file (default: seed/plan.json)")
    sim.add_argument("--calendar", type=Path, help="calendar year file (default: seed 2026-2027)")
    sim.add_argument("--format", choices=("text", "json"), default="text")
    sim.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from bot.config import CALENDAR_DIR, DEFAULT_PLAN
    from bot.core.calendar import CalendarError, load_calendar
    from bot.core.plan import PlanError, load_plan
    from bot.simulation import simulate_year

    try:
        until = date.fromisoformat(args.until) if args.until else None
    except ValueError:
        print(f"--until: not a date (YYYY-MM-DD): {args.until!r}", file=sys.stderr)
        return 2
    if args.staff < 1 or args.late < 0 or args.late > args.staff or args.step < 0:
        print("--staff must be at least 1, --late between 0 and --staff, --step >= 0",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        plan = load_plan(args.plan or DEFAULT_PLAN)
        calendar = load_calendar(args.calendar or CALENDAR_DIR / "2026-2027.json")
    except (PlanError, CalendarError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    started = time.perf_counter()
    figures = asyncio.run(
        simulate_year(
            plan, calendar, staff=args.staff, late_joiners=args.late, step_minutes=args.step,
            until=until,
        )
    )  # fmt: skip
    if args.format == "json":
        data = asdict(figures)
        data["kinds"] = dict(figures.kinds)
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print("\n".join(figures.lines()))
    print(f"simulated in {time.perf_counter() - started:.0f} s")
    return 0
