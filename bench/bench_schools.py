"""Benchmark: one process hosting many school bots (SCHOOLS_FILE) by webhook.

A real `python -m bot run` (RUN_MODE=webhook) serves the schools; the strict fake Telegram
(fakegram) runs in this process, one bot per school, and delivers each update by POSTing it
to the bot's webhook over loopback, as Telegram does. Each school has its own SQLite database
(data/NAME/kenes.db; with ``--postgres URL``, one PostgreSQL database, a schema each) and three
admins who ask ``/help`` (the full path: front door, dialogue state, routers, a reply).

1. The bot starts with ONE school; every admin of it asks once (warm-up); its resident memory
   (VmRSS of the process) is read: the baseline.
2. The file is rewritten with ``--schools`` schools and the process gets SIGHUP: the Host
   starts the other schools (webhook set, database migrated) without a restart. Every admin
   of every school asks once (warm-up), then the RSS is read again:
   memory per school = (RSS with N - RSS with 1) / (N - 1)   (goal < 5 MB).
3. Latency: ``--updates`` messages at ``--rate`` per second (open loop, to random admins of
   random schools); each one's time from the user's send to the bot's reply reaching the fake
   server. The same load is measured first against the one school (step 1): the baseline of
   the machine, the fake server and the webhook round trip. p50 / p99 / max are printed
   (goal: p99 < 50 ms with 100 schools), with the CPU the bot and the fake server used.

``--lease 30`` sets every school's OUTBOX_LEASE_TTL_S (renewed every third of it: the main
idle cost of many schools; README, "Running for a district").

    .venv/bin/python bench/bench_schools.py [--schools 100] [--updates 2000] [--rate 50]

Real time here: this measures it. Nothing runs at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fakegram import FakeTelegram
from fakegram.chats import FakeUser
from tests.process import BotProcess

PUBLIC = "https://district.bench"
SECRET = "bench-webhook-secret_0123456789abcdef"
ADMINS = (9_000_000_001, 9_000_000_002, 9_000_000_003)
START_WAIT_S = 900.0


def token_of(i: int) -> str:
    return f"{7_100_000_000 + i}:AAH-bench-school-{i:04d}-token_0123456789abcdef"


def write_schools(path: Path, count: int, postgres: str | None, lease: float | None) -> None:
    lines = ["[defaults]", f"admin_ids = [{', '.join(map(str, ADMINS))}]"]
    if lease is not None:
        lines.append(f"outbox_lease_ttl_s = {lease}")
    lines.append("")
    for i in range(count):
        lines += [f"[schools.s{i:03d}]", f'bot_token = "{token_of(i)}"']
        if postgres:
            lines += [f'database_url = "{postgres}"', f'database_schema = "s{i:03d}"']
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle_cpu(pid: int, seconds: float) -> float:
    """Share of one core the process uses while no update arrives."""
    before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replies:
    """When each question's reply reached the fake server: one watcher over the fake's calls
    (a waiter per question would cost the fake server in this process more with every
    question waiting, and would slow down the busy phase it measures)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.pending: dict[tuple[str, int], deque[tuple[float, asyncio.Future[float]]]] = {}
        self.index = 0  # calls before it are all seen
        self.seen: set[int] = set()  # finished calls after `index` already seen
        self.closed = False

    async def run(self) -> None:
        await self.fake.wait_until(self.check, timeout=10 * 24 * 3600)

    def check(self) -> bool:
        calls, now = self.fake.calls, time.perf_counter()
        for i in range(self.index, len(calls)):
            call = calls[i]
            if call.status == 0 or i in self.seen:  # not answered yet, or done already
                continue
            self.seen.add(i)
            if call.method == "sendMessage":
                queue = self.pending.get((call.token, int(call.params.get("chat_id", 0))))
                if queue:
                    started, future = queue.popleft()
                    if not future.done():
                        future.set_result(now - started)
        while self.index in self.seen:
            self.seen.discard(self.index)
            self.index += 1
        return self.closed

    async def ask(self, user: FakeUser) -> float:
        """Seconds from the user's /help to the bot's reply reaching the fake server."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        queue = self.pending.setdefault((user.bot.token, user.id), deque())
        queue.append((time.perf_counter(), future))
        await user.send("/help")
        return await asyncio.wait_for(future, 60.0)


async def load(replies: Replies, users: list[FakeUser], n: int, rate: float) -> list[float]:
    """`n` questions at `rate` per second (open loop), each from a user not already waiting."""
    rng = random.Random(7)
    busy: set[int] = set()
    tasks = []

    async def one(user: FakeUser) -> float:
        try:
            return await replies.ask(user)
        finally:
            busy.discard(id(user))

    begin = time.perf_counter()
    for k in range(n):
        await asyncio.sleep(max(0.0, begin + k / rate - time.perf_counter()))
        free = [u for u in users if id(u) not in busy]
        user = rng.choice(free or users)
        busy.add(id(user))
        tasks.append(asyncio.create_task(one(user)))
    return list(await asyncio.gather(*tasks))


@dataclass
class Phase:
    """A latency phase: each update's time, and the CPU the bot and this process (the fake
    Telegram) used meanwhile, as shares of one core."""

    times: list[float]
    bot_cpu: float
    fake_cpu: float


async def measured(
    pid: int, replies: Replies, users: list[FakeUser], n: int, rate: float
) -> Phase:
    bot_before, fake_before = cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    times = await load(replies, users, n, rate)
    wall = time.perf_counter() - started
    return Phase(
        times,
        (cpu_seconds(pid) - bot_before) / wall,
        (time.process_time() - fake_before) / wall,
    )


def describe(name: str, phase: Phase) -> str:
    ms = sorted(t * 1000 for t in phase.times)
    p99 = ms[min(len(ms) - 1, round(0.99 * len(ms)) - 1)]
    return (
        f"  {name:<20} n={len(ms):<5} p50 {statistics.median(ms):7.1f} ms   "
        f"p99 {p99:7.1f} ms   max {ms[-1]:7.1f} ms   "
        f"CPU: bot {phase.bot_cpu:4.0%}, fake {phase.fake_cpu:4.0%} of a core"
    )


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="kenes-bench-schools-") as tmp:
        folder = Path(tmp)
        schools = folder / "schools.toml"
        write_schools(schools, 1, args.postgres, args.lease)
        port = free_port()
        async with FakeTelegram() as fake:
            fake.allow("Wrong response from the webhook")
            for i in range(args.schools):
                fake.add_bot(token_of(i), username=f"kenes_bench_s{i:03d}_bot")
            fake.route_webhook(PUBLIC, f"http://127.0.0.1:{port}")
            env = {
                "RUN_MODE": "webhook",
                "WEBHOOK_URL": PUBLIC,
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_PORT": str(port),
                "SCHOOLS_FILE": str(schools),
                "BOT_TOKEN": "",
                "LOG_LEVEL": "WARNING",
            }
            proc = await BotProcess.start(fake, "", "run", cwd=folder, name="schools", **env)
            try:
                return await measure(fake, proc, schools, args)
            finally:
                if proc.process.returncode is None:
                    await proc.stop(120)
                if args.show_log:
                    print(proc.output())


def webhooks_set(fake: FakeTelegram, count: int) -> bool:
    return sum(1 for i in range(count) if fake.bot(token_of(i)).webhook_url) >= count


async def measure(
    fake: FakeTelegram, proc: BotProcess, schools: Path, args: argparse.Namespace
) -> int:
    started = time.perf_counter()
    await fake.wait_until(
        lambda: webhooks_set(fake, 1) or proc.process.returncode is not None, 120
    )
    assert proc.process.returncode is None, proc.output()
    users = {
        i: [fake.user(id=a, bot=token_of(i), first_name="Admin") for a in ADMINS]
        for i in range(args.schools)
    }
    replies = Replies(fake)
    watcher = asyncio.create_task(replies.run())
    try:
        return await measure_with(fake, proc, schools, args, users, replies, started)
    finally:
        watcher.cancel()


async def measure_with(
    fake: FakeTelegram,
    proc: BotProcess,
    schools: Path,
    args: argparse.Namespace,
    users: dict[int, list[FakeUser]],
    replies: Replies,
    started: float,
) -> int:
    await asyncio.gather(*(replies.ask(u) for u in users[0]))  # warm-up
    rss_one = rss_mb(proc.process.pid)
    idle_one = await idle_cpu(proc.process.pid, args.idle)
    print(
        f"1 school:   up in {time.perf_counter() - started:5.1f} s, RSS {rss_one:7.1f} MB, "
        f"idle CPU {idle_one:.1%} of a core"
    )
    base = await measured(proc.process.pid, replies, users[0], min(args.updates, 600), args.rate)

    write_schools(schools, args.schools, args.postgres, args.lease)
    started = time.perf_counter()
    proc.process.send_signal(signal.SIGHUP)
    await fake.wait_until(
        lambda: webhooks_set(fake, args.schools) or proc.process.returncode is not None,
        START_WAIT_S,
    )
    up = time.perf_counter() - started
    everyone = [u for i in range(args.schools) for u in users[i]]
    for k in range(0, len(everyone), 30):  # warm-up: every admin of every school, once
        await asyncio.gather(*(replies.ask(u) for u in everyone[k : k + 30]))
    rss_many = rss_mb(proc.process.pid)
    per_school = (rss_many - rss_one) / (args.schools - 1)
    idle_many = await idle_cpu(proc.process.pid, args.idle)
    print(
        f"{args.schools} schools: {args.schools - 1} added by SIGHUP in {up:5.1f} s "
        f"({up / (args.schools - 1):.2f} s each), RSS {rss_many:7.1f} MB, "
        f"idle CPU {idle_many:.1%} of a core"
    )
    many = await measured(proc.process.pid, replies, everyone, args.updates, args.rate)
    print(
        f"\nresident memory per school: {per_school:.2f} MB  (goal < 5 MB; "
        f"{rss_many:.0f} MB for {args.schools}, {rss_one:.0f} MB for 1)"
    )
    print(f"update latency at {args.rate:.0f}/s, send to reply (goal p99 < 50 ms):")
    print(describe("1 school (baseline)", base))
    print(describe(f"{args.schools} schools", many))
    if fake.violations:
        print(f"\nthe fake server saw {len(fake.violations)} violations: {fake.violations[0]}")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--updates", type=int, default=2000, help="updates for the latency")
    parser.add_argument("--rate", type=float, default=50.0, help="updates per second")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU measured")
    parser.add_argument(
        "--lease", type=float, help="OUTBOX_LEASE_TTL_S of every school (default: 6 s)"
    )
    parser.add_argument("--postgres", help="a PostgreSQL URL: one database, a schema each")
    parser.add_argument("--show-log", action="store_true", help="print the bot's output")
    args = parser.parse_args()
    if args.schools < 2 or args.updates < 1 or args.rate <= 0:
        parser.error("--schools at least 2, --updates at least 1, --rate above 0")
    return asyncio.run(run(args))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
