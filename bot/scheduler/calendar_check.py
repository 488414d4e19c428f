"""August: the admins are told once when next year's calendar file is missing.

The school year that starts on 1 September needs its year file (`seed/calendar/2027-2028.json`,
written by `python -m bot calendar new`) before the bot can plan it. On a working day in August
(the law's: no year file covers it yet), from `WARN_FROM` until the quiet hours, each tick checks
the calendar folder; while the file is missing or does not load, every admin (permission
`MANAGE_STAFF`) with a reachable chat gets one message under the key
``calendar-missing@{year}|{person}|calendar_missing``: once, across ticks, restarts and processes.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from bot.core import holidays
from bot.core.calendar import CalendarError, load_calendar
from bot.core.schedule import ReminderPolicy
from bot.permissions import Perm, can
from bot.scheduler.planner import Intent, Roster

KIND = "calendar_missing"
WARN_FROM = time(9, 0)


def year_to_check(local: datetime, policy: ReminderPolicy) -> str | None:
    """The school year whose file is due by now ("2027-2028" on a working morning or afternoon
    in August 2027), else None."""
    today: date = local.date()
    if today.month != 8 or not holidays.is_working_day(today):
        return None
    if not WARN_FROM <= local.time() < policy.quiet_start:
        return None
    return f"{today.year}-{today.year + 1}"


def calendar_missing(directory: Path, year: str) -> bool:
    """True unless `directory` holds a year file for `year` that loads. Asked by every tick in
    August: a file that loaded is not read again until it changes."""
    path = directory / f"{year}.json"
    try:
        changed = path.stat().st_mtime_ns
    except OSError:
        return True
    if _LOADED.get(path) == changed:
        return False
    try:
        load_calendar(path)
    except CalendarError:
        return True
    _LOADED[path] = changed
    return False


_LOADED: dict[Path, int] = {}  # year files that loaded, with the modification time they had


def warning_intents(year: str, roster: Roster, now: datetime) -> list[Intent]:
    """One message for each admin who can be reached."""
    out = []
    for person in roster.people:
        if person.id is None or not can(person.roles, Perm.MANAGE_STAFF):
            continue
        chat = roster.chats.get(person.id)
        if chat is None:
            continue
        chat_id, lang = chat
        key = f"calendar-missing@{year}|{person.id}|{KIND}"
        out.append(Intent(key, KIND, person.id, chat_id, lang, now, False))
    return out
