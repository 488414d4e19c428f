"""A new school year's calendar (#13): the public holidays law, its weekend transfers, and
`python -m bot calendar new` run as a process (file written, loadable, one line on bad input).
The table of bad inputs runs in-process (`bot.cli.main`, the same code): a process start costs
a second or more of CPU each."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.cli.calendar_new import ask_missing
from bot.config import CALENDAR_DIR
from bot.core import holidays
from bot.core.calendar import load_calendar
from bot.core.calendar_new import NewCalendarError, new_calendar, parse_range
from tests.process import Finished, run_bot, run_in_process

SEED_YEAR = CALENDAR_DIR / "2026-2027.json"
# The 2027-2028 breaks as a Ministry order would give them (the usual pattern).
BREAKS = (
    "--autumn", "2027-10-25:2027-10-31",
    "--winter", "2027-12-29:2028-01-07",
    "--grade1", "2028-02-07:2028-02-13",
    "--spring", "2028-03-18:2028-03-29",
    "--summer-from", "2028-05-26",
)  # fmt: skip


def run(*args: str, cwd: Path) -> Finished:
    """`python -m bot ARGS` as a process; any warning is an error (stdin is empty: not a
    terminal, so nothing is asked)."""
    return run_bot(*args, cwd=cwd, PYTHONWARNINGS="error")


def one_line(done: Finished) -> str:
    assert done.code == 1, done.output
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("calendar new: ")
    return lines[0]


# --- the law ------------------------------------------------------------------------------------


def test_the_law_rebuilds_the_shipped_2026_2027_file() -> None:
    """The hand-checked year file and the law as data agree: holidays, names, days off, and the
    quarters computed from the breaks."""
    seed: dict[str, Any] = json.loads(SEED_YEAR.read_text(encoding="utf-8"))
    made = new_calendar(
        "2026-2027",
        autumn=parse_range("2026-10-26:2026-11-01", "--autumn"),
        winter=parse_range("2026-12-29:2027-01-07", "--winter"),
        grade1=parse_range("2027-02-08:2027-02-14", "--grade1"),
        spring=parse_range("2027-03-19:2027-03-31", "--spring"),
        summer_from=date(2027, 5, 26),
    )

    def pick(data: dict[str, Any], field: str, *keys: str) -> list[tuple[Any, ...]]:
        return [tuple(entry[k] for k in keys) for entry in data[field]]

    assert pick(made, "public_holidays", "date", "names") == pick(
        seed, "public_holidays", "date", "names"
    )
    assert pick(made, "days_off", "date", "instead_of") == pick(
        seed, "days_off", "date", "instead_of"
    )
    assert pick(made, "quarters", "number", "start", "end") == pick(
        seed, "quarters", "number", "start", "end"
    )
    assert pick(made, "holidays", "key", "start", "end", "names") == pick(
        seed, "holidays", "key", "start", "end", "names"
    )
    assert (made["first_day"], made["last_day"]) == (seed["first_day"], seed["last_day"])


def test_weekend_holidays_move_to_the_next_free_weekday_religious_ones_do_not() -> None:
    days = holidays.public_holidays(date(2027, 8, 1), date(2028, 7, 31))
    moved = {t.instead_of: t.date for t in holidays.transfers(days)}
    # New Year on Saturday and Sunday: Monday and Tuesday.
    assert moved[date(2028, 1, 1)] == date(2028, 1, 3)
    assert moved[date(2028, 1, 2)] == date(2028, 1, 4)
    assert moved[date(2028, 5, 7)] == date(2028, 5, 8)  # Defender's Day on a Sunday
    nauryz = holidays.transfers(holidays.public_holidays(date(2027, 3, 1), date(2027, 3, 31)))
    assert [(t.instead_of, t.date) for t in nauryz] == [(date(2027, 3, 21), date(2027, 3, 24))]
    # Orthodox Christmas on Sunday 7 January 2029 and Kurban Ait on Sunday 16 May 2027 stay.
    assert holidays.transfers(holidays.public_holidays(date(2029, 1, 5), date(2029, 1, 10))) == []
    may = holidays.public_holidays(date(2027, 5, 10), date(2027, 5, 20))
    assert [(d.date, d.ru, d.provisional) for d in may] == [
        (date(2027, 5, 16), "Курбан айт", True)
    ]
    assert holidays.transfers(may) == []


def test_working_days_in_august_by_the_law() -> None:
    assert not holidays.is_working_day(date(2027, 8, 30))  # Constitution Day, a Monday
    assert holidays.is_working_day(date(2027, 8, 31))
    assert not holidays.is_working_day(date(2026, 8, 31))  # for Sunday 30 August 2026
    assert not holidays.is_working_day(date(2025, 9, 1))  # for Saturday 30 August 2025
    assert not holidays.is_working_day(date(2027, 8, 7))  # a Saturday
    assert holidays.is_working_day(date(2027, 8, 2))


def test_the_orders_number_makes_it_final_but_not_kurban_ait_or_the_transfers() -> None:
    data = new_calendar(
        "2027-2028",
        autumn=parse_range("2027-10-25:2027-10-31", "--autumn"),
        winter=parse_range("2027-12-29:2028-01-07", "--winter"),
        spring=parse_range("2028-03-18:2028-03-29", "--spring"),
        summer_from=date(2028, 5, 26),
        order="No 341 of 4 August 2027",
    )
    assert data["provisional"] is False and "No 341 of 4 August 2027" in data["source"]
    assert all(not q["provisional"] for q in data["quarters"])
    assert all(not h["provisional"] for h in data["holidays"])
    assert [h["key"] for h in data["holidays"]] == ["autumn", "winter", "spring"]
    kurban = [p for p in data["public_holidays"] if p["names"]["ru"] == "Курбан айт"]
    assert [(p["date"], p["provisional"]) for p in kurban] == [("2028-05-05", True)]
    assert data["days_off"] and all(off["provisional"] for off in data["days_off"])
    typed = new_calendar(
        "2027-2028",
        autumn=parse_range("2027-10-25:2027-10-31", "--autumn"),
        winter=parse_range("2027-12-29:2028-01-07", "--winter"),
        spring=parse_range("2028-03-18:2028-03-29", "--spring"),
        summer_from=date(2028, 5, 26),
        kurban_ait=date(2028, 5, 4),
    )
    kurban = [p for p in typed["public_holidays"] if p["names"]["ru"] == "Курбан айт"]
    assert [p["date"] for p in kurban] == ["2028-05-04"] and "provisional" not in kurban[0]


def test_a_year_beyond_the_kurban_ait_table_needs_the_date() -> None:
    with pytest.raises(NewCalendarError, match="Kurban Ait in 2031-2032 is not in the table"):
        new_calendar(
            "2031-2032",
            autumn=parse_range("2031-10-27:2031-11-02", "--autumn"),
            winter=parse_range("2031-12-29:2032-01-07", "--winter"),
            spring=parse_range("2032-03-19:2032-03-29", "--spring"),
            summer_from=date(2032, 5, 26),
        )


def test_missing_dates_are_asked_for_at_a_terminal() -> None:
    args = argparse.Namespace(
        year="2027-2028", autumn=None, winter="w", spring=None, summer_from="s"
    )
    answers = iter(["2027-10-25:2027-10-31", ""])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    assert ask_missing(args, ask) == ["--spring"]
    assert args.autumn == "2027-10-25:2027-10-31"
    assert asked == [
        "autumn break, first:last day (YYYY-MM-DD:YYYY-MM-DD): ",
        "spring break, first:last day: ",
    ]


# --- the command, as a process ------------------------------------------------------------------


def test_calendar_new_writes_a_loadable_provisional_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "2027-2028.json"
    done = run("calendar", "new", "2027-2028", *BREAKS, "-o", str(out), cwd=tmp_path)
    assert done.code == 0, done.stderr
    assert done.stderr == "" and "Traceback" not in done.stdout
    assert f"Written: {out}" in done.stdout
    assert "School year 2027-2028 (Asia/Aqtobe, 5-day week)  PROVISIONAL" in done.stdout
    assert "PROVISIONAL: no Ministry order number given" in done.stdout
    assert "2028-05-05 Fri  Құрбан айт / Курбан айт  PROVISIONAL" in done.stdout
    cal = load_calendar(out)
    assert cal.year == "2027-2028" and cal.provisional
    assert (cal.first_day, cal.last_day) == (date(2027, 9, 1), date(2028, 5, 25))
    assert [(q.start, q.end) for q in cal.quarters] == [
        (date(2027, 9, 1), date(2027, 10, 22)),
        (date(2027, 11, 1), date(2027, 12, 28)),
        (date(2028, 1, 10), date(2028, 3, 17)),
        (date(2028, 3, 30), date(2028, 5, 25)),
    ]
    assert not cal.is_school_day(date(2028, 1, 3))  # New Year's Saturday, moved
    assert cal.is_school_day(date(2028, 2, 8)) and not cal.is_school_day(date(2028, 2, 8), 1)
    # With the order's number, over the provisional file.
    again = run_in_process(capsys, "calendar", "new", "--year", "2027-2028", *BREAKS,
                           "-o", str(out), "--order", "No 341, 04.08.2027", "--force")  # fmt: skip
    assert again.code == 0, again.stderr
    assert "PROVISIONAL: no Ministry order" not in again.stdout
    assert not load_calendar(out).provisional


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("2027-2028", *BREAKS[:2], *BREAKS[6:]), "missing --winter (see"),
        (("2027-2029", *BREAKS), "--year: '2027-2029' is not a school year like 2027-2028"),
        (
            ("2027-2028", "--autumn", "25.10.2027-31.10.2027", *BREAKS[2:]),
            "--autumn: '25.10.2027-31.10.2027' is not a range of days like",
        ),
        (
            ("2027-2028", "--autumn", "2027-10-31:2027-10-25", *BREAKS[2:]),
            "--autumn: '2027-10-31:2027-10-25' ends before it starts",
        ),
        (
            ("2027-2028", *BREAKS[:2], "--winter", "2027-10-28:2027-11-03", *BREAKS[4:]),
            "--winter: 2027-10-28..2027-11-03 does not come after --autumn",
        ),
        (
            ("2027-2028", *BREAKS[:8], "--summer-from", "2027-05-26"),
            "--summer-from: 2027-05-26 is not in the first half of 2028",
        ),
        (
            ("2027-2028", *BREAKS, "--kurban-ait", "2029-04-24"),
            "--kurban-ait: 2029-04-24 is not in 2027-08-01..2028-07-31",
        ),
        (
            (
                "2031-2032",
                "--autumn",
                "2031-10-27:2031-11-02",
                "--winter",
                "2031-12-29:2032-01-07",
                "--spring",
                "2032-03-19:2032-03-29",
                "--summer-from",
                "2032-05-26",
            ),
            "--kurban-ait: the first day of Kurban Ait in 2031-2032 is not in the table",
        ),
    ],
)
def test_bad_input_gets_one_clear_line_and_no_file(
    tmp_path: Path, args: tuple[str, ...], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "year.json"
    line = one_line(run_in_process(capsys, "calendar", "new", *args, "-o", str(out)))
    assert says in line
    assert not out.exists()


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    """Bad input through the door too: one line, exit 1, no traceback, the file kept."""
    out = tmp_path / "2027-2028.json"
    out.write_text("{}", encoding="utf-8")
    line = one_line(run("calendar", "new", "2027-2028", *BREAKS, "-o", str(out), cwd=tmp_path))
    assert line == f"calendar new: {out} exists: --force to write over it"
    assert out.read_text(encoding="utf-8") == "{}"
