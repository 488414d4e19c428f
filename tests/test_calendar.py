"""The school calendar: the shipped 2026-2027 year file, day arithmetic, and bad files."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import CALENDAR_DIR
from bot.core.calendar import (
    CalendarError,
    Holiday,
    PublicHoliday,
    SchoolCalendar,
    find_calendar,
    load_calendar,
    parse_calendar,
)

YEAR_FILE = CALENDAR_DIR / "2026-2027.json"


@pytest.fixture(scope="module")
def cal() -> SchoolCalendar:
    return load_calendar(YEAR_FILE)


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(YEAR_FILE.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: Any, name: str = "2026-2027.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


# --- the shipped year ---------------------------------------------------------------------------


def test_year_file_reads_as_the_pattern_says(cal: SchoolCalendar) -> None:
    assert cal.year == "2026-2027"
    assert (cal.first_day, cal.last_day) == (date(2026, 9, 1), date(2027, 5, 25))
    assert cal.tz.key == "Asia/Aqtobe"
    assert cal.school_days_per_week == 5
    assert [q.number for q in cal.quarters] == [1, 2, 3, 4]
    keys = [h.key for h in cal.holidays]
    assert keys == ["autumn", "winter", "grade1", "spring", "summer"]
    autumn = cal.holidays[0]
    assert (autumn.start, autumn.end) == (date(2026, 10, 26), date(2026, 11, 1))
    summer = cal.holidays[-1]
    assert (summer.start, summer.end) == (date(2027, 5, 26), date(2027, 8, 31))


def test_every_pattern_date_is_provisional_with_a_source(cal: SchoolCalendar) -> None:
    assert cal.provisional and cal.source
    assert all(q.provisional for q in cal.quarters)
    assert all(h.provisional for h in cal.holidays)
    assert all(h.source for h in cal.breaks)
    assert all(off.provisional and off.source for off in cal.days_off)
    kurban = [p for p in cal.public_holidays if p.names.kk == "Құрбан айт"]
    assert len(kurban) == 1 and kurban[0].provisional and kurban[0].source


def test_public_holidays_cover_september_to_august(cal: SchoolCalendar) -> None:
    dates = {p.date for p in cal.public_holidays}
    for d in (
        "2026-10-25",
        "2026-12-16",
        "2027-01-01",
        "2027-01-02",
        "2027-01-07",
        "2027-03-08",
        "2027-03-21",
        "2027-03-22",
        "2027-03-23",
        "2027-05-01",
        "2027-05-07",
        "2027-05-09",
        "2027-07-06",
    ):
        assert date.fromisoformat(d) in dates, d


def test_days_off_replace_weekend_holidays_on_the_next_working_day(cal: SchoolCalendar) -> None:
    public = {p.date for p in cal.public_holidays}
    for off in cal.days_off:
        assert off.instead_of in public
        assert off.instead_of.weekday() >= 5
        assert off.date.weekday() < 5
        assert off.date > off.instead_of
    assert {off.date for off in cal.days_off} >= {date(2027, 5, 3), date(2027, 5, 10)}


def test_school_day_count(cal: SchoolCalendar) -> None:
    assert cal.count_school_days() == 164
    assert cal.count_school_days(grade=1) == 164 - 5
    assert len(cal.school_days()) == 164
    assert cal.school_days()[0] == date(2026, 9, 1)
    assert cal.school_days()[-1] == date(2027, 5, 25)


# --- day arithmetic -----------------------------------------------------------------------------


def test_weekends_and_holidays_are_not_school_days(cal: SchoolCalendar) -> None:
    assert cal.is_school_day(date(2026, 9, 1))  # Tuesday, first day
    assert not cal.is_school_day(date(2026, 9, 5))  # Saturday
    assert not cal.is_school_day(date(2026, 10, 28))  # autumn break
    assert not cal.is_school_day(date(2027, 1, 5))  # winter break, across New Year
    assert not cal.is_school_day(date(2027, 3, 25))  # spring break
    assert not cal.is_school_day(date(2026, 8, 31))  # before the year (and a day off)
    assert not cal.is_school_day(date(2027, 5, 26))  # summer


def test_a_public_holiday_inside_a_school_week(cal: SchoolCalendar) -> None:
    # Independence Day, Wednesday 16 December 2026: four school days that week
    assert not cal.is_school_day(date(2026, 12, 16))
    week = cal.school_days(date(2026, 12, 14), date(2026, 12, 20))
    assert week == (date(2026, 12, 14), date(2026, 12, 15), date(2026, 12, 17), date(2026, 12, 18))
    assert cal.holiday_on(date(2026, 12, 16)) == next(
        p for p in cal.public_holidays if p.date == date(2026, 12, 16)
    )
    # 1 May 2027 is a Saturday: Monday 3 May is off, and 7 May (Friday) too
    assert cal.count_school_days(date(2027, 5, 3), date(2027, 5, 9)) == 3


def test_a_day_off_names_the_public_holiday_it_replaces(cal: SchoolCalendar) -> None:
    hol = cal.holiday_on(date(2027, 5, 10))
    assert isinstance(hol, PublicHoliday) and hol.date == date(2027, 5, 9)


def test_grade_one_week_is_a_school_day_for_staff(cal: SchoolCalendar) -> None:
    d = date(2027, 2, 9)
    assert cal.is_school_day(d)
    assert cal.is_school_day(d, grade=5)
    assert not cal.is_school_day(d, grade=1)
    assert cal.holiday_on(d) is None
    hol = cal.holiday_on(d, grade=1)
    assert isinstance(hol, Holiday) and hol.key == "grade1"
    assert cal.previous_school_day(date(2027, 2, 15), grade=1) == date(2027, 2, 5)
    assert cal.previous_school_day(date(2027, 2, 15)) == date(2027, 2, 12)


def test_the_year_crosses_new_year(cal: SchoolCalendar) -> None:
    assert cal.previous_school_day(date(2027, 1, 8)) == date(2026, 12, 28)
    assert cal.next_school_day(date(2026, 12, 28)) == date(2027, 1, 8)
    assert cal.count_school_days(date(2026, 12, 28), date(2027, 1, 8)) == 2
    assert cal.winter_break is not None and cal.winter_break.key == "winter"
    assert cal.map_month_day(12, 31) == date(2026, 12, 31)
    assert cal.map_month_day(1, 1) == date(2027, 1, 1)


def test_the_last_week_of_a_month(cal: SchoolCalendar) -> None:
    # September 2026 ends on a Wednesday; October 2026 ends in the autumn break
    assert cal.school_days(*cal.month_date_range(9))[-3:] == (
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
    )
    assert cal.school_days(*cal.month_date_range(10))[-1] == date(2026, 10, 23)
    assert cal.month_date_range(2) == (date(2027, 2, 1), date(2027, 2, 28))
    assert cal.month_date_range(12) == (date(2026, 12, 1), date(2026, 12, 31))


def test_previous_school_day(cal: SchoolCalendar) -> None:
    assert cal.previous_school_day(date(2026, 9, 7)) == date(2026, 9, 4)  # Monday -> Friday
    assert cal.previous_school_day(date(2026, 9, 7), inclusive=True) == date(2026, 9, 7)
    assert cal.previous_school_day(date(2026, 11, 2)) == date(2026, 10, 23)  # after autumn
    assert cal.previous_school_day(date(2026, 9, 1)) is None
    assert cal.next_school_day(date(2027, 5, 25)) is None


def test_map_month_day_puts_august_before_the_year(cal: SchoolCalendar) -> None:
    assert cal.map_month_day(8, 29) == date(2026, 8, 29)  # session №1, "29 тамыз"
    assert cal.map_month_day(7, 6) == date(2027, 7, 6)
    with pytest.raises(ValueError):
        cal.map_month_day(2, 29)  # 2027 is not a leap year


def test_working_days_before_the_year(cal: SchoolCalendar) -> None:
    assert cal.is_working_day(date(2026, 8, 28))  # Friday before the year
    assert not cal.is_working_day(date(2026, 8, 29))  # Saturday
    assert not cal.is_working_day(date(2026, 8, 31))  # day off for Constitution Day
    assert not cal.is_working_day(date(2027, 6, 1))  # summer
    assert cal.previous_working_day(date(2026, 8, 29)) == date(2026, 8, 28)


def test_six_day_week() -> None:
    data = _data()
    data["school_days_per_week"] = 6
    six = parse_calendar(data)
    assert six.is_school_day(date(2026, 9, 5))  # Saturday
    assert not six.is_school_day(date(2026, 9, 6))  # Sunday
    assert six.count_school_days() > 164


def test_the_precomputed_days_are_kept_on_the_calendar(cal: SchoolCalendar) -> None:
    assert cal.school_days() is cal.school_days()
    assert cal.school_weeks() is cal.school_weeks()


# --- finding the year file ----------------------------------------------------------------------


def test_find_calendar_by_today(tmp_path: Path) -> None:
    for name in ("2025-2026.json", "2026-2027.json", "notes.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert find_calendar(tmp_path, date(2026, 8, 1)).name == "2026-2027.json"
    assert find_calendar(tmp_path, date(2027, 7, 31)).name == "2026-2027.json"
    assert find_calendar(tmp_path, date(2026, 7, 31)).name == "2025-2026.json"
    assert find_calendar(tmp_path, date(2020, 1, 1)).name == "2025-2026.json"  # the next one
    with pytest.raises(CalendarError, match="no school-year file") as missing:
        find_calendar(tmp_path, date(2027, 8, 1))
    assert str(missing.value).endswith("(write one: python -m bot calendar new 2027-2028)")


def test_the_shipped_directory_has_a_file_for_2026_2027() -> None:
    assert find_calendar(CALENDAR_DIR, date(2026, 9, 1)) == YEAR_FILE


# --- bad files ----------------------------------------------------------------------------------


def _error(tmp_path: Path, data: Any) -> CalendarError:
    path = _write(tmp_path, data)
    with pytest.raises(CalendarError) as info:
        load_calendar(path)
    err = info.value
    assert err.path == str(path)
    assert str(err).startswith(str(path) + ": ")
    assert "\n" not in str(err)
    return err


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    err = _error(tmp_path, '{\n  "year": "2026-2027",\n  "first_day": \n}')
    assert err.where == "line 4, column 1"
    assert "malformed JSON" in err.message


def test_missing_first_day(tmp_path: Path) -> None:
    data = _data()
    del data["first_day"]
    err = _error(tmp_path, data)
    assert (err.where, err.message) == ("first_day", "required field is missing")


def test_missing_last_day(tmp_path: Path) -> None:
    data = _data()
    del data["last_day"]
    assert _error(tmp_path, data).where == "last_day"


def test_last_day_before_first_day(tmp_path: Path) -> None:
    data = _data()
    data["last_day"] = "2026-08-30"
    err = _error(tmp_path, data)
    assert err.where == "last_day"
    assert "not after first_day" in err.message


def test_overlapping_holidays(tmp_path: Path) -> None:
    data = _data()
    data["holidays"][3]["start"] = "2026-12-30"  # spring moved onto the winter break
    data["holidays"][3]["end"] = "2027-01-03"
    err = _error(tmp_path, data)
    assert err.where == "holidays[3]"
    assert "overlaps holidays[1]" in err.message


def test_holiday_outside_the_year(tmp_path: Path) -> None:
    data = _data()
    data["holidays"][0]["start"] = "2027-06-01"
    data["holidays"][0]["end"] = "2027-06-07"
    err = _error(tmp_path, data)
    assert err.where == "holidays[0]"
    assert "outside the school year" in err.message


def test_holiday_ending_before_it_starts(tmp_path: Path) -> None:
    data = _data()
    data["holidays"][0]["end"] = "2026-10-20"
    assert _error(tmp_path, data).where == "holidays[0].end"


def test_a_bad_date_names_its_place(tmp_path: Path) -> None:
    data = _data()
    data["quarters"][2]["start"] = "8 January"
    err = _error(tmp_path, data)
    assert err.where == "quarters[2].start"
    assert "'8 January'" in err.message


def test_unknown_field_and_unknown_time_zone(tmp_path: Path) -> None:
    data = _data()
    data["holidays"][1]["note"] = "x"
    assert _error(tmp_path, data).where == "holidays[1].note"
    data = _data()
    data["timezone"] = "Asia/Nowhere"
    assert _error(tmp_path, data).where == "timezone"


def test_a_day_off_for_no_holiday(tmp_path: Path) -> None:
    data = _data()
    data["days_off"][0]["instead_of"] = "2026-09-06"
    assert _error(tmp_path, data).where == "days_off[0].instead_of"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="file not found"):
        load_calendar(tmp_path / "2030-2031.json")


def test_not_an_object(tmp_path: Path) -> None:
    assert _error(tmp_path, "[]").message == "expected a JSON object"


def test_a_calendar_built_in_code() -> None:
    start = date(2030, 9, 2)
    cal = SchoolCalendar(year="2030-2031", first_day=start, last_day=date(2031, 5, 23))
    assert cal.holidays[-1].key == "summer"
    assert cal.school_days()[0] == start
    assert cal.school_days(start, start + timedelta(days=6)) == tuple(
        start + timedelta(days=i) for i in range(5)
    )
