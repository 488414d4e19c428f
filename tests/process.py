"""Running `python -m bot ...` as a real process, the way a school runs it.

The process gets a clean environment (none of the developer's Kenes settings, no `.env`: it
runs in a temporary folder) plus the settings a test gives, and the project's interpreter
(`sys.executable`, the `.venv` python the tests run under).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)
PROCESS_TIMEOUT = 60.0  # a hung process fails the test instead of hanging the suite


def clean_env(**settings: str) -> dict[str, str]:
    """The current environment without any Kenes setting, plus `settings` (NAME=value)."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_bot(*args: str, cwd: Path, **settings: str) -> Finished:
    """`python -m bot ARGS` to the end (for commands that finish by themselves)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(**settings),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


async def run_bot_async(*args: str, cwd: Path, **settings: str) -> Finished:
    """The same without blocking the event loop (a fake Telegram in this process answers it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=clean_env(**settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())
