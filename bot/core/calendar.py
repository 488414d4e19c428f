"""The school calendar: one editable JSON file per school year (`seed/calendar/2026-2027.json`).

A year file holds the first and last day of classes, the quarters, the school holidays (breaks),
the public holidays and the days off that replace public holidays falling on a weekend. Dates
that come from a pattern rather than a published Ministry order carry `provisional: true` and a
`source` note, so the bot can say so wherever it shows them and an admin can correct them.

Words used here:

* a **school day** is a day with classes for the whole school: between `first_day` and
  `last_day`, a weekday of the school week (5 or 6 days), not a public holiday or a day off
  given for one, not inside a break. With `grade=` a break for some grades only (the 1st-grade
  week in February) counts as well: for staff and other grades those days are school days.
* a **working day** is a school day inside the year; outside it (the August before the first
  day) a weekday that is not a public holiday or a day off. The summer break after `last_day` has
  no working days. Reminders land on working days only.
* the calendar **span** is 1 August .. 31 July: the dates that belong to the year (a council
  session on 29 August belongs to the year that starts on 1 September).

`load_calendar` loads a file whole or raises `CalendarError` naming the file and the place in it.
Everything that depends on the dates only (the school-day list, weeks, months) is computed once
when the calendar is built and kept on the object.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.plan import Names, json_path

YEAR_PATTERN = r"^\d{4}-\d{4}$"
SUMMER_NAMES = Names(kk="Жазғы демалыс", ru="Летние каникулы")


class CalendarError(ValueError):
    """A calendar file that cannot be loaded: `path` names the file, `where` the place in it."""

    def __init__(self, path: str, where: str, message: str) -> None:
        super().__init__(f"{path}: {where}: {message}" if where else f"{path}: {message}")
        self.path = path
        self.where = where
        self.message = message


class _Invalid(ValueError):
    """Raised inside validation to carry the JSON path of a cross-field problem."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Holiday(_Model):
    """A school break (каникул): every grade, or only `grades` (the 1st-grade week)."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")  # "autumn", "winter", "grade1", "spring"
    names: Names
    start: date
    end: date
    grades: tuple[int, ...] | None = None  # None: every grade
    provisional: bool = False
    source: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def applies_to(self, grade: int | None) -> bool:
        """Whether the break closes school for `grade` (None: the whole school, staff)."""
        return self.grades is None or (grade is not None and grade in self.grades)


class Quarter(_Model):
    number: int = Field(ge=1, le=4)
    start: date
    end: date
    provisional: bool = False


class PublicHoliday(_Model):
    """A public holiday (мереке күні): no classes and no work."""

    date: date
    names: Names
    provisional: bool = False  # Kurban Ait: the date is set each year
    source: str | None = None


class DayOff(_Model):
    """A day off given instead of a public holiday that fell on a weekend (a transfer)."""

    date: _dt.date  # (the module's name: the field `date` shadows the type in this body)
    instead_of: _dt.date  # the public holiday's date
    provisional: bool = False
    source: str | None = None


class SchoolCalendar(_Model):
    """One school year. Build it with `load_calendar`, or directly in tests."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    year: str = Field(pattern=YEAR_PATTERN)  # "2026-2027"
    first_day: date
    last_day: date
    timezone: str = "Asia/Aqtobe"
    school_days_per_week: Literal[5, 6] = 5
    provisional: bool = False  # first/last day and quarters follow a pattern, not an order
    source: str | None = None
    quarters: tuple[Quarter, ...] = ()
    # The breaks inside the year, as in the file ("holidays"); `holidays` adds the summer break.
    breaks: tuple[Holiday, ...] = Field(default=(), alias="holidays")
    public_holidays: tuple[PublicHoliday, ...] = ()
    days_off: tuple[DayOff, ...] = ()

    _tz: ZoneInfo = PrivateAttr()
    _school: tuple[date, ...] = PrivateAttr(default=())
    _school_index: dict[date, int] = PrivateAttr(default_factory=dict)
    _working: tuple[date, ...] = PrivateAttr(default=())
    _working_set: frozenset[date] = PrivateAttr(default=frozenset())
    _by_grade: dict[int, tuple[date, ...]] = PrivateAttr(default_factory=dict)
    _weeks: tuple[tuple[str, tuple[date, ...]], ...] = PrivateAttr(default=())
    _months: tuple[tuple[int, int, tuple[date, ...]], ...] = PrivateAttr(default=())
    _public: dict[date, PublicHoliday] = PrivateAttr(default_factory=dict)
    _holidays: tuple[Holiday, ...] = PrivateAttr(default=())

    # --- validation -------------------------------------------------------------------------

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _Invalid("timezone", f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _check(self) -> SchoolCalendar:
        y1, y2 = (int(part) for part in self.year.split("-"))
        if y2 != y1 + 1:
            raise _Invalid("year", f"{self.year!r} is not two consecutive years")
        if self.last_day <= self.first_day:
            raise _Invalid("last_day", f"{self.last_day} is not after first_day {self.first_day}")
        span_start, span_end = date(y1, 8, 1), date(y2, 7, 31)
        if not span_start <= self.first_day <= span_end:
            raise _Invalid("first_day", f"{self.first_day} is not in the year {self.year}")
        if not span_start <= self.last_day <= span_end:
            raise _Invalid("last_day", f"{self.last_day} is not in the year {self.year}")
        self._check_ranges("quarters", self.quarters)
        self._check_ranges("holidays", self.breaks)
        keys: dict[str, int] = {}
        for i, hol in enumerate(self.breaks):
            if hol.key in keys:
                raise _Invalid(
                    f"holidays[{i}].key", f"{hol.key!r} repeats holidays[{keys[hol.key]}]"
                )
            keys[hol.key] = i
        public = {p.date for p in self.public_holidays}
        for i, ph in enumerate(self.public_holidays):
            if not span_start <= ph.date <= span_end:
                raise _Invalid(
                    f"public_holidays[{i}].date",
                    f"{ph.date} is outside the year {span_start}..{span_end}",
                )
        for i, off in enumerate(self.days_off):
            if off.instead_of not in public:
                raise _Invalid(
                    f"days_off[{i}].instead_of", f"{off.instead_of} is not a public holiday"
                )
            if not span_start <= off.date <= span_end:
                raise _Invalid(
                    f"days_off[{i}].date",
                    f"{off.date} is outside the year {span_start}..{span_end}",
                )
        return self

    def _check_ranges(self, field: str, ranges: Sequence[Holiday | Quarter]) -> None:
        """Each range ordered and inside first_day..last_day; no two overlap."""
        for i, r in enumerate(ranges):
            if r.end < r.start:
                raise _Invalid(f"{field}[{i}].end", f"{r.end} is before start {r.start}")
            if r.start < self.first_day or r.end > self.last_day:
                raise _Invalid(
                    f"{field}[{i}]",
                    f"{r.start}..{r.end} is outside the school year "
                    f"{self.first_day}..{self.last_day}",
                )
        order = sorted(range(len(ranges)), key=lambda i: ranges[i].start)
        for a, b in pairwise(order):
            if ranges[b].start <= ranges[a].end:
                raise _Invalid(
                    f"{field}[{b}]",
                    f"{ranges[b].start}..{ranges[b].end} overlaps {field}[{a}] "
                    f"{ranges[a].start}..{ranges[a].end}",
                )

    # --- precomputation, once per calendar ---------------------------------------------------

    def model_post_init(self, context: Any, /) -> None:
        self._tz = ZoneInfo(self.timezone)
        self._public = {p.date: p for p in self.public_holidays}
        off = set(self._public) | {d.date for d in self.days_off}
        whole_school = [h for h in self.breaks if h.grades is None]
        summer = Holiday(
            key="summer",
            names=SUMMER_NAMES,
            start=self.last_day + timedelta(days=1),
            end=date(self.start_year + 1, 8, 31),
            provisional=self.provisional,
            source=self.source,
        )
        self._holidays = (*sorted(self.breaks, key=lambda h: h.start), summer)
        week = self.school_days_per_week
        school: list[date] = []
        working: list[date] = []
        d, span_end = self.span
        while d <= span_end:
            if d.weekday() < week and d not in off:
                if self.first_day <= d <= self.last_day:
                    if not any(h.start <= d <= h.end for h in whole_school):
                        school.append(d)
                        working.append(d)
                elif d < self.first_day:
                    working.append(d)
            d += timedelta(days=1)
        self._school = tuple(school)
        self._school_index = {d: i for i, d in enumerate(school)}
        self._working = tuple(working)
        self._working_set = frozenset(working)
        weeks: dict[str, list[date]] = {}
        months: dict[tuple[int, int], list[date]] = {}
        for d in school:
            iso = d.isocalendar()
            weeks.setdefault(f"{iso.year}-W{iso.week:02d}", []).append(d)
            months.setdefault((d.year, d.month), []).append(d)
        self._weeks = tuple((k, tuple(v)) for k, v in weeks.items())
        self._months = tuple((y, m, tuple(v)) for (y, m), v in months.items())

    # --- the year ----------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def start_year(self) -> int:
        return int(self.year[:4])

    @property
    def span(self) -> tuple[date, date]:
        """1 August .. 31 July: the dates that belong to this school year."""
        return date(self.start_year, 8, 1), date(self.start_year + 1, 7, 31)

    @property
    def holidays(self) -> tuple[Holiday, ...]:
        """The breaks in date order, ending with the summer break after `last_day`."""
        return self._holidays

    @property
    def winter_break(self) -> Holiday | None:
        """The break keyed "winter", else the whole-school break over New Year."""
        for hol in self.breaks:
            if hol.key == "winter":
                return hol
        new_year = date(self.start_year + 1, 1, 1)
        for hol in self.breaks:
            if hol.grades is None and hol.start <= new_year <= hol.end:
                return hol
        return None

    def map_month_day(self, month: int, day: int) -> date:
        """The date of a plan's "day month" in this year (Aug-Dec: the first year, Jan-Jul: the
        second), so a plan written for another year keeps its days: "29 тамыз" -> 2026-08-29.

        Raises ValueError for a day the month does not have (29 February in a common year).
        """
        year = self.start_year if month >= 8 else self.start_year + 1
        return date(year, month, day)

    def month_date_range(self, month: int) -> tuple[date, date]:
        """The first and last calendar day of `month` in this year (same mapping as above)."""
        first = self.map_month_day(month, 1)
        nxt = date(first.year + 1, 1, 1) if month == 12 else date(first.year, month + 1, 1)
        return first, nxt - timedelta(days=1)

    # --- days --------------------------------------------------------------------------------

    def _days(self, grade: int | None) -> tuple[date, ...]:
        if grade is None:
            return self._school
        days = self._by_grade.get(grade)
        if days is None:
            closed = [h for h in self.breaks if h.grades is not None and grade in h.grades]
            days = tuple(d for d in self._school if not any(h.contains(d) for h in closed))
            self._by_grade[grade] = days
        return days

    def is_school_day(self, d: date, grade: int | None = None) -> bool:
        if d not in self._school_index:
            return False
        if grade is None:
            return True
        return not any(h.contains(d) for h in self.breaks if h.applies_to(grade))

    def is_working_day(self, d: date) -> bool:
        return d in self._working_set

    def school_days(
        self, start: date | None = None, end: date | None = None, grade: int | None = None
    ) -> tuple[date, ...]:
        """School days in start..end (inclusive; default: the whole year), in order."""
        days = self._days(grade)
        lo = 0 if start is None else bisect_left(days, start)
        hi = len(days) if end is None else bisect_right(days, end)
        return days[lo:hi]

    def count_school_days(
        self, start: date | None = None, end: date | None = None, grade: int | None = None
    ) -> int:
        return len(self.school_days(start, end, grade))

    def previous_school_day(
        self, d: date, *, inclusive: bool = False, grade: int | None = None
    ) -> date | None:
        """The last school day before `d` (or on it, if `inclusive`); None before the year."""
        days = self._days(grade)
        i = (bisect_right if inclusive else bisect_left)(days, d)
        return days[i - 1] if i else None

    def next_school_day(
        self, d: date, *, inclusive: bool = False, grade: int | None = None
    ) -> date | None:
        """The first school day after `d` (or on it, if `inclusive`); None after the year."""
        days = self._days(grade)
        i = (bisect_left if inclusive else bisect_right)(days, d)
        return days[i] if i < len(days) else None

    def previous_working_day(self, d: date, *, inclusive: bool = False) -> date | None:
        days = self._working
        i = (bisect_right if inclusive else bisect_left)(days, d)
        return days[i - 1] if i else None

    def school_day_offset(self, d: date, n: int) -> date:
        """The school day `n` school days from school day `d`, clamped to the year."""
        i = self._school_index[d] + n
        return self._school[max(0, min(i, len(self._school) - 1))]

    def school_weeks(self) -> tuple[tuple[str, tuple[date, ...]], ...]:
        """("2026-W37", its school days) for every ISO week with a school day, in order."""
        return self._weeks

    def school_months(self) -> tuple[tuple[int, int, tuple[date, ...]], ...]:
        """(year, month, its school days) for every month with a school day, in order."""
        return self._months

    def holiday_on(self, d: date, grade: int | None = None) -> Holiday | PublicHoliday | None:
        """What closes school on `d`: a break (for `grade`; None: the whole school), else a public
        holiday; on a day off given for a weekend holiday, that public holiday. None otherwise."""
        for hol in self._holidays:
            if hol.contains(d) and hol.applies_to(grade):
                return hol
        if d in self._public:
            return self._public[d]
        for off in self.days_off:
            if off.date == d:
                return self._public[off.instead_of]
        return None


# --- loading --------------------------------------------------------------------------------


def parse_calendar(data: Any, path: str = "<calendar>") -> SchoolCalendar:
    """Validate already-read JSON data; raises `CalendarError` naming `path`."""
    if not isinstance(data, dict):
        raise CalendarError(path, "", "expected a JSON object")
    try:
        return SchoolCalendar.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, _Invalid):
            raise CalendarError(path, cause.where, cause.message) from None
        where = json_path(err["loc"])
        if err["type"] == "missing":
            raise CalendarError(path, where, "required field is missing") from None
        if err["type"] == "extra_forbidden":
            raise CalendarError(path, where, "unknown field") from None
        raise CalendarError(path, where, f"{err['msg']} (got {err['input']!r})") from None


def load_calendar(path: str | Path) -> SchoolCalendar:
    """Load a year file whole, or raise `CalendarError(path, where, message)`."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalendarError(name, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarError(name, "", f"cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise CalendarError(name, where, f"malformed JSON: {exc.msg}") from None
    return parse_calendar(data, name)


_FILE_NAME = re.compile(r"^(\d{4})-(\d{4})\.json$")


def find_calendar(directory: str | Path, today: date) -> Path:
    """The year file in `directory` whose span (1 Aug .. 31 Jul) contains `today`; between years,
    the next one to start. Files are named by their year, e.g. "2026-2027.json"."""
    years: list[tuple[date, date, Path]] = []
    folder = Path(directory)
    for file in folder.glob("*.json") if folder.is_dir() else ():
        m = _FILE_NAME.match(file.name)
        if m and int(m[2]) == int(m[1]) + 1:
            years.append((date(int(m[1]), 8, 1), date(int(m[2]), 7, 31), file))
    years.sort()
    for start, end, file in years:
        if start <= today <= end:
            return file
    for start, _end, file in years:
        if start > today:
            return file
    first = today.year if today.month >= 8 else today.year - 1
    raise CalendarError(
        str(directory),
        "",
        f"no school-year file covers {today} or later "
        f"(write one: python -m bot calendar new {first}-{first + 1})",
    )
