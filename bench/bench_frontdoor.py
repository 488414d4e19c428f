"""The front door: Kenes as a process against a bare aiogram echo bot as a process, same run.

    .venv/bin/python bench/bench_frontdoor.py [--rounds 3] [--users 100] [--each 10] [--profile]

Not a test: it prints numbers (issue #16). One fake Telegram (`fakegram`, rate limits off) runs
in this process on 127.0.0.1; two bots poll it, each a real process:

* **bare**: `bench/echo_bot.py`, aiogram's echo example (answers a message, redraws the buttons
  of a tapped message and answers the tap), logging at INFO as aiogram's example does. By
  default it sends the same bytes as Kenes (Kenes' /help text for "/help", Kenes' task buttons
  on a tap), so that the comparison is of the bots, not of the replies' sizes (the fake server
  shares the machine); `--plain-echo` echoes the text and draws one button;
* **kenes**: `python -m bot run` (the whole production start: settings checked, logging,
  migrations, scheduler and outbox on) with a temporary SQLite database holding `--users` staff
  accounts.

Each round plays, for each bot in turn (the bots alternate, so load on the machine falls on
both), and measures from the first update enqueued to the last answer received:

* **strangers' /start**: `--users` new unknown users each send `/start` `--each` times;
* **staff /help**: `--users` staff each send `/help` `--each` times;
* **staff taps**: `--users` staff each tap "back" `--each` times, each on its own task
  message showing the snooze choices: Kenes redraws the task's buttons and answers the tap,
  the bare bot redraws one button and answers (the same two calls, editMessageReplyMarkup and
  answerCallbackQuery);
* **a stranger's flood**: one unknown user sends 1,000 updates (/start, texts, commands, made-up
  invite links, button taps): how many messages each bot sends them.

Every batch ends with one staff `/help` (the marker): a batch is done when every update was
fetched, the marker answered and every expected answer in. Printed: updates/s per bot and the
ratio Kenes ÷ bare (target ≥ 0.8), the CPU each process spent per update (from /proc: steadier
than wall time on a shared machine), and the machine's load before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.callbacks import TaskAction, TaskCb
from bot.keyboards import task_kb, task_snooze_kb
from db.engine import create_engine, create_session_pool, upgrade_database
from fakegram import FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parent.parent
KENES_TOKEN = "7111111111:AAKenesBenchToken_0123456789abcdefghi"
BARE_TOKEN = "7222222222:AABareEchoBenchToken_0123456789abcdefg"
OCC = "1.1@2026-09-01"  # the occurrence key on the tapped buttons (any: "back" only redraws)
WAIT_S = 120.0
START_S = 120.0
FLOOD = 1000
SCENARIOS = ("strangers' /start", "staff /help", "staff taps", "stranger's flood")


@dataclass
class Result:
    updates: int
    seconds: float
    cpu: float  # the bot process's CPU seconds (all its threads)
    sent: int = 0  # messages sent to the users of the batch (the flood: to the stranger)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tail(log: Path | None, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log else ""


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Contestant:
    name: str
    token: str
    fake: FakeTelegram
    process: asyncio.subprocess.Process | None = None
    log: Path | None = None
    staff: list[FakeUser] = field(default_factory=list)
    marker: FakeUser | None = None
    results: dict[str, list[Result]] = field(default_factory=dict)
    made: int = 0

    def users(self, n: int) -> list[FakeUser]:
        self.made += n
        return [
            self.fake.user(first_name=f"{self.name}{self.made + i}", bot=self.token)
            for i in range(n)
        ]

    def answered_taps(self) -> int:
        return sum(q.answered for q in self.fake.bot(self.token).callback_queries.values())

    async def batch(
        self, send: Callable[[], int], expected: Callable[[], bool], sent: Callable[[], int]
    ) -> Result:
        assert self.process is not None and self.marker is not None
        state = self.fake.bot(self.token)
        marker_chat = self.marker.chat
        before = len(marker_chat.bot_messages)
        cpu = cpu_seconds(self.process.pid)
        started = time.perf_counter()
        n = send()
        self.fake.user_message(self.marker, marker_chat, "/help")

        def done() -> bool:
            return len(marker_chat.bot_messages) > before and expected() and not state.updates

        try:
            await self.fake.wait_until(done, WAIT_S)
        except TimeoutError:
            raise SystemExit(
                f"{self.name}: not done in {WAIT_S:.0f} s: marker answered "
                f"{len(marker_chat.bot_messages) > before}, expected {expected()}, sent {sent()}, "
                f"taps answered {self.answered_taps()}, {len(state.updates)} updates waiting; "
                f"its log's end:\n{tail(self.log)}"
            ) from None
        seconds = time.perf_counter() - started
        return Result(n + 1, seconds, cpu_seconds(self.process.pid) - cpu, sent())


async def seed_staff(url: str, users: list[FakeUser]) -> None:
    """Staff accounts for `users` (bench_updates' helper) in the database at `url`."""
    from bench.bench_updates import add_staff

    engine = create_engine(url)
    await add_staff(create_session_pool(engine), users)
    await engine.dispose()


def environment(fake: FakeTelegram, token: str, db_url: str) -> dict[str, str]:
    from bot.config import Settings

    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.update(
        BOT_TOKEN=token,
        TELEGRAM_API_URL=fake.base_url,
        DATABASE_URL=db_url,
        ADMIN_IDS="[1]",  # nobody in the bench
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def same_replies() -> dict[str, Any]:
    """What Kenes answers a teacher's /help and a "back" tap, for the bare bot to send too."""
    from bot.commands import commands_for
    from bot.texts import t

    lines = [t("kk", "help_head")]
    lines += [f"/{c.command} — {c.description}" for c in commands_for("kk", ["teacher"])]
    return {
        "texts": {"/help": "\n".join(lines)},
        "buttons": task_kb("kk", OCC).model_dump(mode="json", exclude_none=True),
    }


def _log_file(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.log"


async def start(c: Contestant, args: list[str], env: dict[str, str], folder: Path) -> None:
    c.log = _log_file(folder, c.name)
    with c.log.open("wb") as out:
        c.process = await asyncio.create_subprocess_exec(
            *args, cwd=folder, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip


async def wait_polling(c: Contestant) -> None:
    state = c.fake.bot(c.token)
    assert c.process is not None
    process = c.process
    await c.fake.wait_until(
        lambda: state.get_updates_calls > 0 or process.returncode is not None, START_S
    )
    if process.returncode is not None:
        raise SystemExit(f"{c.name} stopped at start:\n{c.log.read_text() if c.log else ''}")


async def stop(c: Contestant) -> None:
    if c.process is not None and c.process.returncode is None:
        c.process.terminate()
        await asyncio.wait_for(c.process.wait(), 60)


def strangers_start(c: Contestant, users: int, each: int) -> tuple[Callable[[], int], ...]:
    people = c.users(users)

    def send() -> int:
        for _ in range(each):
            for user in people:
                c.fake.user_message(user, user.chat, "/start")
        return users * each

    def sent() -> int:
        return sum(len(u.chat.bot_messages) for u in people)

    want = users * each if c.name == "bare" else users
    return send, lambda: sent() >= want, sent  # type: ignore[return-value]


def staff_help(c: Contestant, each: int) -> tuple[Callable[[], int], ...]:
    before = sum(len(u.chat.bot_messages) for u in c.staff)
    want = before + len(c.staff) * each

    def send() -> int:
        for _ in range(each):
            for user in c.staff:
                c.fake.user_message(user, user.chat, "/help")
        return len(c.staff) * each

    def sent() -> int:
        return sum(len(u.chat.bot_messages) for u in c.staff) - before

    return send, lambda: sent() + before >= want, sent  # type: ignore[return-value]


def staff_taps(c: Contestant, each: int) -> tuple[Callable[[], int], ...]:
    """Each tap is "back" on its own message showing the snooze choices: Kenes redraws the
    task's buttons (editMessageReplyMarkup) and answers the tap; so does the bare bot."""
    want = c.answered_taps() + len(c.staff) * each
    data = TaskCb(action=TaskAction.BACK, occ=OCC).pack()
    snooze = task_snooze_kb("kk", OCC).model_dump(mode="json", exclude_none=True)
    messages = {
        user.id: [
            user.chat.add_message(
                sender=c.fake.bot(c.token).user_json(),
                from_bot=True,
                date=c.fake.now(),
                text="1.1",
                reply_markup=snooze,
            )
            for _ in range(each)
        ]
        for user in c.staff
    }

    def send() -> int:
        for i in range(each):
            for user in c.staff:
                c.fake.user_callback(user, user.chat, messages[user.id][i], data)
        return len(c.staff) * each

    return send, lambda: c.answered_taps() >= want, lambda: 0  # type: ignore[return-value]


def flood(c: Contestant) -> tuple[Callable[[], int], ...]:
    [stranger] = c.users(1)
    taps_before = c.answered_taps()
    texts = ["/start", "hello", "/help", None, "/start made-up", "/start i_" + "B" * 30]
    taps = sum(1 for i in range(FLOOD) if texts[i % len(texts)] is None)
    # Forged taps (a stranger has no buttons of ours), on a message of the bot's in their chat.
    buttons = stranger.chat.add_message(
        sender=c.fake.bot(c.token).user_json(), from_bot=True, date=c.fake.now(), text="1.1",
        reply_markup=task_kb("kk", OCC).model_dump(mode="json", exclude_none=True),
    )  # fmt: skip
    stranger.chat.read_cursor = len(stranger.chat.bot_messages)
    already = len(stranger.chat.bot_messages)

    def send() -> int:
        for i in range(FLOOD):
            text = texts[i % len(texts)]
            if text is None:
                c.fake.user_callback(stranger, stranger.chat, buttons, "k1:d:" + OCC)
            else:
                c.fake.user_message(stranger, stranger.chat, text)
        return FLOOD

    def sent() -> int:
        return len(stranger.chat.bot_messages) - already

    # Kenes' one answer may be an alert on a tap (whichever update of the flood comes first).
    want_messages = FLOOD - taps if c.name == "bare" else 0

    def expected() -> bool:
        return sent() >= want_messages and c.answered_taps() >= taps_before + taps

    return send, expected, sent  # type: ignore[return-value]


async def run(args: argparse.Namespace) -> int:
    print(f"load before: {load()}  ({os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory(prefix="kenes-frontdoor-") as tmp:
        folder = Path(tmp)
        url = f"sqlite+aiosqlite:///{folder / 'kenes.db'}"
        await asyncio.to_thread(upgrade_database, url)
        async with FakeTelegram(token=KENES_TOKEN, bot_username="kenes_bench_bot") as fake:
            fake.rate_limits.configure(enabled=False)
            fake.allow("message is not modified")  # the bare bot's flood taps: one message
            fake.add_bot(BARE_TOKEN, username="bare_bench_bot")
            kenes = Contestant("kenes", KENES_TOKEN, fake)
            bare = Contestant("bare", BARE_TOKEN, fake)
            contestants = (bare, kenes)
            for c in contestants:
                c.staff = c.users(args.users)
                [c.marker] = c.users(1)
            await seed_staff(url, [*kenes.staff, kenes.marker])  # type: ignore[list-item]
            kenes_cmd = [sys.executable, "-m", "bot", "run"]
            kenes_env = environment(fake, KENES_TOKEN, url)
            if args.profile:  # the last round's Kenes batches only (bench/profiled_bot.py)
                kenes_cmd = [sys.executable, str(ROOT / "bench" / "profiled_bot.py"), "run"]
                kenes_env["KENES_PROFILE_OUT"] = str(folder / "kenes.prof")
            await start(kenes, kenes_cmd, kenes_env, folder / "kenes")
            bare_env = environment(fake, BARE_TOKEN, url)
            if not args.plain_echo:  # the same bytes as Kenes: its /help, its task buttons
                same = folder / "same.json"
                same.write_text(json.dumps(same_replies(), ensure_ascii=False), encoding="utf-8")
                bare_env["ECHO_SAME"] = str(same)
            await start(
                bare,
                [sys.executable, str(ROOT / "bench" / "echo_bot.py")],
                bare_env,
                folder / "bare",
            )
            try:
                for c in contestants:
                    await wait_polling(c)
                for c in contestants:  # warm-up, not measured: every staff user once
                    await c.batch(*staff_help(c, 1))
                for r in range(args.rounds):
                    for name in args.only or SCENARIOS:
                        for c in contestants:
                            if name == "strangers' /start":
                                play = strangers_start(c, args.users, args.each)
                            elif name == "staff /help":
                                play = staff_help(c, args.each)
                            elif name == "staff taps":
                                play = staff_taps(c, args.each)
                            else:
                                play = flood(c)
                            profiled = args.profile and c is kenes and r == args.rounds - 1
                            if profiled:
                                assert c.process is not None
                                c.process.send_signal(signal.SIGUSR1)
                            result = await c.batch(*play)  # type: ignore[arg-type]
                            if profiled:
                                assert c.process is not None
                                c.process.send_signal(signal.SIGUSR2)
                            c.results.setdefault(name, []).append(result)
                            print(
                                f"round {r + 1} {name:<18} {c.name:<5} {result.updates:5d} "
                                f"updates {result.seconds:6.3f} s = {result.rate:7.1f}/s, "
                                f"{result.cpu / result.updates * 1000:5.2f} ms CPU each, "
                                f"sent {result.sent}",
                                flush=True,
                            )
            finally:
                for c in contestants:
                    await stop(c)
            violations = fake.unexpected_violations()
            edits = len(fake.calls_to("editMessageReplyMarkup"))
        kenes_log = kenes.log.read_text(errors="replace") if kenes.log else ""
        report(bare, kenes, args)
        metric = [line for line in kenes_log.splitlines() if "front door:" in line]
        print(f"\nKenes' metric lines ({len(metric)}), the last: {metric[-1] if metric else '-'}")
        errors = [line for line in kenes_log.splitlines() if " ERROR " in line or "Trace" in line]
        print(f"Kenes' log: {len(errors)} error lines; button edits made: {edits}")
        for line in errors[:3]:
            print(f"  {line[:300]}")
        if args.profile:
            import pstats

            print("\nKenes under cProfile (its batches of the last round), by own time:")
            stats = pstats.Stats(str(folder / "kenes.prof"))
            stats.sort_stats("tottime").print_stats(args.profile_top)
            stats.sort_stats("cumulative").print_stats(args.profile_top)
    print(f"load after: {load()}")
    if violations:
        print(f"the fake server saw {len(violations)} violations, e.g. {violations[0]}")
        return 1
    return 0


def report(bare: Contestant, kenes: Contestant, args: argparse.Namespace) -> None:
    print(f"\nmedian of {args.rounds} rounds; {args.users} users × {args.each} each:")
    print(
        f"  {'':<18} {'bare/s':>8} {'Kenes/s':>8} {'Kenes÷bare':>10}   "
        f"{'CPU ms/update bare':>18} {'Kenes':>6}   sent bare / Kenes"
    )
    for name in args.only or SCENARIOS:
        b, k = bare.results[name], kenes.results[name]
        rb = statistics.median(x.rate for x in b)
        rk = statistics.median(x.rate for x in k)
        cb = statistics.median(x.cpu / x.updates * 1000 for x in b)
        ck = statistics.median(x.cpu / x.updates * 1000 for x in k)
        sb = statistics.median(x.sent for x in b)
        sk = statistics.median(x.sent for x in k)
        verdict = "" if name == "stranger's flood" else ("  ok" if rk / rb >= 0.8 else "  BELOW")
        print(
            f"  {name:<18} {rb:8.1f} {rk:8.1f} {rk / rb:10.2f}{verdict:<6} "
            f"{cb:14.2f} {ck:6.2f}   {sb:g} / {sk:g}"
        )
    if "stranger's flood" not in kenes.results:
        return
    flood_sent = max(x.sent for x in kenes.results["stranger's flood"])
    bare_sent = statistics.median(x.sent for x in bare.results["stranger's flood"])
    print(
        f"\n  a stranger's flood of {FLOOD} updates: Kenes sent them {flood_sent} message(s) "
        f"(target ≤ 1; its one answer may be an alert on a tap instead); "
        f"the bare bot {bare_sent:g}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median is printed)")
    parser.add_argument("--users", type=int, default=100, help="strangers, and staff, per round")
    parser.add_argument("--each", type=int, default=10, help="updates per user per batch")
    parser.add_argument("--profile", action="store_true", help="Kenes under cProfile")
    parser.add_argument(
        "--plain-echo",
        action="store_true",
        help="the bare bot echoes the text and draws one button (default: Kenes' bytes)",
    )
    parser.add_argument("--profile-top", type=int, default=40, help="rows of the profile")
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, help="play only this (repeatable)"
    )
    args = parser.parse_args()
    if min(args.rounds, args.users, args.each) < 1:
        parser.error("--rounds, --users and --each must be at least 1")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
