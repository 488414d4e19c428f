"""`python -m bot schedule` and `python -m bot calendar`, driven through the argument parser."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.config import CALENDAR_DIR

YEAR_FILE = CALENDAR_DIR / "2026-2027.json"

PLAN: dict[str, Any] = {
    "title": "Құқықбұзушылықтың алдын алу кеңесінің жұмыс жоспары",
    "school": "Test school",
    "source_year": "2023-2024",
    "source": "000_a896805958d58fd7.txt",
    "people": [
        {"key": "eshkeeva", "name": "Ешкеева А.Т.", "roles": ["chair"]},
        {"key": "amangeldi", "name": "Амангелді С.М.", "roles": ["social_pedagogue"]},
        {"key": "sarybayeva", "name": "Сарыбаева Г.А.", "roles": ["organiser"]},
    ],
    "groups": [
        {
            "key": "class-teachers",
            "names": {"kk": "1-11 сынып жетекшілері", "ru": "Классные руководители 1-11"},
            "roles": ["class_teacher"],
        }
    ],
    "sections": [
        {
            "number": 1,
            "title": "Ұйымдастыру жұмыстары",
            "items": [
                {
                    "ref": "1.4",
                    "title": "«Салауатты өмір салты - жарқын болашақ» атты республикалық "
                    "челленджіне ұйымдастыру",
                    "when": "2 апта\n қазан",
                    "responsible": {"text": "Сарыбаева Г.А.", "people": ["sarybayeva"]},
                },
                {
                    "ref": "1.8",
                    "title": "Оқушылардың сабаққа қатысымын бақылау",
                    "when": "Күн сайын",
                    "responsible": {
                        "text": "Әлеуметтік педагог Амангелді С.М. 1-11кл.жетекшілері",
                        "people": ["amangeldi"],
                        "groups": ["class-teachers"],
                    },
                },
            ],
        }
    ],
    "sessions": [
        {
            "number": 1,
            "when": "29 тамыз",
            "agenda": [
                {
                    "number": 1,
                    "title": "Кеңестің ережесімен танысу",
                    "reporters": {"people": ["eshkeeva"]},
                }
            ],
            "responsible": {"text": "Кеңес төрағасы Ешкеева А.Т.", "people": ["eshkeeva"]},
        }
    ],
}


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN, ensure_ascii=False), encoding="utf-8")
    return path


def run(argv: Sequence[str]) -> int:
    """`python -m bot ...`, in process."""
    from bot.cli import main

    return main(list(argv))


def schedule(plan_file: Path, *extra: str) -> list[str]:
    return ["schedule", "--plan", str(plan_file), "--calendar", str(YEAR_FILE), *extra]


def test_json_output(plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        schedule(plan_file, "--from", "2026-10-05", "--to", "2026-10-09", "--format", "json")
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in rows] == [
        "1.8@2026-10-05",
        "1.8@2026-10-06",
        "1.8@2026-10-07",
        "1.8@2026-10-08",
        "1.4@2026-W41",
        "1.8@2026-10-09",
    ]
    challenge = rows[4]
    assert challenge["ref"] == "1.4"
    assert challenge["kind"] == "task"
    assert challenge["window_start"] == "2026-10-05T08:00:00+05:00"
    assert challenge["due"] == "2026-10-09T18:00:00+05:00"
    assert challenge["responsible"] == ["Сарыбаева Г.А."]
    assert challenge["title"].startswith("«Салауатты өмір салты")
    assert [r["kind"] for r in challenge["reminders"]] == ["week_start", "before_end"]
    assert challenge["reminders"][0]["at"] == "2026-10-05T08:30:00+05:00"


def test_json_session(plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(schedule(plan_file, "--from", "2026-08-28", "--to", "2026-08-28", "--format", "json"))
    (row,) = json.loads(capsys.readouterr().out)
    assert row["key"] == "council-1@2026-2027"
    assert row["kind"] == "session"
    assert row["due"] == "2026-08-28T15:00:00+05:00"  # 29 Aug is a Saturday
    assert row["agenda"][0]["reporters"] == ["Ешкеева А.Т."]
    assert row["date_set"] is True


def test_defect_schedule_is_a_readable_table_in_the_chosen_language(
    plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """#13: no English labels, repeats folded, full titles wrapped, times aligned, a header
    that says which dates are provisional and why."""
    assert (
        run(schedule(plan_file, "--from", "2026-08-01", "--to", "2027-07-31", "--lang", "ru")) == 0
    )
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Расписание Kenes: сб 01.08.2026 … сб 31.07.2027")
    assert "* — предварительные даты:" in out
    assert "№1: сб 29.08.2026 — выходной, перенесено на рабочий день раньше" in out
    assert "календарь учебного года предварительный" in out
    assert "Due" not in out and "every school day" not in out
    daily = [line for line in lines if line.startswith("каждый учебный день,")]
    assert len(daily) == 1  # one row for the whole year, not one per day
    assert "…" not in out.split("\n", 1)[1]  # titles are wrapped, never cut
    dated = [line for line in lines if line[:3] in ("пн ", "вт ", "ср ", "чт ", "пт ")]
    assert dated and {line.index(":") for line in dated} == {16}  # times in one column


def test_defect_undated_item_2_4_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schedule", "--from", "2026-09-01", "--to", "2026-09-30", "--lang", "ru"]) == 0
    assert "Без даты (администратор задаёт срок через /plan): 2.4" in capsys.readouterr().out


def test_text_in_kazakh_by_default(plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(schedule(plan_file, "--from", "2026-09-01", "--to", "2026-09-30")) == 0
    out = capsys.readouterr().out
    assert out.startswith("Kenes кестесі: сс 01.09.2026")
    assert "күн сайын, 22 рет" in out and "Барлығы: 22" in out


def test_text_nothing_due(plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(schedule(plan_file, "--from", "2026-10-26", "--to", "2026-11-01")) == 0
    assert "бұл кезеңде ештеңе жоқ" in capsys.readouterr().out


def test_csv_xlsx_and_ics(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io

    import openpyxl

    period = ("--from", "2026-08-01", "--to", "2026-09-30")
    assert run(schedule(plan_file, *period, "--format", "csv")) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    first = rows[0]
    assert (first["date"], first["time"], first["ref"]) == ("2026-08-28", "15:00", "council-1")
    assert first["provisional"] == "moved:2026-08-29"
    xlsx = tmp_path / "s.xlsx"
    assert run(schedule(plan_file, *period, "--format", "xlsx", "-o", str(xlsx))) == 0
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:3] == ["date", "time", "ref"]
    assert sheet.max_row == len(rows) + 1
    assert run(schedule(plan_file, *period, "--format", "ics")) == 0
    ics = capsys.readouterr().out
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert ics.count("BEGIN:VEVENT") == len(rows)
    assert "DTSTART;TZID=Asia/Aqtobe:20260828T150000" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--from", "2026-13-01", "--to", "2026-10-01"), "--from: '2026-13-01' is not a date"),
        (("--from", "2026-10-09", "--to", "2026-10-01"), "is before --from"),
    ],
)
def test_bad_dates(
    plan_file: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    assert run(schedule(plan_file, *extra)) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_calendar(plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "2026-2027.json"
    bad.write_text('{"year": "2026-2027",', encoding="utf-8")
    argv = ["schedule", "--plan", str(plan_file), "--calendar", str(bad), "--from", "2026-10-01"]
    assert run(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: line 1, column 22: malformed JSON")
    assert err.count("\n") == 1


def test_bad_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "plan.json"
    data = json.loads(json.dumps(PLAN))
    data["sections"][0]["items"][0]["responsible"]["people"] = ["nobody"]
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert run(schedule(bad, "--from", "2026-10-01", "--to", "2026-10-02")) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_calendar_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["calendar", "--calendar", str(YEAR_FILE)]) == 0
    out = capsys.readouterr().out
    assert "School year 2026-2027 (Asia/Aqtobe, 5-day week)  PROVISIONAL" in out
    assert (
        "2026-10-26 .. 2026-11-01    7 days  Күзгі демалыс / Осенние каникулы  PROVISIONAL" in out
    )
    assert "(grade 1 only)" in out
    assert "2027-05-26 .. 2027-08-31" in out  # summer
    assert "2026-12-16 Wed  Тәуелсіздік күні / День Независимости" in out
    assert "day off moved to 2027-05-10 Mon  PROVISIONAL" in out
    assert "School days: 164" in out
    assert "School days for grade 1: 159" in out


def test_calendar_command_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "2026-2027.json"
    data = json.loads(YEAR_FILE.read_text(encoding="utf-8"))
    del data["first_day"]
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert run(["calendar", "--calendar", str(bad)]) == 1
    assert capsys.readouterr().err == f"{bad}: first_day: required field is missing\n"


def test_defaults_are_the_seed_plan_and_the_year_of_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["schedule", "--from", "2026-08-28", "--to", "2026-09-04", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["key"] == "council-1@2026-2027"
    assert rows[0]["due"] == "2026-08-28T15:00:00+05:00"
    assert {r["ref"] for r in rows} >= {"1.8", "2.6", "3.3"}
