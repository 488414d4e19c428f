"""The bot as a real process (`python -m bot …`), the way a school runs it: the one home for
every test (and bench) that starts one.

A command that finishes by itself::

    done = run_bot("export", "plan", cwd=tmp_path, DATABASE_URL=url)
    done.code, done.stdout, done.stderr, done.output     # exit status, all it printed
    done = run_in_process(capsys, "export", "plan")       # `bot.cli.main`: a table of cases

    done = await run_bot_async("run", cwd=tmp_path, ...)  # when a fake Telegram in this
                                                          # process must answer it

The bot beside the test, against the fake Telegram server (fixture ``bot_processes``)::

    bot = await bot_processes.start("run", db_url=db_url)   # returns once it polls
    sender = await bot_processes.start("send", db_url=db_url, polling=False, name="replica1")
    await bot.stop()           # SIGTERM, as `docker stop` does: the graceful way; exit status
    await bot.kill()           # kill -9: no shutdown code runs
    bot.output()               # everything it printed and logged (stdout and stderr, one file)

Each process gets a clean environment: the current one without any Kenes setting (nothing of
the developer's `.env` or shell), plus the settings the test names (``NAME=value``); it runs
in the test's folder (no `.env` there) with the project's interpreter (`sys.executable`, the
`.venv` python the tests run under). Waits are on the process or the fake server, never on
time; a process a failed test left running is killed at its teardown.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest

from bot.config import CALENDAR_DIR, DEFAULT_PLAN, Settings
from fakegram import FakeTelegram
from tests.harness import ADMIN_ID

SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)
RUN_TIMEOUT_S = 90.0  # a command that hangs fails its test instead of hanging the suite
START_TIMEOUT_S = 90.0  # `run` up and polling: a cold start on a busy 2-core machine
STOP_TIMEOUT_S = 60.0  # SIGTERM to exit: the updates in flight finish, then the rest stops


def clean_env(**settings: str) -> dict[str, str]:
    """The current environment without any Kenes setting, plus `settings` (NAME=value)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in SETTING_NAMES and not key.startswith("KENES_")
    }
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def fake_settings(fake: FakeTelegram, db_url: str) -> dict[str, str]:
    """What a bot process needs to run against `fake` on the database at `db_url`."""
    return {
        "BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_URL": db_url,
        "ADMIN_IDS": str(ADMIN_ID),
        "PLAN_PATH": str(DEFAULT_PLAN),
        "CALENDAR_PATH": str(CALENDAR_DIR / "2026-2027.json"),
        "LOG_LEVEL": "INFO",
    }


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_bot(*args: str, cwd: Path, **settings: str) -> Finished:
    """`python -m bot ARGS` to its end. Its stdin is empty: nothing is asked at a terminal."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(**settings),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> Finished:
    """`bot.cli.main(ARGS)` in this process: the same code as `python -m bot ARGS` without the
    seconds a process start costs, for the tables of cases beside a command's process test.
    Settings come from this process's environment (`monkeypatch.setenv`); stdin is empty."""
    from bot.cli import main

    with mock.patch("sys.stdin", io.StringIO()):
        code = main(list(args))
    out, err = capsys.readouterr()
    return Finished(code, out, err)


async def run_bot_async(*args: str, cwd: Path, **settings: str) -> Finished:
    """The same without blocking the event loop (a fake Telegram in this process answers it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=clean_env(**settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())


@dataclass
class BotProcess:
    """One `python -m bot run` or `send` against a fake Telegram server."""

    process: asyncio.subprocess.Process
    log: Path
    fake: FakeTelegram
    token: str  # the bot's token on the fake server
    polls_at_start: int  # the server's count of this bot's getUpdates calls at the start

    @classmethod
    async def start(
        cls,
        fake: FakeTelegram,
        db_url: str,
        *args: str,
        cwd: Path,
        name: str = "bot",
        **settings: str,
    ) -> BotProcess:
        """Start ``python -m bot ARGS`` with `fake_settings` and `settings` over them; returns
        at once (see `wait_polling`). Its output goes to ``cwd/NAME-N.log``, so a pipe never
        fills up and a test can read all of it."""
        log = _next_log(cwd, name)
        token = settings.get("BOT_TOKEN", fake.token)
        # No token of its own (BOT_TOKEN="": the schools of SCHOOLS_FILE have theirs): 0.
        polls = fake.bot(token).get_updates_calls if token in fake.bots else 0
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *args,
                cwd=cwd,
                env=clean_env(**{**fake_settings(fake, db_url), **settings}),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        return cls(process, log, fake, token, polls)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def wait_polling(self) -> None:
        """Until the bot asks the fake server for updates (it is up); fails with the output
        if the process exits first."""
        state = self.fake.bot(self.token)
        await self.fake.wait_until(
            lambda: state.get_updates_calls > self.polls_at_start or not self.running,
            START_TIMEOUT_S,
        )
        assert self.running, f"the bot exited at start:\n{self.output()}"

    async def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:  # noqa: ASYNC109
        """SIGTERM, and wait for the process to finish its shutdown; its exit status."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> int:
        """kill -9; its exit status (-9)."""
        if self.running:
            self.process.kill()
        return await self.process.wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class BotProcesses:
    """The processes of one test, in its folder, against its fake Telegram server."""

    fake: FakeTelegram
    folder: Path
    started: list[BotProcess] = field(default_factory=list)

    async def start(
        self, *args: str, db_url: str, name: str = "bot", polling: bool = True, **settings: str
    ) -> BotProcess:
        """``python -m bot ARGS`` on `db_url` (`settings` over `fake_settings`); with
        `polling`, returns once it asks for updates."""
        process = await BotProcess.start(
            self.fake, db_url, *args, cwd=self.folder, name=name, **settings
        )
        self.started.append(process)
        if polling:
            await process.wait_polling()
        return process

    async def kill_all(self) -> None:
        for process in self.started:
            await process.kill()


@pytest.fixture
async def bot_processes(fakegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[BotProcesses]:
    """Start bot processes against the test's fake Telegram; any left running at the end of
    the test (a failed one) is killed before the fake server stops."""
    processes = BotProcesses(fakegram, tmp_path)
    try:
        yield processes
    finally:
        await processes.kill_all()


def _next_log(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{len(list(folder.glob(f'{name}-*.log')))}.log"


# --- what the bot logged ------------------------------------------------------------------------

LOG_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d) (?P<level>[A-Z]+) "
    r"(?P<logger>\S+): "
)
_TRACEBACK_STARTS = ("Traceback (most recent call last):", "  + Exception Group Traceback")
_CHAINED = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: .*)?$")


@dataclass
class LogRecord:
    """One record as `bot.logs` writes it: its line, and the traceback under it (if any)."""

    line: str
    time: str
    level: str
    logger: str
    traceback: list[str]

    @property
    def text(self) -> str:
        return "\n".join([self.line, *self.traceback])


def log_records(output: str) -> list[LogRecord]:
    """`output` (a `run` process's stdout and stderr) as log records. Fails, naming the line,
    if any non-blank line is neither a log line nor part of a traceback under one: something
    wrote past the logging (a print, a library's own stderr), which `bot.logs` cannot hold."""
    records: list[LogRecord] = []
    for number, line in enumerate(output.splitlines(), 1):
        if not line.strip():
            continue
        stamped = LOG_LINE.match(line)
        if stamped is not None:
            records.append(LogRecord(line, **stamped.groupdict(), traceback=[]))
            continue
        assert records, f"line {number} comes before any log line: {line!r}"
        records[-1].traceback.append(line)
    for record in records:
        _assert_traceback(record)
    return records


def _assert_traceback(record: LogRecord) -> None:
    """The lines under a record are tracebacks as Python prints them (frames indented, one
    unindented exception line each, chained by Python's own sentences), nothing else."""
    state = "start" if record.traceback else "done"
    for line in record.traceback:
        if state in ("start", "chained"):
            ok = line.startswith(_TRACEBACK_STARTS)
            state = "frames"
        elif state == "frames":
            ok = line.startswith(" ") or _EXCEPTION_LINE.match(line) is not None
            state = "frames" if line.startswith(" ") else "done"
        else:  # after an exception line: only a chained traceback may follow
            ok = line in _CHAINED
            state = "chained"
        assert ok, f"not a log line nor part of a traceback: {line!r}\nunder: {record.text}"
    group = bool(record.traceback) and record.traceback[0].startswith(_TRACEBACK_STARTS[1])
    assert state == "done" or group, f"a traceback cut short:\n{record.text}"
