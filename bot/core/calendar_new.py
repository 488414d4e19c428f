"""A school-year file for a new year (`seed/calendar/2027-2028.json`), from the public holidays
law (`bot.core.holidays`) and the break dates of the Ministry's order, typed in.

`new_calendar(...)` returns the file's data, already validated by the calendar loader
(`bot.core.calendar.parse_calendar`), or raises `NewCalendarError` naming the option at fault.
The quarters are computed: each runs from the first school day after a break to the last one
before the next. Without the order's number the year, its quarters and breaks are marked
provisional; the days off for weekend holidays always are (a government decree may move more).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from bot.core.calendar import CalendarError, SchoolCalendar, parse_calendar
from bot.core.holidays import (
    TRANSFER_SOURCE,
    MissingKurbanAit,
    public_holidays,
    transfers,
)

BREAK_NAMES: dict[str, tuple[str, str]] = {
    "autumn": ("Күзгі демалыс", "Осенние каникулы"),
    "winter": ("Қысқы демалыс", "Зимние каникулы"),
    "grade1": ("1-сынып оқушыларына қосымша демалыс", "Дополнительные каникулы для 1 класса"),
    "spring": ("Көктемгі демалыс", "Весенние каникулы"),
}
_YEAR = re.compile(r"^(\d{4})-(\d{4})$")


class NewCalendarError(ValueError):
    """Bad input for a new year file: `option` is the command-line option at fault."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}" if option else message)
        self.option = option
        self.message = message


@dataclass(frozen=True, slots=True)
class Range:
    start: date
    end: date


def parse_year(text: str) -> int:
    """The first calendar year of "2027-2028"; raises NewCalendarError."""
    m = _YEAR.match(text.strip())
    if m is None or int(m[2]) != int(m[1]) + 1:
        raise NewCalendarError("--year", f"{text!r} is not a school year like 2027-2028")
    return int(m[1])


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise NewCalendarError(option, f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_range(text: str, option: str) -> Range:
    """ "2027-10-27:2027-11-02" (first and last day of the break, both included)."""
    parts = text.strip().split(":")
    if len(parts) != 2:
        raise NewCalendarError(
            option, f"{text!r} is not a range of days like 2027-10-27:2027-11-02"
        )
    start, end = (parse_day(p, option) for p in parts)
    if end < start:
        raise NewCalendarError(option, f"{text!r} ends before it starts")
    return Range(start, end)


def _break(key: str, r: Range, provisional: bool, source: str) -> dict[str, Any]:
    kk, ru = BREAK_NAMES[key]
    data: dict[str, Any] = {
        "key": key,
        "names": {"kk": kk, "ru": ru},
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
    }
    if key == "grade1":
        data["grades"] = [1]
    data["provisional"] = provisional
    data["source"] = source
    return data


def _quarters(cal: SchoolCalendar, breaks: list[Range], provisional: bool) -> list[Any]:
    """Four quarters between the first day, the autumn, winter and spring breaks, the last
    day: from the first school day after one to the last before the next."""
    out: list[Any] = []
    starts = [cal.first_day - timedelta(days=1), *(b.end for b in breaks)]
    ends = [*(b.start for b in breaks), cal.last_day + timedelta(days=1)]
    for number, (after, before) in enumerate(zip(starts, ends, strict=True), start=1):
        first = cal.next_school_day(after)
        last = cal.previous_school_day(before)
        if first is None or last is None or last < first:
            raise NewCalendarError("", f"quarter {number} has no school day")
        out.append(
            {
                "number": number,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "provisional": provisional,
            }
        )
    return out


def new_calendar(
    year: str,
    *,
    autumn: Range,
    winter: Range,
    spring: Range,
    summer_from: date,
    grade1: Range | None = None,
    first_day: date | None = None,
    order: str | None = None,
    kurban_ait: date | None = None,
    school_days_per_week: int = 5,
    timezone: str = "Asia/Aqtobe",
) -> dict[str, Any]:
    """The year file's data (see the module's docstring); raises NewCalendarError."""
    y1 = parse_year(year)
    span_start, span_end = date(y1, 8, 1), date(y1 + 1, 7, 31)
    first = first_day or date(y1, 9, 1)
    last = summer_from - timedelta(days=1)
    if not span_start <= first <= span_end:
        raise NewCalendarError("--first-day", f"{first} is not in the school year {year}")
    if not date(y1 + 1, 1, 1) <= summer_from <= span_end:
        raise NewCalendarError(
            "--summer-from", f"{summer_from} is not in the first half of {y1 + 1}"
        )
    named = {"--autumn": autumn, "--winter": winter, "--spring": spring}
    if grade1 is not None:
        named["--grade1"] = grade1
    for option, r in named.items():
        if r.start <= first or r.end >= last:
            raise NewCalendarError(
                option, f"{r.start}..{r.end} is not inside the classes {first}..{last}"
            )
    order_words = [("--autumn", autumn), ("--winter", winter), ("--spring", spring)]
    for (a_opt, a), (b_opt, b) in pairwise(order_words):
        if b.start <= a.end:
            raise NewCalendarError(b_opt, f"{b.start}..{b.end} does not come after {a_opt}")
    if grade1 is not None:
        for option, r in order_words:
            if grade1.start <= r.end and r.start <= grade1.end:
                raise NewCalendarError(
                    "--grade1", f"{grade1.start}..{grade1.end} overlaps {option}"
                )
    if kurban_ait is not None and not span_start <= kurban_ait <= span_end:
        raise NewCalendarError(
            "--kurban-ait", f"{kurban_ait} is not in {span_start}..{span_end} (the year {year})"
        )
    try:
        holidays = public_holidays(
            span_start, span_end, [kurban_ait] if kurban_ait is not None else None
        )
    except MissingKurbanAit:
        raise NewCalendarError(
            "--kurban-ait",
            f"the first day of Kurban Ait in {year} is not in the table (bot/core/holidays.py): "
            "give the announced date, YYYY-MM-DD",
        ) from None

    order_text = " ".join((order or "").split())
    provisional = not order_text
    if provisional:
        source = (
            "Written by `python -m bot calendar new` from the break dates typed in; no Ministry "
            "order number was given, so the dates are provisional: give it (--order) when the "
            "order is published. Public holidays: the Law on holidays; days off for weekend "
            "holidays: the Labour Code's rule."
        )
        break_source = "Typed in (calendar new); no Ministry order number given."
    else:
        source = (
            f"Ministry order {order_text}: classes and breaks typed in from it (calendar new). "
            "Public holidays: the Law on holidays; days off for weekend holidays: the Labour "
            "Code's rule."
        )
        break_source = f"Ministry order {order_text}."
    breaks = [
        _break("autumn", autumn, provisional, break_source),
        _break("winter", winter, provisional, break_source),
    ]
    if grade1 is not None:
        breaks.append(_break("grade1", grade1, provisional, break_source))
    breaks.append(_break("spring", spring, provisional, break_source))
    public: list[dict[str, Any]] = []
    for day in holidays:
        entry: dict[str, Any] = {
            "date": day.date.isoformat(),
            "names": {"kk": day.kk, "ru": day.ru},
        }
        if day.provisional:
            entry["provisional"] = True
        if day.source:
            entry["source"] = day.source
        public.append(entry)
    off = [
        {
            "date": t.date.isoformat(),
            "instead_of": t.instead_of.isoformat(),
            "provisional": True,
            "source": TRANSFER_SOURCE,
        }
        for t in transfers(holidays)
        if span_start <= t.date <= span_end
    ]
    data: dict[str, Any] = {
        "year": f"{y1}-{y1 + 1}",
        "provisional": provisional,
        "source": source,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "timezone": timezone,
        "school_days_per_week": school_days_per_week,
        "quarters": [],
        "holidays": breaks,
        "public_holidays": public,
        "days_off": off,
    }
    draft = _parse(data)
    data["quarters"] = _quarters(draft, [autumn, winter, spring], provisional)
    _parse(data)
    return data


def _parse(data: dict[str, Any]) -> SchoolCalendar:
    try:
        return parse_calendar(data, "<new calendar>")
    except CalendarError as exc:
        raise NewCalendarError(
            "", f"the calendar does not load: {exc.where}: {exc.message}"
        ) from None
