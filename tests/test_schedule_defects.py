"""Issue #13, part 1: the schedule defects found in the seed plan, date by date; each test
names the defect it guards."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import CALENDAR_DIR, DEFAULT_PLAN
from bot.core.calendar import SchoolCalendar, load_calendar
from bot.core.describe import describe_in_use
from bot.core.overrides import PlanOverrides, apply_overrides, needs_timing, timing_choice
from bot.core.plan import Plan, load_plan
from bot.core.schedule import Occurrence, occurrences, unscheduled
from bot.core.yearroll import roll_years

TZ = ZoneInfo("Asia/Aqtobe")
YEAR = (date(2026, 8, 1), date(2027, 7, 31))


@pytest.fixture(scope="module")
def cal() -> SchoolCalendar:
    return load_calendar(CALENDAR_DIR / "2026-2027.json")


@pytest.fixture(scope="module")
def seed() -> Plan:
    return load_plan(DEFAULT_PLAN)


@pytest.fixture(scope="module")
def year(seed: Plan, cal: SchoolCalendar) -> list[Occurrence]:
    return occurrences(seed, cal, *YEAR)


def one(found: list[Occurrence], key: str) -> Occurrence:
    (occ,) = [o for o in found if o.key == key]
    return occ


def test_sessions_and_deadlines_fall_on_working_days(
    year: list[Occurrence], cal: SchoolCalendar
) -> None:
    first = one(year, "council-1@2026-2027")
    assert first.due == datetime(2026, 8, 28, 15, tzinfo=TZ)  # Friday, not Saturday 29 Aug
    assert first.provisional == ("moved:2026-08-29",)
    for occ in year:
        assert cal.is_working_day(occ.due.date()), occ.key


def test_item_2_4_without_timing_is_listed_and_can_be_set(seed: Plan, cal: SchoolCalendar) -> None:
    assert ("2.4", seed.item("2.4").title) in needs_timing(seed)
    assert ("2.4", "the When cell is empty: set a timing in the plan") in unscheduled(seed)
    assert "No date — set timing: 2.4" in describe_in_use(seed)
    fixed = apply_overrides(seed, PlanOverrides(timing={"2.4": timing_choice("quarterly")}))
    found = [o for o in occurrences(fixed, cal, *YEAR) if o.ref == "2.4"]
    assert [o.key for o in found] == [f"2.4@2026-2027-Q{n}" for n in (1, 2, 3, 4)]
    assert found[0].due == datetime(2026, 10, 23, 18, tzinfo=TZ)  # the 1st quarter's last day
    assert needs_timing(fixed) == []
    described = describe_in_use(fixed, timing_set={"2.4"})
    assert any("timing set in chat: once a quarter" in line for line in described)


def test_external_only_items_get_a_school_host_with_the_guests_named(
    year: list[Occurrence], seed: Plan
) -> None:
    hosted = {o.ref: o for o in year if o.hosted}
    assert set(hosted) == {"3.4.1", "3.4.2", "3.4.3", "3.4.6", "3.4.7"}
    for occ in hosted.values():
        assert occ.people == ("mukanova-azh",)  # ДТЖЖО: the deputy director for upbringing
        assert occ.groups == ()
    assert hosted["3.4.1"].guests == ("Мақсат Д.К.",)
    assert hosted["3.4.2"].guests == ("Хромтау аудандық ІІБ қызметкерлері",)
    council3 = one(year, "council-3@2026-2027")
    point = council3.agenda[1]
    assert point.people == ("mukanova-azh",) and point.guests == (
        "Хромтау аудандық ІІБ қызметкерлері",
    )
    # 3.4.4 names the doctor and a teacher: the teacher is reminded, no host
    assert not any(o.hosted for o in year if o.ref == "3.4.4")


def test_the_host_is_configurable_per_item(seed: Plan, cal: SchoolCalendar) -> None:
    plan = apply_overrides(
        seed, PlanOverrides(hosts={"3.4.6": ("amangeldi-sm",), "council-3.2": ("uteshova-ak",)})
    )
    found = occurrences(plan, cal, *YEAR)
    assert one(found, "3.4.6@2027-04").people == ("amangeldi-sm",)
    assert one(found, "3.4.7@2027-05").people == ("mukanova-azh",)
    assert one(found, "council-3@2026-2027").agenda[1].people == ("uteshova-ak",)
    lines = describe_in_use(plan, host_set={"3.4.6"})
    assert any("host: Амангелді С.М. (set in chat); invites Рсалин Н.А." in x for x in lines)


def test_year_references_are_rolled_to_the_school_year(seed: Plan) -> None:
    rolled, changes = roll_years(seed, "2026-2027")
    texts = [p.title for s in rolled.sessions for p in s.agenda] + [rolled.title]
    assert not any("2023-2024" in t or "2024-2025" in t for t in texts)
    assert "2027-2028 оқу жылына" in rolled.session(10).agenda[2].title
    assert "2026-2027 оқу жылына" in rolled.title
    # an order's date is no year reference: it stays
    assert "2021 жылғы 25 мамырдағы" in rolled.item("2.6").title
    assert {c.where for c in changes} >= {"title", "council-1.2", "council-10.3"}
    lines = describe_in_use(rolled, rolled=changes, school_year="2026-2027")
    assert "years rolled: 2024-2025 → 2027-2028" in "\n".join(lines)
    assert roll_years(seed, "2023-2024") == (seed, ())


def test_all_year_items_are_due_after_their_review_session(year: list[Occurrence]) -> None:
    h1 = one(year, "1.2@2026-2027-H1")
    h2 = one(year, "1.2@2026-2027-H2")
    half = one(year, "council-5@2026-2027")
    annual = one(year, "council-10@2026-2027")
    assert (half.due.date(), h1.due.date()) == (date(2026, 12, 24), date(2026, 12, 28))
    assert (annual.due.date(), h2.due.date()) == (date(2027, 5, 20), date(2027, 5, 25))
    assert [r.at.date() for r in h1.reminders] == [date(2026, 12, 21)]
    assert [r.at.date() for r in h2.reminders] == [date(2027, 5, 17)]


@pytest.mark.parametrize(
    ("lang", "task_line", "agenda_line"),
    [
        (
            "kk",
            "Қонақтар — оларды шақырып, қарсы алыңыз: Хромтау аудандық ІІБ қызметкерлері",
            "2. Кешкі рейдтердің нәтижелері. — Муканова А.Ж. "
            "(қонақтар: Хромтау аудандық ІІБ қызметкерлері)",
        ),
        (
            "ru",
            "Гости — пригласите и встретьте их: Сотрудники ОП Хромтауского района",
            "2. Итоги вечерних рейдов — Муканова А.Ж. (гости: Сотрудники ОП Хромтауского района)",
        ),
    ],
)
def test_the_hosts_reminder_names_the_guests_in_the_readers_language(
    year: list[Occurrence], seed: Plan, lang: str, task_line: str, agenda_line: str
) -> None:
    from bot.scheduler.planner import Intent, Roster
    from bot.services.tasks import render_session, render_task

    roster = Roster(seed, [], [])
    lecture = one(year, "3.4.3@2026-11")
    text = render_task(lang, lecture, person_id=1, roster=roster)
    assert task_line in text.splitlines()
    council3 = one(year, "council-3@2026-2027")
    intent = Intent("k", "week_before", 1, 1, lang, council3.due, False, occurrence=council3)
    assert agenda_line in render_session(lang, intent, plan=seed).splitlines()
