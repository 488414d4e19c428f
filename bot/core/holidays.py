"""Kazakhstan's public holidays and the weekend-transfer rule, as data: what `calendar new` puts
in a new school-year file, and what tells a working day from a day off where no year file says.

The law (check before relying on it; `/seed/CALENDAR-NOTES.md` in the team's notes):

* the Law "On holidays in the Republic of Kazakhstan" (No. 267-II of 13 December 2001, as
  amended) names the days off: New Year (1-2 January), Orthodox Christmas (7 January),
  International Women's Day (8 March), Nauryz (21-23 March), Unity Day (1 May), Defender of
  the Fatherland Day (7 May), Victory Day (9 May), Capital Day (6 July), Constitution Day
  (30 August), Republic Day (25 October), Independence Day (16 December), and the first day of
  Kurban Ait;
* the Labour Code (article 85): a holiday that falls on a weekend gives a day off on the next
  working day; the religious holidays (Orthodox Christmas, Kurban Ait) do not move. The
  government may move further days by decree each year: a transfer computed here is marked
  provisional ("the decree was not checked").

Kurban Ait moves each year (10 Dhu al-Hijjah): the Spiritual Administration of Muslims of
Kazakhstan announces the date. `KURBAN_AIT` holds the *expected* dates for the coming years; a
date from it is provisional, a date typed in (`calendar new --kurban-ait`) is not.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class LawHoliday:
    """A public holiday on a fixed day of the year."""

    month: int
    day: int
    kk: str
    ru: str
    moves: bool = True  # on a weekend: a day off on the next working day (religious: False)


FIXED_HOLIDAYS: tuple[LawHoliday, ...] = (
    LawHoliday(1, 1, "Жаңа жыл", "Новый год"),
    LawHoliday(1, 2, "Жаңа жыл", "Новый год"),
    LawHoliday(1, 7, "Православиелік Рождество", "Православное Рождество", moves=False),
    LawHoliday(3, 8, "Халықаралық әйелдер күні", "Международный женский день"),
    LawHoliday(3, 21, "Наурыз мейрамы", "Наурыз мейрамы"),
    LawHoliday(3, 22, "Наурыз мейрамы", "Наурыз мейрамы"),
    LawHoliday(3, 23, "Наурыз мейрамы", "Наурыз мейрамы"),
    LawHoliday(5, 1, "Қазақстан халқының бірлігі мерекесі", "Праздник единства народа Казахстана"),
    LawHoliday(5, 7, "Отан қорғаушы күні", "День защитника Отечества"),
    LawHoliday(5, 9, "Жеңіс күні", "День Победы"),
    LawHoliday(7, 6, "Астана күні", "День столицы"),
    LawHoliday(8, 30, "Конституция күні", "День Конституции"),
    LawHoliday(10, 25, "Республика күні", "День Республики"),
    LawHoliday(12, 16, "Тәуелсіздік күні", "День Независимости"),
)
KURBAN_AIT_NAMES = ("Құрбан айт", "Курбан айт")

# The first day of Kurban Ait (10 Dhu al-Hijjah) by Gregorian year: 2024 and 2025 as observed
# in Kazakhstan, later years the expected dates (they may differ by a day from the announced
# ones). Add a year here, or type the announced date in: `calendar new --kurban-ait`.
KURBAN_AIT: Mapping[int, date] = {
    2024: date(2024, 6, 16),
    2025: date(2025, 6, 6),
    2026: date(2026, 5, 27),
    2027: date(2027, 5, 16),
    2028: date(2028, 5, 5),
    2029: date(2029, 4, 24),
    2030: date(2030, 4, 13),
}
KURBAN_AIT_SOURCE = (
    "The first day of Kurban Ait is set each year by the Spiritual Administration of Muslims of "
    "Kazakhstan; {day} is the expected date (10 Dhu al-Hijjah), not the announced one. "
    "A religious holiday is not moved when it falls on a weekend."
)
KURBAN_AIT_TYPED = "The first day of Kurban Ait as typed in (calendar new --kurban-ait)."
TRANSFER_SOURCE = "Weekend holiday moved to the next working day; the decree was not checked."


class MissingKurbanAit(ValueError):
    """The table has no Kurban Ait for `year`, and none was typed in."""

    def __init__(self, year: int) -> None:
        super().__init__(f"the date of Kurban Ait {year} is not known: type it in")
        self.year = year


@dataclass(frozen=True, slots=True)
class PublicDay:
    """One public holiday of a given year."""

    date: _dt.date  # (the field's name shadows the type in the class body)
    kk: str
    ru: str
    moves: bool
    provisional: bool = False
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """A day off given instead of a public holiday that fell on a weekend."""

    date: _dt.date
    instead_of: _dt.date


def _weekend(d: date) -> bool:
    return d.weekday() >= 5


def public_holidays(
    start: date, end: date, kurban_ait: Iterable[date] | None = None
) -> list[PublicDay]:
    """The public holidays from `start` to `end` (inclusive), in date order.

    Kurban Ait: the dates given (typed in, not provisional); with None, the table's for each
    year in the period (provisional), and `MissingKurbanAit` for a year the table lacks.
    """
    days: list[PublicDay] = []
    for year in range(start.year, end.year + 1):
        for law in FIXED_HOLIDAYS:
            d = date(year, law.month, law.day)
            if start <= d <= end:
                days.append(PublicDay(d, law.kk, law.ru, law.moves))
    kk, ru = KURBAN_AIT_NAMES
    if kurban_ait is not None:
        days += [
            PublicDay(d, kk, ru, False, False, KURBAN_AIT_TYPED)
            for d in kurban_ait
            if start <= d <= end
        ]
    else:
        for year in range(start.year, end.year + 1):
            expected = KURBAN_AIT.get(year)
            if expected is None:
                if date(year, 1, 1) <= end and date(year, 12, 31) >= start:
                    raise MissingKurbanAit(year)
                continue
            if start <= expected <= end:
                source = KURBAN_AIT_SOURCE.format(day=expected.isoformat())
                days.append(PublicDay(expected, kk, ru, False, True, source))
    days.sort(key=lambda p: p.date)
    return days


def transfers(holidays: Iterable[PublicDay]) -> list[Transfer]:
    """The days off for the holidays that fell on a weekend: each on the first weekday after
    it that is neither a holiday nor already a day off (Nauryz on Sunday 21 March: Wednesday
    24 March). Religious holidays do not move."""
    ordered = sorted(holidays, key=lambda p: p.date)
    taken = {p.date for p in ordered}
    out: list[Transfer] = []
    for holiday in ordered:
        if not holiday.moves or not _weekend(holiday.date):
            continue
        d = holiday.date + timedelta(days=1)
        while _weekend(d) or d in taken:
            d += timedelta(days=1)
        taken.add(d)
        out.append(Transfer(d, holiday.date))
    return out


def days_off(start: date, end: date) -> frozenset[date]:
    """Public holidays and their transfers from `start` to `end` (Kurban Ait from the table
    where it has the year; a year it lacks counts without it)."""
    # A transfer may come from a holiday a few days before `start` (Saturday 30 August).
    lookback = start - timedelta(days=7)
    days: list[PublicDay] = []
    for year in range(lookback.year, end.year + 1):
        lo, hi = max(lookback, date(year, 1, 1)), min(end, date(year, 12, 31))
        known = KURBAN_AIT.get(year)
        days += public_holidays(lo, hi, [known] if known is not None else [])
    off = {p.date for p in days} | {t.date for t in transfers(days)}
    return frozenset(d for d in off if start <= d <= end)


def is_working_day(d: date) -> bool:
    """A weekday that is not a public holiday or a day off given for one (the law's working
    day, for when no school-year file covers `d`)."""
    return not _weekend(d) and d not in days_off(d, d)
