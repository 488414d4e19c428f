"""Filing a note and opening a card with 1,000 students and 100,000 notes. Prints p50/p99 (ms).

    .venv/bin/python bench/bench_incidents.py [--students N] [--notes N] [--runs N]

A fresh migrated SQLite file (WAL, the bot's pragmas) is filled with sqlite3 `executemany`, then
timed through the bot's own code on the async engine:

* **file a note**: `incidents.file_incident` + the notices into the outbox (three recipients,
  as the handler does) + commit;
* **open a card**: `students.open_card` (audit row + commit, chronology of events and notes)
  + rendering the card text;
* **baseline**, in the same run: a bare ``SELECT`` of a student by primary key on the same
  engine, which is what one round trip through SQLAlchemy + aiosqlite costs on this machine.

Target: p99 < 50 ms for both.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bot.handlers.incidents import _notify
from bot.handlers.students import render_card
from bot.services import incidents, students
from db.engine import create_engine, create_session_pool, upgrade_database
from db.models import IncidentCategory, Person, Student

TZ = ZoneInfo("Asia/Aqtobe")
CATS = [c.value for c in IncidentCategory]
CLASSES = [f"{n}{letter}" for n in range(1, 12) for letter in "АӘБВ"]


def fill(path: Path, n_students: int, n_notes: int) -> None:
    rng = random.Random(7)
    start = datetime(2025, 9, 1, tzinfo=UTC)
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys=ON")
    now = "2026-11-24 04:00:00.000000"
    people = [
        ("sp", "Social", '["social_pedagogue"]'),
        ("ps", "Psych", '["psychologist"]'),
        ("dd", "Deputy", '["deputy_director"]'),
        ("ch", "Chair", '["chair"]'),
    ]
    db.executemany(
        "INSERT INTO person (key, name, roles, active, created_at) VALUES (?, ?, ?, 1, ?)",
        [(*p, now) for p in people],
    )
    db.executemany(
        "INSERT INTO account (person_id, telegram_user_id, chat_id, language, state, joined_at,"
        " unreachable_notified) VALUES (?, ?, ?, 'kk', 'joined', ?, 0)",
        [(i, 1000 + i, 1000 + i, now) for i in range(1, 5)],
    )
    db.executemany(
        "INSERT INTO student (full_name, class_name, register_status, version, created_at,"
        " for_council) VALUES (?, ?, 'none', 1, ?, 0)",
        [(f"Оқушы {i}", rng.choice(CLASSES), now) for i in range(n_students)],
    )
    notes, versions = [], []
    for i in range(1, n_notes + 1):
        at = (start + timedelta(minutes=rng.randrange(600_000))).strftime("%Y-%m-%d %H:%M:%S.%f")
        notes.append((rng.randrange(1, n_students + 1), 1, rng.choice(CATS), at, at))
        versions.append((i, 1, "Жазба мәтіні " * rng.randrange(2, 30), at, 1))
    db.executemany(
        "INSERT INTO incident (student_id, author_person_id, category, occurred_at, created_at,"
        " for_council) VALUES (?, ?, ?, ?, ?, 0)",
        notes,
    )
    db.executemany(
        "INSERT INTO incident_version (incident_id, version, text, edited_at, editor_person_id)"
        " VALUES (?, ?, ?, ?, ?)",
        versions,
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(runs: int, step: Callable[[int], Awaitable[object]]) -> list[float]:
    for i in range(min(20, runs)):  # warm-up
        await step(i)
    out = []
    for i in range(runs):
        t0 = time.perf_counter()
        await step(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def main(n_students: int, n_notes: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        t0 = time.perf_counter()
        upgrade_database(url)
        fill(path, n_students, n_notes)
        print(f"filled {n_students} students, {n_notes} notes in {time.perf_counter() - t0:.1f} s")
        engine = create_engine(url)
        pool = create_session_pool(engine)
        rng = random.Random(1)
        now = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
        async with pool() as session:
            author = await session.get(Person, 1)
            chair = await session.get(Person, 4)
        assert author is not None and chair is not None

        async def baseline(_: int) -> None:
            async with pool() as session:
                await session.get(
                    Student, rng.randrange(1, n_students + 1), populate_existing=True
                )

        async def bare_sql(_: int) -> None:
            async with pool() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]

        async def file_note(i: int) -> None:
            async with pool() as session:
                note = await incidents.file_incident(
                    session,
                    student_id=rng.randrange(1, n_students + 1),
                    author=author,
                    category=IncidentCategory.FIGHT,
                    text="Bench note " * 20,
                    occurred_at=now,
                    now=now + timedelta(seconds=i),
                )
                await _notify(session, note, author, now, incidents.DEFAULT_CONFIG)
                await session.commit()

        async def open_card(_: int) -> None:
            async with pool() as session:
                card = await students.open_card(
                    session, rng.randrange(1, n_students + 1), chair, now
                )
                assert card is not None
                render_card("kk", card, TZ, {})

        rows = []
        for name, step in [
            ("baseline: SELECT student by pk", baseline),
            ("baseline: SELECT 1", bare_sql),
            ("file a note (+3 notices, commit)", file_note),
            ("open a card (+audit, commit)", open_card),
        ]:
            samples = await timed(runs, step)
            rows.append((name, statistics.median(samples), pct(samples, 0.99), max(samples)))
        await engine.dispose()
    print(f"{'operation':38} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   ({runs} runs)")
    for name, p50, p99, worst in rows:
        print(f"{name:38} {p50:8.2f} {p99:8.2f} {worst:8.2f}")
    worst_p99 = max(r[2] for r in rows[2:])
    print(f"target p99 < 50 ms: {'met' if worst_p99 < 50 else 'MISSED'} (worst {worst_p99:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.students, args.notes, args.runs))
