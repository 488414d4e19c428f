"""A simulated school year: what every person receives from Kenes (issue #12).

The real tick over a whole school year with an injected clock (`bot.simulation`): 60 staff, the
seed plan, everyone joins in the first week except 5 in November. Prints messages per person per
school week (median, p90, max), taps to mark a week done, the longest message, bursts (more than
3 messages to one chat within a minute), the November joiners' first day and /status's length.
Goals: median <= 3 and max <= 8 messages a week, no bursts, /status <= 900 characters.

    .venv/bin/python bench/bench_year.py [--until 2026-12-31]

The same as `python -m bot simulate-year`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["simulate-year", *sys.argv[1:]]))
