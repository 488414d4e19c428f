"""The council's papers: how long each takes to make. Prints numbers; asserts nothing.

    .venv/bin/python bench/bench_documents.py [--students 500] [--notes 2000] [--decisions 30]

A migrated SQLite file gets the sample year (`bot.documents.sample`, reported up to the end of
May), then sqlite3 `executemany` adds students on the register, notes across the year and
decisions to reach the sizes asked for. Timed through `bot.documents.produce` (query layer +
docxtpl / XlsxWriter), median of `--runs`:

* minutes of session №4 (target < 0.3 s);
* the register of all students on record, .xlsx and .docx (target < 1 s for 500);
* the annual analysis, .docx and .xlsx, over the whole year (target < 5 s for 300 tasks,
  30 decisions, 2,000 notes);
* baseline, same run: python-docx opening and saving the minutes template untouched (the
  floor of any Word file made here).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document
from sqlalchemy import func
from sqlmodel import select

from bot.config import CALENDAR_DIR, DEFAULT_PLAN
from bot.core.calendar import load_calendar
from bot.core.plan import load_plan
from bot.documents import DocOptions, produce
from bot.documents.data import RegisterFilter
from bot.documents.render import template_path
from bot.documents.sample import seed_year
from db.engine import create_engine, create_session_pool, upgrade_database
from db.models import Decision, Incident, Report, Student

CLASSES = [f"{n}{letter}" for n in range(1, 12) for letter in "АӘБВ"]
CATS = ("absence", "fight", "bullying", "rules", "substances", "online", "family", "other")


def fill(path: Path, students: int, notes: int, decisions: int) -> None:
    rng = random.Random(11)
    db = sqlite3.connect(path)
    stamp = "2026-10-01 04:00:00.000000"
    have = db.execute("SELECT count(*) FROM student WHERE register_status != 'none'").fetchone()[0]
    rows = []
    for i in range(max(0, students - have)):
        day = (date(2026, 9, 1) + timedelta(days=rng.randrange(200))).isoformat()
        rows.append((f"Оқушы {i}", rng.choice(CLASSES), rng.choice(("intra_school", "police",
                     "risk_group")), day, "Сабақтан жүйелі түрде қалу", stamp))  # fmt: skip
    db.executemany(
        "INSERT INTO student (full_name, class_name, register_status, registered_at, grounds,"
        " version, created_at, for_council) VALUES (?, ?, ?, ?, ?, 1, ?, 0)",
        rows,
    )
    count = db.execute("SELECT max(id) FROM student").fetchone()[0]
    have = db.execute("SELECT count(*) FROM incident").fetchone()[0]
    start = datetime(2026, 9, 1, tzinfo=UTC)
    first = db.execute("SELECT max(id) FROM incident").fetchone()[0] or 0
    incident_rows, versions = [], []
    for i in range(max(0, notes - have)):
        at = (start + timedelta(minutes=rng.randrange(380_000))).strftime("%Y-%m-%d %H:%M:%S.%f")
        incident_rows.append((rng.randrange(1, count + 1), 1, rng.choice(CATS), at, at))
        versions.append((first + i + 1, 1, "Жазба мәтіні", at, 1))
    db.executemany(
        "INSERT INTO incident (student_id, author_person_id, category, occurred_at, created_at,"
        " for_council) VALUES (?, ?, ?, ?, ?, 0)",
        incident_rows,
    )
    db.executemany(
        "INSERT INTO incident_version (incident_id, version, text, edited_at, editor_person_id)"
        " VALUES (?, ?, ?, ?, ?)",
        versions,
    )
    have = db.execute("SELECT count(*) FROM decision").fetchone()[0]
    session_id = db.execute("SELECT max(id) FROM council_session").fetchone()[0]
    db.executemany(
        "INSERT INTO decision (session_id, text, owner_person_id, deadline, created_at,"
        " item_number, due_kind) VALUES (?, ?, 1, ?, ?, 1, 'date')",
        [(session_id, f"Шешім {i}", "2027-01-20 13:00:00.000000", stamp)
         for i in range(max(0, decisions - have))],
    )  # fmt: skip
    db.commit()
    db.execute("ANALYZE")
    db.close()


async def timed(runs: int, step: Callable[[], Awaitable[object]]) -> float:
    await step()  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await step()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


async def main(students: int, notes: int, decisions: int, runs: int) -> None:
    plan = load_plan(DEFAULT_PLAN)
    calendar = load_calendar(CALENDAR_DIR / "2026-2027.json")
    end = datetime(2027, 5, 25, 19, 0, tzinfo=calendar.tz)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade_database(url)
        engine = create_engine(url)
        pool = create_session_pool(engine)
        t0 = time.perf_counter()
        async with pool() as session:
            await seed_year(session, plan, calendar, until=end)
        fill(path, students, notes, decisions)
        async with pool() as session:
            registered = (
                await session.exec(
                    select(func.count())
                    .select_from(Student)
                    .where(Student.register_status != "none")
                )
            ).one()
            counts = [
                (await session.exec(select(func.count()).select_from(m))).one()
                for m in (Incident, Decision, Report)
            ]
        print(
            f"filled in {time.perf_counter() - t0:.1f} s: {registered} students on the register, "
            f"{counts[0]} notes, {counts[1]} decisions, {counts[2]} task reports"
        )
        opts = DocOptions()

        def make(
            coro: Callable[..., Awaitable[object]], *args: object, **kw: object
        ) -> Callable[[], Awaitable[object]]:
            async def step() -> object:
                async with pool() as session:
                    return await coro(session, plan, calendar, end, "kk", opts, *args, **kw)

            return step

        async def floor() -> None:
            doc = Document(str(template_path("minutes", "kk")))
            doc.save(io.BytesIO())

        rows = [
            ("baseline: python-docx open + save", await timed(runs, floor), None),
            ("minutes №4 (.docx)", await timed(runs, make(produce.minutes, 4)), 0.3),
            (
                f"register, {registered} students (.xlsx)",
                await timed(runs, make(produce.register, RegisterFilter.CURRENT, "xlsx")),
                1.0,
            ),
            (
                f"register, {registered} students (.docx)",
                await timed(runs, make(produce.register, RegisterFilter.CURRENT, "docx")),
                1.0,
            ),
            (
                "annual analysis (.docx)",
                await timed(max(1, runs // 2), make(produce.analysis, half=False)),
                5.0,
            ),
            (
                "annual analysis (.xlsx, charts)",
                await timed(max(1, runs // 2), make(produce.analysis, half=False, fmt="xlsx")),
                5.0,
            ),
        ]
        await engine.dispose()
    print(f"{'document':<40} {'median':>9}  target")
    for name, seconds, target in rows:
        mark = "" if target is None else f"< {target:g} s {'ok' if seconds < target else 'SLOW'}"
        print(f"{name:<40} {seconds * 1000:7.0f} ms  {mark}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.students, args.notes, args.decisions, args.runs))
