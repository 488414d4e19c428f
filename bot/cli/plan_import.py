"""`python -m bot plan import|versions|rollback|describe`: the school's own plan comes in.

python -m bot plan import FILE [--write] [--lang kk|ru]   read a .docx/.xlsx/.txt plan and print
                                    the review; --write keeps it as the plan in use (a new
                                    version; the previous one stays: `plan versions`)
python -m bot plan versions         the versions of the plan in use, newest last
python -m bot plan rollback N       make version N the plan in use again (as a new version)
python -m bot plan describe         the plan in use as the bot reads it this school year:
                                    years rolled, timings and hosts set in the chat
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import CALENDAR_DIR, DEFAULT_PLAN, SEED_DIR

SCHOOL_TZ = ZoneInfo("Asia/Aqtobe")


def add_import_commands(plan_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = plan_sub.add_parser("import", help="read a school's plan (.docx, .xlsx, .txt)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--write", action="store_true", help="keep it as the plan in use")
    imp.add_argument("--lang", choices=("kk", "ru"), default="kk")
    imp.add_argument("--mapping", type=Path, help="a hand-kept mapping (.txt plans, see seed/)")
    imp.add_argument("--calendar", type=Path, help="calendar year file for the first dates")
    imp.add_argument("--plans-dir", type=Path, help="where versions are kept (PLANS_DIR)")
    imp.add_argument("-o", "--output", type=Path, help="also write the plan data to this file")
    imp.set_defaults(handler=_import)

    versions = plan_sub.add_parser("versions", help="the versions of the plan in use")
    versions.add_argument("--plans-dir", type=Path)
    versions.set_defaults(handler=_versions)

    rollback = plan_sub.add_parser("rollback", help="make version N the plan in use again")
    rollback.add_argument("number", type=int)
    rollback.add_argument("--plans-dir", type=Path)
    rollback.set_defaults(handler=_rollback)

    describe = plan_sub.add_parser("describe", help="the plan in use, as the bot reads it")
    describe.add_argument("--calendar", type=Path)
    describe.set_defaults(handler=_describe)


def _settings() -> Any:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()
    except ValidationError:
        return Settings(_env_file=None)  # type: ignore[call-arg]


def _plans_dir(args: argparse.Namespace) -> Path:
    given: Path | None = getattr(args, "plans_dir", None)
    return given if given is not None else Path(_settings().plans_dir)


def _today() -> date:
    return datetime.now(SCHOOL_TZ).date()


def _plain(line: str) -> str:
    return html.unescape(re.sub(r"</?b>", "", line))


@dataclass
class Reading:
    """A file read and checked: what the CLI and the bot both show and write."""

    name: str
    data: dict[str, Any]
    imported: Any  # bot.core.importer.Imported
    plan: Any  # bot.core.plan.Plan | None
    errors: list[Any]  # PlanError


def read_plan(
    name: str, content: bytes, *, known: Any, school_year: str, mapping: dict[str, Any] | None
) -> Reading:
    """Read a plan file into checked plan data. Raises `ReadError` for a file that is no plan."""
    from bot.core.convert import convert
    from bot.core.importer import import_tables
    from bot.core.plan import PlanError, parse_plan
    from bot.plan_import.readers import read_plan_file

    document = read_plan_file(name, content)
    imported = import_tables(
        document.tables,
        source=Path(name).name,
        school_year=school_year,
        title=document.title,
        known=known,
    )
    data = imported.data
    if mapping is not None:
        data, _problems = convert(content.decode("utf-8-sig"), mapping)
        imported.data = data
    plan = None
    errors: list[PlanError] = []
    try:
        plan = parse_plan(data, name)
    except PlanError as error:
        errors = [error, *error.others]
    return Reading(name, data, imported, plan, errors)


def _mapping_for(path: Path, given: Path | None) -> dict[str, Any] | None:
    candidate = given
    if candidate is None and path.suffix.lower() == ".txt":
        beside = path.with_name("plan-mapping.json")
        if beside.is_file():
            candidate = beside
    if candidate is None:
        return None
    mapping: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
    if given is None and mapping.get("source") != path.name:
        return None  # a mapping for another text
    return mapping


def _known_plan(plans_dir: Path) -> Any:
    from bot.core.plan import PlanError
    from bot.plan_import.store import load_plan_in_use

    try:
        return load_plan_in_use(DEFAULT_PLAN, DEFAULT_PLAN, plans_dir)
    except PlanError:
        return None


def _calendar(path: Path | None) -> Any:
    from bot.core.calendar import CalendarError, find_calendar, load_calendar

    try:
        return load_calendar(path or find_calendar(CALENDAR_DIR, _today()))
    except CalendarError:
        return None


def _import(args: argparse.Namespace) -> int:
    from bot.core.importer.compare import compare_plans
    from bot.plan_import.readers import ReadError
    from bot.plan_import.review import review_lines
    from bot.plan_import.store import PlanStore, PlanStoreError
    from bot.texts import t

    path: Path = args.file
    try:
        content = path.read_bytes()
        mapping = _mapping_for(path, args.mapping)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    plans_dir = _plans_dir(args)
    known = _known_plan(plans_dir)
    calendar = _calendar(args.calendar)
    year = calendar.year if calendar is not None else f"{_today().year}-{_today().year + 1}"
    try:
        reading = read_plan(path.name, content, known=known, school_year=year, mapping=mapping)
    except ReadError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    lang = args.lang
    for line in review_lines(
        lang, path.name, reading.imported, reading.plan, calendar, reading.errors
    ):
        print(_plain(line))
    if reading.plan is not None and known is not None:
        comparison = compare_plans(known, reading.plan)
        print()
        print(_plain(t(lang, "imp_kept", count=len(comparison.same))))
        if comparison.removed:
            print(_plain(t(lang, "imp_removed", refs=", ".join(comparison.removed))))
    if args.output is not None:
        from bot.core.convert import dump_json

        args.output.write_text(dump_json(reading.data), encoding="utf-8")
    if reading.errors:
        print(_plain(t(lang, "imp_cannot_write", count=len(reading.errors))), file=sys.stderr)
        return 1
    if not args.write:
        print(_plain(t(lang, "imp_not_written")))
        return 0
    try:
        version = PlanStore(plans_dir).save(
            reading.data, source=path.name, now=datetime.now(SCHOOL_TZ)
        )
    except (OSError, PlanStoreError) as exc:
        print(f"{plans_dir}: cannot write: {exc}", file=sys.stderr)
        return 1
    where = PlanStore(plans_dir).path_of(version)
    print(_plain(t(lang, "imp_written", version=version.number, path=where)))
    return 0


def _versions(args: argparse.Namespace) -> int:
    from bot.plan_import.store import PlanStore, PlanStoreError

    store = PlanStore(_plans_dir(args))
    try:
        found = store.versions()
    except PlanStoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    if not found:
        seed = DEFAULT_PLAN.relative_to(SEED_DIR.parent)
        print(f"no imported plan in {store.root}: the bot uses {seed}")
        return 0
    for v in found:
        active = "  ← in use" if v is found[-1] else ""
        note = f"  ({v.note})" if v.note else ""
        print(
            f"{v.number:>3}  {v.saved_at[:19].replace('T', ' ')}  {v.source}  "
            f"{v.items} items, {v.sessions} sessions{note}{active}"
        )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from bot.plan_import.store import PlanStore, PlanStoreError

    store = PlanStore(_plans_dir(args))
    try:
        version = store.rollback(args.number, now=datetime.now(SCHOOL_TZ))
    except PlanStoreError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"version {args.number} is in use again (saved as version {version.number})")
    return 0


def _describe(args: argparse.Namespace) -> int:
    import asyncio

    from bot.core.describe import describe_in_use
    from bot.core.overrides import PlanOverrides, apply_overrides
    from bot.core.plan import PlanError
    from bot.core.yearroll import roll_years
    from bot.plan_import.store import PlanStoreError, plan_path_in_use

    settings = _settings()
    try:
        path = plan_path_in_use(settings.plan_path, DEFAULT_PLAN, settings.plans_dir)
        from bot.core.plan import load_plan

        plan = load_plan(path)
    except (PlanError, PlanStoreError) as exc:
        print(exc, file=sys.stderr)
        return 1
    calendar = _calendar(args.calendar)
    rolled: tuple[Any, ...] = ()
    if calendar is not None:
        plan, rolled = roll_years(plan, calendar.year)
    overrides = asyncio.run(_overrides(settings.database_url, settings.database_schema))
    plan = apply_overrides(plan, overrides or PlanOverrides())
    print(f"plan in use: {path}")
    for line in describe_in_use(
        plan,
        school_year=calendar.year if calendar is not None else None,
        rolled=rolled,
        timing_set=set(overrides.timing) if overrides else (),
        host_set=set(overrides.hosts) if overrides else (),
    ):
        print(line)
    return 0


async def _overrides(database_url: str, schema: str | None = None) -> Any:
    """The chat's overrides, if the database is there (describe never creates one)."""
    from sqlalchemy.exc import OperationalError

    from bot.backup import BackupError, database_path
    from bot.services.plan_overrides import load_plan_overrides
    from db.engine import create_engine, create_session_pool

    try:
        if not database_path(database_url).is_file():
            return None
    except BackupError:
        pass  # not SQLite: ask the server
    engine = create_engine(database_url, schema=schema)
    try:
        async with create_session_pool(engine)() as session:
            return await load_plan_overrides(session)
    except OperationalError:
        return None  # not migrated yet
    finally:
        await engine.dispose()
