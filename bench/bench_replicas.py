"""Benchmark: two replicas, one send, and how fast the stand-by takes over after kill -9.

Two real processes (`python -m bot send`) share one database holding a reminder for each of
1,000 staff; the fake Telegram server (fakegram) has Telegram's flood limits on (30/s per
bot, ~1/s per chat). When 300 have been delivered, the process holding the outbox lease is
killed with kill -9. Printed per database (SQLite, and PostgreSQL in the same run when
``KENES_TEST_PG_URL`` names a server, e.g. under `scripts/with-postgres`):

* takeover: seconds from the kill to the first message the stand-by delivers (goal < 10 s;
  bounded by the lease's time to live, ``OUTBOX_LEASE_TTL_S``, 6 s by default). Deliveries in
  the first 0.2 s after the kill are the dead process's last requests and are not counted as
  the stand-by's (it cannot hold the lease that soon);
* the send rate before the kill and after the takeover (goal ≥ 27 msg/s);
* duplicates (chats that got their reminder twice: only rows in flight at the kill may) and
  losses (chats that got nothing; must be 0); the rows left in any state but ``sent``.

    .venv/bin/python -m bench.bench_replicas
    scripts/with-postgres .venv/bin/python -m bench.bench_replicas
    .venv/bin/python -m bench.bench_replicas --staff 300 --kill-at 100 --lease 3

Real sleeps and wall time here: this measures them. Nothing runs at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from db.models import ReminderState
from fakegram import FakeTelegram
from tests.databases import Databases, PostgresDatabases, SqliteDatabases
from tests.process import BotProcess
from tests.replicas import fill_outbox, holder_pid, read_outbox

SETTLE_S = 0.2  # after the kill: the dead process's last requests land


@dataclass
class Result:
    database: str
    staff: int
    lease_s: float
    takeover_s: float
    rate_before: float
    rate_after: float
    total_s: float
    duplicates: int
    in_flight_at_kill: int
    lost: int
    not_sent: int

    def row(self) -> str:
        return (
            f"{self.database:<9} {self.staff:>6} {self.lease_s:>6.1f} {self.takeover_s:>9.2f} "
            f"{self.rate_before:>8.1f} {self.rate_after:>8.1f} {self.total_s:>7.1f} "
            f"{self.duplicates:>5} {self.in_flight_at_kill:>9} {self.lost:>5} {self.not_sent:>8}"
        )


HEADER = (
    f"{'database':<9} {'staff':>6} {'lease':>6} {'takeover':>9} {'before/s':>8} "
    f"{'after/s':>8} {'total':>7} {'dups':>5} {'in flight':>9} {'lost':>5} {'not sent':>8}"
)


async def run_once(dbs: Databases, workdir: Path, args: argparse.Namespace) -> Result:
    url = await asyncio.to_thread(fresh_database, dbs, workdir)
    async with FakeTelegram() as fake:
        fake.rate_limits.configure(enabled=True, strict=False)  # Telegram's limits
        fake.allow("Too Many Requests")
        users = [fake.user(id=8_000_000_000 + k, started=True) for k in range(args.staff)]
        await fill_outbox(url, users)

        def delivered() -> int:
            return sum(len(user.bot_messages) for user in users)

        lease = f"{args.lease:g}"
        replicas = [
            await BotProcess.start(
                fake,
                url,
                "send",
                cwd=workdir,
                name=f"replica{n}",
                OUTBOX_LEASE_TTL_S=lease,
                LOG_LEVEL="WARNING",
            )
            for n in (1, 2)
        ]
        try:
            await fake.wait_until(lambda: delivered() >= 1, 120)
            first_at = time.monotonic()
            await fake.wait_until(lambda: delivered() >= args.kill_at, 300)
            _, lease = await read_outbox(url)
            assert lease is not None, "nobody holds the lease"
            pid = holder_pid(lease)
            [sender] = [r for r in replicas if r.pid == pid]
            [survivor] = [r for r in replicas if r is not sender]
            killed_at = time.monotonic()
            sent_before = delivered()
            await sender.kill()
            await asyncio.sleep(SETTLE_S)
            at_kill = delivered()
            await fake.wait_until(lambda: delivered() > at_kill, 120)
            taken_at = time.monotonic()
            from_takeover = delivered()
            await fake.wait_until(lambda: all(user.bot_messages for user in users), 600)
            done_at = time.monotonic()
            after = delivered() - from_takeover
            await survivor.stop()
        finally:
            for replica in replicas:
                await replica.kill()
        rows, _ = await read_outbox(url)
    recovered = sum(1 for row in rows if "interrupted while sending" in (row.last_error or ""))
    return Result(
        database=dbs.name,
        staff=args.staff,
        lease_s=args.lease,
        takeover_s=taken_at - killed_at,
        rate_before=sent_before / max(killed_at - first_at, 1e-9),
        rate_after=after / max(done_at - taken_at, 1e-9),
        total_s=done_at - first_at,
        duplicates=sum(1 for user in users if len(user.bot_messages) > 1),
        in_flight_at_kill=recovered,
        lost=sum(1 for user in users if not user.bot_messages),
        not_sent=sum(1 for row in rows if row.state != ReminderState.SENT),
    )


def fresh_database(dbs: Databases, workdir: Path) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    return dbs.migrated(workdir)


def open_databases(name: str, workdir: Path) -> Databases:
    if name == "postgres":
        return PostgresDatabases(os.environ["KENES_TEST_PG_URL"])
    return SqliteDatabases(workdir)


async def main_async(args: argparse.Namespace) -> int:
    names = ["sqlite"] + (["postgres"] if os.environ.get("KENES_TEST_PG_URL") else [])
    print(
        f"Two `python -m bot send` replicas, {args.staff} reminders, Telegram's flood limits on;"
        f" kill -9 of the sender after {args.kill_at} deliveries."
    )
    if "postgres" not in names:
        print("PostgreSQL: not run (no KENES_TEST_PG_URL; run under scripts/with-postgres)")
    print("Goals: takeover < 10 s, >= 27 msg/s, 0 lost, duplicates only from rows in flight.\n")
    print(HEADER)
    bad = False
    with tempfile.TemporaryDirectory(prefix="kenes-replicas-") as tmp:
        for name in names:
            dbs = await asyncio.to_thread(open_databases, name, Path(tmp) / name)
            try:
                result = await run_once(dbs, Path(tmp) / name / "run", args)
            finally:
                await asyncio.to_thread(dbs.close)
            print(result.row(), flush=True)
            bad |= bool(
                result.lost or result.not_sent or result.duplicates > result.in_flight_at_kill
            )
    print(
        "\ntakeover: kill -9 → the stand-by's first delivery; in flight: rows the stand-by"
        " found claimed by the dead sender (the at-least-once window)."
    )
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--staff", type=int, default=1000, help="reminders (one chat each)")
    parser.add_argument("--kill-at", type=int, default=300, help="deliveries before the kill")
    parser.add_argument("--lease", type=float, default=6.0, help="OUTBOX_LEASE_TTL_S")
    args = parser.parse_args(argv)
    if not 0 < args.kill_at < args.staff:
        parser.error("--kill-at must be between 0 and --staff")
    logging.basicConfig(level=logging.ERROR)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
