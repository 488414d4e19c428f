"""`python -m bot schedule` and `python -m bot calendar`: what is due when, and the school year.

Both read files only (the plan and a calendar year file); no Telegram token, no database.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.calendar import CalendarError, SchoolCalendar, find_calendar, load_calendar
from bot.core.schedule import Occurrence

SCHOOL_TZ = ZoneInfo("Asia/Aqtobe")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class _Usage(ValueError):
    """A bad argument, reported as one line."""


def add_schedule_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = sub.add_parser(
        "schedule",
        help="list what the plan makes due in a period",
        description="List the plan's occurrences due from --from to --to (inclusive).",
    )
    schedule.add_argument(
        "--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD (default: today)"
    )
    schedule.add_argument(
        "--to", dest="end", metavar="DATE", help="last day, YYYY-MM-DD (default: a week on)"
    )
    schedule.add_argument(
        "--format", choices=("text", "json", "csv", "xlsx", "ics"), default="text"
    )
    schedule.add_argument("--lang", choices=("kk", "ru"), default="kk", help="text language")
    schedule.add_argument("-o", "--output", type=Path, help="write to this file (xlsx: needed)")
    schedule.add_argument("--plan", type=Path, help="plan file (default: seed/plan.json)")
    schedule.add_argument(
        "--calendar", type=Path, help="calendar year file (default: the year of --from)"
    )
    schedule.set_defaults(handler=_schedule)

    calendar = sub.add_parser(
        "calendar",
        help="show the school year: quarters, holidays, public holidays",
        description="Show a school-year calendar file as the bot reads it.",
    )
    calendar.add_argument(
        "--calendar", type=Path, help="calendar year file (default: the current year's)"
    )
    calendar.set_defaults(handler=_calendar)
    from bot.cli.calendar_new import add_calendar_new_command

    add_calendar_new_command(calendar)


def _plan_in_use() -> Path:
    from pydantic import ValidationError

    from bot.config import DEFAULT_PLAN, Settings
    from bot.plan_import.store import plan_path_in_use

    try:
        settings = Settings()
    except ValidationError:
        return DEFAULT_PLAN
    return plan_path_in_use(settings.plan_path, DEFAULT_PLAN, settings.plans_dir)


def _today() -> date:
    return datetime.now(SCHOOL_TZ).date()


def _date(text: str | None, option: str, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Usage(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _load_calendar(path: Path | None, today: date) -> SchoolCalendar:
    from bot.config import CALENDAR_DIR

    return load_calendar(path if path is not None else find_calendar(CALENDAR_DIR, today))


def _schedule(args: argparse.Namespace) -> int:
    from bot.core.plan import PlanError, load_plan
    from bot.core.schedule import occurrences

    try:
        start = _date(args.start, "--from", _today())
        end = _date(args.end, "--to", start + timedelta(days=6))
        if end < start:
            raise _Usage(f"--to {end} is before --from {start}")
        calendar = _load_calendar(args.calendar, start)
        plan = load_plan(args.plan if args.plan is not None else _plan_in_use())
    except PlanError as exc:
        print(exc.line(), file=sys.stderr)
        return 1
    except (CalendarError, _Usage) as exc:
        print(exc, file=sys.stderr)
        return 1
    from bot.cli import schedule_formats as formats
    from bot.core.overrides import needs_timing
    from bot.core.plan_lang import localize
    from bot.core.yearroll import roll_years

    plan, _ = roll_years(plan, calendar.year)
    found = [localize(o, plan, args.lang) for o in occurrences(plan, calendar, start, end)]
    if args.format == "xlsx" and args.output is None:
        print("--format xlsx needs -o FILE", file=sys.stderr)
        return 1
    text: str | None = None
    if args.format == "json":
        text = json.dumps([occurrence_json(o) for o in found], ensure_ascii=False, indent=2)
        text += "\n"
    elif args.format == "csv":
        text = formats.schedule_csv(found, args.lang)
    elif args.format == "ics":
        text = formats.schedule_ics(found, calendar, args.lang)
    elif args.format == "xlsx":
        args.output.write_bytes(formats.schedule_xlsx(found, args.lang))
        return 0
    else:
        undated = [ref for ref, _ in needs_timing(plan)]
        text = "\n".join(formats.schedule_table(found, calendar, start, end, args.lang, undated))
        text += "\n"
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8", newline="")
    else:
        sys.stdout.write(text)
    return 0


def occurrence_json(occ: Occurrence) -> dict[str, Any]:
    return {
        "key": occ.key,
        "ref": occ.ref,
        "item_ref": occ.item_ref,
        "title": occ.title,
        "kind": occ.kind,
        "rule": occ.rule,
        "window_start": occ.window_start.isoformat(),
        "due": occ.due.isoformat(),
        "date_set": occ.date_set,
        "responsible": list(occ.responsible_names),
        "people": list(occ.people),
        "groups": list(occ.groups),
        "checklist": list(occ.checklist),
        "agenda": [
            {"number": a.number, "title": a.title, "reporters": list(a.reporters)}
            for a in occ.agenda
        ],
        "reminders": [
            {"kind": r.kind, "at": r.at.isoformat(), "to": list(r.to)} for r in occ.reminders
        ],
    }


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _day(d: date) -> str:
    return f"{d.isoformat()} {WEEKDAYS[d.weekday()]}"


def schedule_text(
    found: list[Occurrence], calendar: SchoolCalendar, start: date, end: date
) -> list[str]:
    """The period as a council secretary would write it: dated work in order, and each item
    done every school day on one line of its own (the JSON lists every day)."""
    lines = [
        f"Due {_day(start)} .. {_day(end)} (school year {calendar.year}, {calendar.timezone})"
    ]
    if not found:
        lines.append("nothing is due")
        return lines
    daily: dict[str, list[Occurrence]] = {}
    dated = []
    for occ in found:
        if occ.rule == "daily":
            daily.setdefault(occ.ref, []).append(occ)
        else:
            dated.append(occ)
    lines.append(f"{'due':<20} {'ref':<10} {'title':<48} responsible")
    for occ in dated:
        due = occ.due
        when = f"{_day(due.date())} {due:%H:%M}"
        if not occ.date_set:
            when += "?"
        lines.append(_row(when, occ))
    for occs in daily.values():
        lines.append(_row(f"every school day ({len(occs)})", occs[0]))
    if any(not o.date_set for o in found):
        lines.append("? the session's date is not set yet: a default day, the chair sets it")
    lines.append(f"{len(found)} due")
    return lines


def _row(when: str, occ: Occurrence) -> str:
    who = ", ".join(occ.responsible_names) or "-"
    return f"{when:<20} {occ.ref:<10} {_short(occ.title, 48):<48} {_short(who, 60)}"


def _calendar(args: argparse.Namespace) -> int:
    try:
        calendar = _load_calendar(args.calendar, _today())
    except CalendarError as exc:
        print(exc, file=sys.stderr)
        return 1
    for line in calendar_text(calendar):
        print(line)
    return 0


def _mark(provisional: bool) -> str:
    return "  PROVISIONAL" if provisional else ""


def calendar_text(cal: SchoolCalendar) -> list[str]:
    days = "5-day" if cal.school_days_per_week == 5 else "6-day"
    lines = [
        f"School year {cal.year} ({cal.timezone}, {days} week){_mark(cal.provisional)}",
        f"Classes: {_day(cal.first_day)} .. {_day(cal.last_day)}",
    ]
    if cal.source:
        lines.append(f"Source: {cal.source}")
    lines.append("Quarters:")
    for q in cal.quarters:
        count = cal.count_school_days(q.start, q.end)
        lines.append(
            f"  {q.number}  {q.start} .. {q.end}  {count} school days{_mark(q.provisional)}"
        )
    lines.append("Holidays:")
    for hol in cal.holidays:
        grades = "" if hol.grades is None else f" (grade {', '.join(map(str, hol.grades))} only)"
        lines.append(
            f"  {hol.start} .. {hol.end}  {hol.days:>3} days  {hol.names.kk} / {hol.names.ru}"
            f"{grades}{_mark(hol.provisional)}"
        )
    lines.append("Public holidays:")
    moved = {off.instead_of: off for off in cal.days_off}
    for ph in cal.public_holidays:
        lines.append(f"  {_day(ph.date)}  {ph.names.kk} / {ph.names.ru}{_mark(ph.provisional)}")
        off = moved.get(ph.date)
        if off is not None:
            lines.append(f"      day off moved to {_day(off.date)}{_mark(off.provisional)}")
    total = cal.count_school_days()
    lines.append(f"School days: {total}")
    for grade in sorted({g for h in cal.breaks for g in h.grades or ()}):
        lines.append(f"School days for grade {grade}: {cal.count_school_days(grade=grade)}")
    if cal.provisional or any(h.provisional for h in cal.holidays):
        lines.append("PROVISIONAL dates follow the usual pattern; correct the file when the order")
        lines.append("for this year is published.")
    return lines
