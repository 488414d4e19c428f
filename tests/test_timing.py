"""parse_when: every *When* phrase of the seed plan, Russian phrases, misspellings, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.timing import (
    AllYear,
    BeforeHolidays,
    Daily,
    FixedDate,
    Missing,
    Monthly,
    Months,
    PerStudent,
    Quarterly,
    TimingError,
    TimingRule,
    Weekly,
    WeekOfMonth,
    WhenNeeded,
    describe_timing,
    parse_when,
)

SEED = Path(__file__).resolve().parent.parent / "seed"

# Every *When* text of the seed plan, as written in the source, and what it must mean.
SEED_PHRASES: dict[str, list[TimingRule]] = {
    "қыркүйек": [Months(months=(9,))],
    "Жыл бойы": [AllYear()],
    "Жыл бойы\nАнықталған жағдайда.": [AllYear(), WhenNeeded()],
    "2 апта\n қазан": [WeekOfMonth(week=2, month=10)],
    "Каникул алдында (жыл бойы)": [BeforeHolidays()],
    "Ай сайын,\nқажет болса кезектен тыс": [Monthly(extraordinary=True)],
    "Күн сайын": [Daily()],
    "Жыл бойы, кестеге сәйкес": [AllYear(by_timetable=True)],
    "": [Missing()],
    "1 апта қыркүйек": [WeekOfMonth(week=1, month=9)],
    "Қазан \nСәуір": [Months(months=(10, 4))],
    "Есепке алынған күннен бастап,\nтүзеліп кеткенінше": [PerStudent()],
    "Апта сайын": [Weekly()],
    "Қыркуйек\n\nҚазан \nҚараша \n\nжелтоқсан \n\nҚаңтар \n\n Сәуір \nмамыр": [
        Months(months=(9, 10, 11, 12, 1, 4, 5))
    ],
    "Қыркуйек": [Months(months=(9,))],
    "Қазан": [Months(months=(10,))],
    "Қараша": [Months(months=(11,))],
    "желтоқсан": [Months(months=(12,))],
    "Қаңтар": [Months(months=(1,))],
    "Сәуір": [Months(months=(4,))],
    "мамыр": [Months(months=(5,))],
    "Қажет болған жағдайда": [WhenNeeded()],
    "Қыркүйек, жыл бойы": [Months(months=(9,)), AllYear()],
    "29 тамыз": [FixedDate(month=8, day=29)],
    "қазан": [Months(months=(10,))],
    "қараша": [Months(months=(11,))],
    "қаңтар": [Months(months=(1,))],
    "ақпан": [Months(months=(2,))],
    "наурыз": [Months(months=(3,))],
    "сәуір": [Months(months=(4,))],
}


def _seed_whens() -> list[tuple[str, str, list[dict[str, object]] | None]]:
    """(where, when, timing as written in the file) for every item, sub-item and session."""
    data = json.loads((SEED / "plan.json").read_text(encoding="utf-8"))
    found = []
    for section in data["sections"]:
        for item in section["items"]:
            found.append((item["ref"], item["when"], item.get("timing")))
            for sub in item.get("subitems", []):
                if sub.get("when") is not None:
                    found.append((sub["ref"], sub["when"], sub.get("timing")))
    for session in data["sessions"]:
        found.append((f"council-{session['number']}", session["when"], session.get("timing")))
    return found


SEED_WHENS = _seed_whens()


@pytest.mark.parametrize(("text", "expected"), list(SEED_PHRASES.items()))
def test_seed_phrases(text: str, expected: list[TimingRule]) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize(("where", "when", "timing"), SEED_WHENS, ids=[w[0] for w in SEED_WHENS])
def test_every_seed_when_is_read_as_expected(
    where: str, when: str, timing: list[dict[str, object]] | None
) -> None:
    assert when in SEED_PHRASES, f"{where}: add {when!r} and its meaning to SEED_PHRASES"
    rules = parse_when(when)
    assert rules == SEED_PHRASES[when]
    if timing is not None:  # the file may spell the timing out; it must agree
        assert [rule.model_dump(mode="json") for rule in rules] == timing


def test_seed_3_4_lecture_months() -> None:
    months = [parse_when(when) for where, when, _ in SEED_WHENS if where.startswith("3.4.")]
    assert months == [[Months(months=(m,))] for m in (9, 10, 11, 12, 1, 4, 5)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сентябрь", [Months(months=(9,))]),
        ("в сентябре", [Months(months=(9,))]),
        ("Октябрь, апрель", [Months(months=(10, 4))]),
        ("29 августа", [FixedDate(month=8, day=29)]),
        ("1 марта", [FixedDate(month=3, day=1)]),
        ("2-неделя октября", [WeekOfMonth(week=2, month=10)]),
        ("2-я неделя октября", [WeekOfMonth(week=2, month=10)]),
        ("первая неделя сентября", [WeekOfMonth(week=1, month=9)]),
        ("ежедневно", [Daily()]),
        ("Еженедельно", [Weekly()]),
        ("ежемесячно", [Monthly()]),
        ("Ежемесячно, при необходимости внеочередно", [Monthly(extraordinary=True)]),
        ("в течение года", [AllYear()]),
        ("В течение учебного года", [AllYear()]),
        ("в течение года, по графику", [AllYear(by_timetable=True)]),
        ("перед каникулами", [BeforeHolidays()]),
        ("по необходимости", [WhenNeeded()]),
        ("при необходимости", [WhenNeeded()]),
        ("с момента постановки на учёт до снятия с учёта", [PerStudent()]),
        ("май", [Months(months=(5,))]),
        ("в мае", [Months(months=(5,))]),
        ("сентябрь, в течение года", [Months(months=(9,)), AllYear()]),
    ],
)
def test_russian(text: str, expected: list[TimingRule]) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Kazakh case endings
        ("қазанда", [Months(months=(10,))]),
        ("қыркүйекте", [Months(months=(9,))]),
        ("қарашаның 2-аптасы", [WeekOfMonth(week=2, month=11)]),
        ("2-ші апта қазан", [WeekOfMonth(week=2, month=10)]),
        ("екінші апта қазан", [WeekOfMonth(week=2, month=10)]),
        ("мамыр айы", [Months(months=(5,))]),
        ("сәуір айында", [Months(months=(4,))]),
        # misspellings and letters typed on a Russian keyboard
        ("Қыркуйек", [Months(months=(9,))]),
        ("Қыркүек", [Months(months=(9,))]),
        ("Кыркуйек", [Months(months=(9,))]),
        ("Желтоксан", [Months(months=(12,))]),
        ("Саyір", [Months(months=(4,))]),  # Latin y for у
        ("Caзан", [Months(months=(10,))]),  # Latin C and a; one wrong letter
        ("Kазан", [Months(months=(10,))]),  # Latin K
        ("Жыл бойы, кестеге сэйкес", [AllYear(by_timetable=True)]),
        ("Анықталган жагдайда", [WhenNeeded()]),
        # case, stray spaces, newlines and punctuation
        ("ЖЫЛ БОЙЫ", [AllYear()]),
        ("  жыл   бойы.  ", [AllYear()]),
        ("Жыл\u00a0бойы", [AllYear()]),
        ("Қазан,\n\n сәуір;", [Months(months=(10, 4))]),
        ("29  тамыз", [FixedDate(month=8, day=29)]),
        ("29-тамыз", [FixedDate(month=8, day=29)]),
        (" \n\t ", [Missing()]),
        ("-", [Missing()]),
        # ranges and combinations
        ("қазан - сәуір", [Months(months=(10, 11, 12, 1, 2, 3, 4))]),
        ("Қыркүйек, мамыр", [Months(months=(9, 5))]),
        ("Ай сайын", [Monthly()]),
        ("Кезектен тыс", [WhenNeeded()]),
        ("Каникул алдында", [BeforeHolidays()]),
        ("Жыл бойы, каникул алдында", [BeforeHolidays()]),
        ("Қажет болса", [WhenNeeded()]),
    ],
)
def test_spellings(text: str, expected: list[TimingRule]) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Бейсенбі сайын", "Бейсенбі"),
        ("жиі", "жиі"),
        ("32 тамыз", "no day 32"),
        ("30 ақпан", "no day 30"),
        ("29", "'29' must be followed by a month"),
        ("7 апта қазан", "weeks 1 to 5"),
        ("2 апта", "week 2 of which month"),
        ("апта", "needs a number and a month"),
        ("сазанда балық", "балық"),
        ("айы", "no timing"),
        ("Жыл бойы!", "'!'"),
        ("с сентября по май", "'с'"),
    ],
)
def test_unknown_phrase_raises_naming_it(text: str, named: str) -> None:
    with pytest.raises(TimingError) as caught:
        parse_when(text)
    assert caught.value.text == text
    assert repr(text) in str(caught.value)
    assert named in str(caught.value)


def test_describe_in_plain_words() -> None:
    assert describe_timing(parse_when("Қыркүйек, жыл бойы")) == "in September; all year (ongoing)"
    assert describe_timing(parse_when("Қазан \nСәуір")) == "in October and April"
    assert describe_timing(parse_when("2 апта\n қазан")) == "in the 2nd week of October"
    assert describe_timing(parse_when("29 тамыз")) == "on 29 August"
    assert "NOT GIVEN" in describe_timing(parse_when(""))


# Russian plans write their timing in these shapes (issue #13); each must read as said.
RUSSIAN_PHRASES: dict[str, list[TimingRule]] = {
    "ежемесячно": [Monthly()],
    "в течение года": [AllYear()],
    "1 раз в четверть": [Quarterly()],
    "по плану": [AllYear(by_timetable=True)],
    "сентябрь-октябрь": [Months(months=(9, 10))],
    "до 25 числа": [Monthly(by_day=25)],
    "ежемесячно до 25 числа": [Monthly(by_day=25)],
    "по мере необходимости": [WhenNeeded()],
    "II четверть": [Quarterly(quarters=(2,))],
    "1-я четверть": [Quarterly(quarters=(1,))],
    "в конце каждой четверти": [Quarterly()],
    "до 15.09.2023 г.": [FixedDate(month=9, day=15)],
    "1 раз в месяц": [Monthly()],
    "2 раза в год": [AllYear()],
    "в начале учебного года": [Months(months=(9,))],
    "еженедельно (по пятницам)": [Weekly()],
    "в течение учебного года по плану": [AllYear(by_timetable=True)],
    "по запросу": [WhenNeeded()],
    "в каникулы": [BeforeHolidays()],
    # and the Kazakh shapes of the same
    "тоқсан сайын": [Quarterly()],
    "IV тоқсан": [Quarterly(quarters=(4,))],
    "айына 1 рет": [Monthly()],
    "жоспар бойынша": [AllYear(by_timetable=True)],
    "2023-2024 оқу жылы бойы": [AllYear()],
}


@pytest.mark.parametrize("text", list(RUSSIAN_PHRASES))
def test_russian_and_new_phrases(text: str) -> None:
    assert parse_when(text) == RUSSIAN_PHRASES[text]


def test_monthly_without_a_day_is_written_as_before() -> None:
    assert Monthly(extraordinary=True).model_dump() == {"kind": "monthly", "extraordinary": True}
    assert Monthly(by_day=25).model_dump()["by_day"] == 25


@pytest.mark.parametrize("text", ["5 четверть", "32 числа", "15.13", "четверть"])
def test_bad_quarters_and_days(text: str) -> None:
    with pytest.raises(TimingError):
        parse_when(text)
