"""`python -m bot audit students --since DATE`: the students whose cards or notes were opened or
changed in a period, from the audit log (README, "Personal data": the first day after a leak).

By default ids and classes only; ``--names`` adds names (to tell the families: print it on the
school's machine, not into a shared chat). ``--person ID`` narrows it to what one person did
(a lost phone), ``--format csv`` for a spreadsheet. Nothing touches the network.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def add_audit_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="what the audit log says (after a leak: who was seen)")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="audit-command", required=True)
    students = audit_sub.add_parser(
        "students", help="students whose cards or notes were opened or changed since DATE"
    )
    students.add_argument("--since", required=True, type=_day, help="YYYY-MM-DD (school time)")
    students.add_argument("--until", type=_day, help="YYYY-MM-DD, inclusive (default: now)")
    students.add_argument("--person", type=int, help="only what this person id did")
    students.add_argument("--names", action="store_true", help="add the students' names")
    students.add_argument("--format", choices=("text", "csv"), default="text")
    students.set_defaults(handler=_students)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _students(args: argparse.Namespace) -> int:
    from bot.config_check import settings_for_tool

    settings = settings_for_tool()
    if settings is None:
        return 1
    return asyncio.run(
        _astudents(
            args, settings.database_url, ZoneInfo(settings.timezone), settings.database_schema
        )
    )


async def _astudents(
    args: argparse.Namespace, database_url: str, tz: ZoneInfo, schema: str | None = None
) -> int:
    from sqlmodel import col, select

    from bot.services.affected import affected_students
    from db.engine import create_engine, create_session_pool, upgrade_database
    from db.models import Student

    since = datetime.combine(args.since, time(0), tzinfo=tz)
    until = (
        datetime.combine(args.until + timedelta(days=1), time(0), tzinfo=tz)
        if args.until
        else datetime.now(tz)
    )
    if until <= since:
        print("--until must not be before --since", file=sys.stderr)
        return 1
    await asyncio.to_thread(upgrade_database, database_url, schema=schema)
    engine = create_engine(database_url, schema=schema)
    try:
        async with create_session_pool(engine)() as session:
            found = await affected_students(session, since, until, person_id=args.person)
            names: dict[int, str] = {}
            if args.names and found:
                wanted = [a.student_id for a in found]
                rows = await session.exec(
                    select(Student.id, Student.full_name).where(col(Student.id).in_(wanted))
                )
                names = {sid: name for sid, name in rows.all() if sid is not None}
    finally:
        await engine.dispose()
    header = [
        "student",
        "class",
        "opened",
        "changed",
        "denied",
        "first",
        "last",
        "by (person ids)",
    ]
    if args.names:
        header.insert(1, "name")
    rows = []
    for a in found:
        row = [
            str(a.student_id),
            a.class_name,
            str(a.opened),
            str(a.changed),
            str(a.denied),
            _when(a.first, tz),
            _when(a.last, tz),
            ", ".join(str(p) for p in sorted(a.people)),
        ]
        if args.names:
            row.insert(1, names.get(a.student_id, ""))
        rows.append(row)
    if args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return 0
    period = f"{args.since} .. {args.until or 'now'}"
    who = f", by person {args.person}" if args.person is not None else ""
    print(f"Students whose cards or notes were opened or changed, {period}{who}: {len(rows)}")
    if rows:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment is not None else ""
