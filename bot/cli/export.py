"""`python -m bot export ...`: the council's papers as files, from the command line.

    python -m bot export minutes --session 4 [--appendix]
    python -m bot export register [--filter current|year|removed] [--format xlsx|docx]
    python -m bot export analysis --half 1 | --year [--format docx|xlsx]
    python -m bot export student ID
    python -m bot export plan

Each takes ``--lang kk|ru`` (default: DEFAULT_LANGUAGE) and ``-o FILE`` (default: a dated file
name in ``documents/`` beside the database). The path written is the only output; a problem is
one line on stderr and exit code 1. A child's case file is audited (``document.case_file``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any


def add_export_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="write a council document (.docx / .xlsx)")
    kinds = export.add_subparsers(dest="kind", metavar="document", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lang", choices=("kk", "ru"), help="language (default: DEFAULT_LANGUAGE)")
        p.add_argument("-o", "--output", type=Path, help="the file to write")
        p.set_defaults(handler=_export)

    minutes = kinds.add_parser("minutes", help="the minutes of a recorded session")
    minutes.add_argument("--session", type=int, required=True, metavar="N")
    minutes.add_argument(
        "--appendix", action="store_true", help="with the closed appendix (children's names)"
    )
    common(minutes)
    register = kinds.add_parser("register", help="the register of students on preventive record")
    register.add_argument("--filter", choices=("current", "year", "removed"), default="current")
    register.add_argument("--format", choices=("xlsx", "docx"), default="xlsx")
    common(register)
    analysis = kinds.add_parser("analysis", help="the half-year or annual analysis")
    period = analysis.add_mutually_exclusive_group(required=True)
    period.add_argument("--half", type=int, choices=(1,), help="the first half-year (session 5)")
    period.add_argument("--year", action="store_true", help="the school year (session 10)")
    analysis.add_argument("--format", choices=("docx", "xlsx"), default="docx")
    common(analysis)
    student = kinds.add_parser("student", help="a child's case file (audited)")
    student.add_argument("id", type=int, help="the student's number (as in /students)")
    common(student)
    plan = kinds.add_parser("plan", help="the effective plan for this year, for signature")
    common(plan)


def _export(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("aiosqlite", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"cannot read the settings: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_aexport(args, settings))
    except _Problem as exc:
        print(exc, file=sys.stderr)
        return 1


class _Problem(Exception):
    """One line for stderr."""


def data_folder(database_url: str) -> Path:
    """Where a SQLite database lives (documents go beside it); `data/` otherwise."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent
    return Path("data").resolve()


async def _aexport(args: argparse.Namespace, settings: Any) -> int:
    from datetime import date
    from zoneinfo import ZoneInfo

    from bot.clock import SystemClock
    from bot.config import CALENDAR_DIR
    from bot.core.calendar import CalendarError, find_calendar, load_calendar
    from bot.core.plan import PlanError, load_plan
    from bot.documents import TemplateProblem, produce
    from bot.documents import data as q
    from bot.services.staff import sync_people
    from db.engine import create_engine, create_session_pool, upgrade_database

    lang = args.lang or (settings.default_language if settings.default_language in ("kk", "ru")
                         else "kk")  # fmt: skip
    clock = SystemClock(ZoneInfo(settings.timezone))
    now = clock.now()
    try:
        plan = load_plan(settings.plan_path)
        today: date = now.date()
        calendar = load_calendar(settings.calendar_path or find_calendar(CALENDAR_DIR, today))
    except (PlanError, CalendarError, ValueError) as exc:
        raise _Problem(f"cannot start: {exc}") from None
    schema = settings.database_schema
    await asyncio.to_thread(upgrade_database, settings.database_url, schema=schema)
    engine = create_engine(settings.database_url, schema=schema)
    opts = produce.options(settings)
    try:
        async with create_session_pool(engine)() as session:
            await sync_people(session, plan)
            try:
                made = await _make(args, session, plan, calendar, now, lang, opts)
            except TemplateProblem as exc:
                raise _Problem(str(exc)) from None
            except q.NotRecorded:
                raise _Problem(
                    f"session {args.session} of {calendar.year} is not recorded yet "
                    "(record it in the bot: /sessions)"
                ) from None
    finally:
        await engine.dispose()
    if made is None:
        raise _Problem(f"no student with number {args.id}")
    path: Path = args.output or data_folder(settings.database_url) / "documents" / made.filename
    try:
        await asyncio.to_thread(_write, path, made.content)
    except OSError as exc:
        raise _Problem(f"cannot write {path}: {exc.strerror}") from None
    print(path)
    if made.sensitive:
        print("(it holds children's names: keep it private)", file=sys.stderr)
    return 0


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


async def _make(
    args: argparse.Namespace, session: Any, plan: Any, calendar: Any, now: Any, lang: str,
    opts: Any,
) -> Any:  # fmt: skip
    from bot.documents import data as q
    from bot.documents import produce

    if args.kind == "minutes":
        return await produce.minutes(
            session, plan, calendar, now, lang, opts, args.session,
            with_appendix=bool(args.appendix),
        )  # fmt: skip
    if args.kind == "register":
        return await produce.register(
            session, plan, calendar, now, lang, opts, q.RegisterFilter(args.filter), args.format
        )
    if args.kind == "analysis":
        return await produce.analysis(
            session, plan, calendar, now, lang, opts, half=not args.year, fmt=args.format
        )
    if args.kind == "student":
        return await produce.case_file(
            session, plan, calendar, now, lang, opts, args.id, actor=None, via="cli"
        )
    return await produce.effective_plan(session, plan, calendar, now, lang, opts)
