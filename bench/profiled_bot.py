"""`python -m bot ARGS` under cProfile, switched on and off by signals (bench_frontdoor.py's
`--profile`): SIGUSR1 starts profiling, SIGUSR2 stops it and writes the stats to the file named
by `KENES_PROFILE_OUT`. Start-up (imports, migrations) stays out of the profile.

    KENES_PROFILE_OUT=/tmp/kenes.prof python bench/profiled_bot.py run
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROFILER = cProfile.Profile()


def _start(_signum: int, _frame: FrameType | None) -> None:
    PROFILER.enable()


def _stop(_signum: int, _frame: FrameType | None) -> None:
    PROFILER.disable()
    PROFILER.dump_stats(os.environ["KENES_PROFILE_OUT"])


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    from bot.cli import main

    sys.argv = ["bot", *sys.argv[1:]]
    raise SystemExit(main())
