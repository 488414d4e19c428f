"""`python -m bot calendar new YEAR`: write a school-year file for a new year.

    python -m bot calendar new 2027-2028 --autumn 2027-10-25:2027-10-31 \\
        --winter 2027-12-29:2028-01-07 --grade1 2028-02-07:2028-02-13 \\
        --spring 2028-03-18:2028-03-29 --summer-from 2028-05-26 [--order "No 123, 5.08.2027"]

Public holidays and the days off for weekend holidays come from the law (bot/core/holidays.py);
the break dates are typed in from the Ministry's order. Without `--order` the file is marked
PROVISIONAL. Kurban Ait comes from a table of expected dates (provisional) unless typed in with
`--kurban-ait`. Missing dates are asked for when the terminal is interactive. The file is
validated by the calendar loader before and after it is written; bad input is one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from bot.core.calendar_new import NewCalendarError

REQUIRED = (
    ("autumn", "--autumn", "autumn break, first:last day (YYYY-MM-DD:YYYY-MM-DD)"),
    ("winter", "--winter", "winter break, first:last day"),
    ("spring", "--spring", "spring break, first:last day"),
    ("summer_from", "--summer-from", "first day of the summer holidays (YYYY-MM-DD)"),
)


def add_calendar_new_command(calendar: argparse.ArgumentParser) -> None:
    sub = calendar.add_subparsers(dest="calendar_command", metavar="calendar-command")
    new = sub.add_parser(
        "new",
        help="write a school-year file for a new year from the law and the break dates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    new.add_argument("year", nargs="?", metavar="YEAR", help="the school year, e.g. 2027-2028")
    new.add_argument("--year", dest="year_option", metavar="YEAR", help="the same as YEAR")
    for dest, option, text in REQUIRED:
        new.add_argument(option, dest=dest, metavar="DATES", help=text)
    new.add_argument("--grade1", metavar="DATES", help="the 1st grade's extra week, first:last")
    new.add_argument("--first-day", metavar="DATE", help="first day of classes (default 1 Sep)")
    new.add_argument(
        "--order", metavar="TEXT", help="the Ministry order's number and date (else PROVISIONAL)"
    )
    new.add_argument("--kurban-ait", metavar="DATE", help="the announced first day of Kurban Ait")
    new.add_argument("--days-per-week", type=int, choices=(5, 6), default=5)
    new.add_argument(
        "-o", "--output", type=Path, help="the file (default: seed/calendar/YEAR.json)"
    )
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(handler=_new)


def ask_missing(args: argparse.Namespace, ask: Callable[[str], str] | None = None) -> list[str]:
    """Ask for what is missing when the terminal is interactive; the options still missing."""
    wanted = [("year", "--year", "school year, e.g. 2027-2028"), *REQUIRED]
    if ask is None and sys.stdin.isatty():
        ask = input
    missing = []
    for dest, option, text in wanted:
        if getattr(args, dest) is None and ask is not None:
            try:
                answer = ask(f"{text}: ").strip()
            except EOFError:
                answer = ""
            setattr(args, dest, answer or None)
        if getattr(args, dest) is None:
            missing.append(option)
    return missing


def _new(args: argparse.Namespace) -> int:
    from bot.cli.schedule import calendar_text
    from bot.config import CALENDAR_DIR
    from bot.core.calendar import CalendarError, load_calendar
    from bot.core.calendar_new import new_calendar, parse_day, parse_range, parse_year

    if args.year and args.year_option and args.year != args.year_option:
        return _fail(f"--year {args.year_option} differs from YEAR {args.year}")
    args.year = args.year or args.year_option
    missing = ask_missing(args)
    if missing:
        return _fail(f"missing {', '.join(missing)} (see python -m bot calendar new --help)")
    try:
        y1 = parse_year(args.year)
        data = new_calendar(
            f"{y1}-{y1 + 1}",
            autumn=parse_range(args.autumn, "--autumn"),
            winter=parse_range(args.winter, "--winter"),
            spring=parse_range(args.spring, "--spring"),
            summer_from=parse_day(args.summer_from, "--summer-from"),
            grade1=parse_range(args.grade1, "--grade1") if args.grade1 else None,
            first_day=parse_day(args.first_day, "--first-day") if args.first_day else None,
            order=args.order,
            kurban_ait=parse_day(args.kurban_ait, "--kurban-ait") if args.kurban_ait else None,
            school_days_per_week=args.days_per_week,
        )
    except NewCalendarError as exc:
        return _fail(str(exc))
    path: Path = args.output or CALENDAR_DIR / f"{data['year']}.json"
    if path.exists() and not args.force:
        return _fail(f"{path} exists: --force to write over it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        calendar = load_calendar(path)
    except OSError as exc:
        return _fail(f"cannot write {path}: {exc.strerror or exc}")
    except CalendarError as exc:  # written, yet it does not load: say so, leave it to look at
        return _fail(str(exc))
    for line in calendar_text(calendar):
        print(line)
    print(f"Written: {path}")
    if calendar.provisional:
        print(
            "PROVISIONAL: no Ministry order number given; run again with --order and --force "
            "when the order is published."
        )
    print(f"The bot reads it at start: restart it on or after 1 August {y1}.")
    return 0


def _fail(message: str) -> int:
    print(f"calendar new: {message}", file=sys.stderr)
    return 1
