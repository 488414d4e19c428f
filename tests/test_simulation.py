"""The year simulation (`python -m bot simulate-year`): it runs as a process and prints the
figures; ticking at the moments that matter sees what ticking every half hour sees."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from bot.simulation import simulate_year
from tests.harness import seed_calendar, seed_plan

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "simulate-year", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip


def test_simulate_year_runs_as_a_process_and_prints_the_figures() -> None:
    done = run("--until", "2026-09-04", "--staff", "24", "--late", "1")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    out = done.stdout
    assert "staff 24, school weeks 1" in out
    assert "messages per person per school week: median" in out and "max" in out
    assert "taps to mark the week done" in out and "longest message:" in out
    assert "bursts (> 3 messages to one chat within a minute): 0" in out
    assert "/status:" in out
    for name in ("Ешкеева", "Амангелді", "Мұғалім"):  # no person in the output
        assert name not in out


def test_simulate_year_refuses_bad_input_in_one_line() -> None:
    done = run("--until", "next week")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--until" in done.stderr
    assert "Traceback" not in done.stderr


async def test_the_moments_that_matter_see_what_a_half_hourly_tick_sees() -> None:
    plan, calendar = seed_plan(), seed_calendar()
    until = date(2026, 9, 2)
    moments = await simulate_year(plan, calendar, staff=20, late_joiners=0, until=until)
    grid = await simulate_year(
        plan, calendar, staff=20, late_joiners=0, until=until, step_minutes=30
    )
    assert moments.messages == grid.messages > 0
    assert moments.per_week == grid.per_week and moments.kinds == grid.kinds
