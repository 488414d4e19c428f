"""What is due when: a small plan built here (the seed plan's shapes) on the 2026-2027 calendar."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import CALENDAR_DIR, DEFAULT_PLAN
from bot.core.calendar import SchoolCalendar, load_calendar
from bot.core.plan import (
    Group,
    Item,
    Names,
    Person,
    Plan,
    Responsible,
    Section,
    Session,
    SubItem,
)
from bot.core.roles import Role
from bot.core.schedule import (
    DEFAULT_POLICY,
    Occurrence,
    ReminderPolicy,
    occurrences,
    place_reminder,
    ref_sort_key,
    unscheduled,
)

TZ = ZoneInfo("Asia/Aqtobe")
YEAR = (date(2026, 8, 1), date(2027, 7, 31))


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def who(*people: str, groups: tuple[str, ...] = ()) -> Responsible:
    return Responsible(text="as written", people=people, groups=groups)


def item(ref: str, when: str, resp: Responsible | None = None, **kw: object) -> Item:
    return Item.model_validate(
        {
            "ref": ref,
            "title": f"Жұмыс {ref}",
            "when": when,
            "responsible": resp or who("amangeldi", groups=("class-teachers",)),
            **kw,
        }
    )


def session(number: int, when: str, reporters: Responsible) -> Session:
    return Session.model_validate(
        {
            "number": number,
            "when": when,
            "agenda": [
                {"number": 1, "title": "Бірінші мәселе", "reporters": reporters},
                {"number": 2, "title": "Екінші мәселе", "reporters": who("eshkeeva")},
            ],
            "responsible": reporters,
        }
    )


LECTURE_MONTHS = ("Қыркуйек", "Қазан", "Қараша", "желтоқсан", "Қаңтар", "Сәуір", "мамыр")


def small_plan() -> Plan:
    people = (
        Person(key="eshkeeva", name="Ешкеева А.Т.", roles=(Role.CHAIR,)),
        Person(key="amangeldi", name="Амангелді С.М.", roles=(Role.SOCIAL_PEDAGOGUE,)),
        Person(key="sarybayeva", name="Сарыбаева Г.А.", roles=(Role.ORGANISER,)),
        Person(key="police", name="Мақсат Д.К.", roles=(Role.EXTERNAL,), external=True),
    )
    groups = (
        Group(
            key="class-teachers",
            names=Names(kk="1-11 сынып жетекшілері", ru="Классные руководители 1-11"),
            roles=(Role.CLASS_TEACHER,),
        ),
        Group(
            key="council",
            names=Names(kk="Кеңес мүшелері", ru="Члены совета"),
            roles=(Role.COUNCIL_MEMBER,),
        ),
    )
    lectures = tuple(
        SubItem.model_validate(
            {
                "ref": f"3.4.{n}",
                "title": f"Дәріс {n}",
                "when": month,
                **({"responsible": who("police")} if n == 1 else {}),
            }
        )
        for n, month in enumerate(LECTURE_MONTHS, start=1)
    )
    checklist = tuple(SubItem(ref=f"2.1.{n}", title=f"Тексеру {n}") for n in range(1, 4))
    sections = (
        Section(
            number=1,
            title="Ұйымдастыру жұмыстары",
            items=(
                item("1.1", "қыркүйек"),
                item("1.2", "Жыл бойы"),
                item("1.3", "Жыл бойы\nАнықталған жағдайда."),
                item("1.4", "2 апта\n қазан", who("sarybayeva")),
                item("1.5", " Каникул алдында (жыл бойы)", who("sarybayeva")),
                item(
                    "1.6",
                    "Ай сайын,\nқажет болса кезектен тыс",
                    who(groups=("council",)),
                    remind=False,
                ),
                item("1.8", "Күн сайын"),
            ),
        ),
        Section(
            number=2,
            title="Алдын алу жұмыстар",
            items=(
                item("2.1", "Жыл бойы", subitems=checklist),
                item(
                    "2.4",
                    "",
                    who(groups=("council",)),
                    subitems=(SubItem(ref="2.4.1", title="x"),),
                ),
                item("2.6", "1 апта қыркүйек"),
                item("2.7", "Қазан \nСәуір "),
            ),
        ),
        Section(
            number=3,
            title="Жеке жұмыстар",
            items=(
                item("3.1", "Есепке алынған күннен бастап,\nтүзеліп кеткенінше"),
                item("3.3", "Апта сайын"),
                item("3.4", "Қыркүйек, жыл бойы", who("amangeldi"), subitems=lectures),
                item("3.5", "Қажет болған жағдайда"),
            ),
        ),
        Section(number=4, title="Ата-аналармен", items=(item("4.1", "Қыркүйек, жыл бойы"),)),
    )
    sessions = (
        session(1, "29 тамыз", who("eshkeeva", groups=("council",))),
        session(2, "қыркүйек", who("sarybayeva")),
        session(3, " қазан", who("amangeldi", "police")),
        session(5, "желтоқсан", who(groups=("class-teachers",))),
        session(10, "мамыр", who(groups=("council",))),
    )
    return Plan(
        title="Құқықбұзушылықтың алдын алу кеңесінің жұмыс жоспары",
        school="Test school",
        source_year="2023-2024",
        source="000_a896805958d58fd7.txt",
        people=people,
        groups=groups,
        sections=sections,
        sessions=sessions,
    )


@pytest.fixture(scope="module")
def cal() -> SchoolCalendar:
    return load_calendar(CALENDAR_DIR / "2026-2027.json")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return small_plan()


@pytest.fixture(scope="module")
def year(plan: Plan, cal: SchoolCalendar) -> list[Occurrence]:
    return occurrences(plan, cal, *YEAR)


def by_ref(found: list[Occurrence], ref: str) -> list[Occurrence]:
    return [o for o in found if o.ref == ref]


def one(found: list[Occurrence], key: str) -> Occurrence:
    (occ,) = [o for o in found if o.key == key]
    return occ


# --- sessions -----------------------------------------------------------------------------------


def test_defect_session_one_on_saturday_29_august_moves_to_friday(year: list[Occurrence]) -> None:
    """#13: "29 тамыз" is a Saturday in 2026; a session falls on a working day of the
    school, the nearest earlier one, and is marked provisional."""
    occ = one(year, "council-1@2026-2027")
    assert (occ.ref, occ.item_ref, occ.kind, occ.rule) == (
        "council-1",
        "council-1",
        "session",
        "fixed_date",
    )
    assert occ.due == at(2026, 8, 28, 15)
    assert occ.provisional == ("moved:2026-08-29",)
    assert occ.date_set
    assert occ.title == "Кеңес отырысы №1"
    assert [a.number for a in occ.agenda] == [1, 2]
    assert occ.agenda[0].reporters == ("Ешкеева А.Т.", "Кеңес мүшелері")
    assert occ.responsible_names == ("Ешкеева А.Т.", "Кеңес мүшелері")
    assert (occ.people, occ.groups) == (("eshkeeva",), ("council",))
    assert occ.responsible == ("eshkeeva", "council")


def test_session_one_reminders_on_working_days(year: list[Occurrence]) -> None:
    occ = one(year, "council-1@2026-2027")
    # Friday 28 Aug: a week before is Friday 21 Aug, the day before Thursday 27 Aug
    assert [(r.kind, r.at) for r in occ.reminders] == [
        ("week_before", at(2026, 8, 21, 15)),
        ("day_before", at(2026, 8, 27, 15)),
        ("morning_of", at(2026, 8, 28, 8)),
    ]
    assert occ.window_start == at(2026, 8, 21, 8)


def test_a_session_dated_by_month_gets_a_provisional_day(year: list[Occurrence]) -> None:
    occ = one(year, "council-2@2026-2027")
    assert not occ.date_set
    assert occ.provisional == ("month_only",)
    assert occ.rule == "months"
    assert occ.due == at(2026, 9, 24, 15)  # the last Thursday of September 2026
    assert occ.window_start == at(2026, 9, 1, 8)
    kinds = {r.kind: r for r in occ.reminders}
    assert kinds["set_date"].at == at(2026, 9, 1, 8, 30)
    assert kinds["set_date"].to == ("eshkeeva",)  # the chair
    assert kinds["week_before"].at == at(2026, 9, 17, 15)
    assert kinds["morning_of"].at == at(2026, 9, 24, 8)
    assert kinds["week_before"].to == ()  # the session's own people


def test_default_session_day_is_a_school_day(year: list[Occurrence], cal: SchoolCalendar) -> None:
    # December 2026: the last Thursday, 31 Dec, is in the winter break -> 24 Dec
    assert one(year, "council-5@2026-2027").due == at(2026, 12, 24, 15)
    for occ in year:
        if occ.kind == "session" and not occ.date_set:
            assert cal.is_school_day(occ.due.date())
            assert occ.due.weekday() == DEFAULT_POLICY.session_default_weekday


def test_session_times_set_the_date(plan: Plan, cal: SchoolCalendar) -> None:
    found = occurrences(plan, cal, *YEAR, session_times={2: at(2026, 9, 15, 14, 30)})
    occ = one(found, "council-2@2026-2027")
    assert occ.date_set and occ.due == at(2026, 9, 15, 14, 30)
    assert "set_date" not in {r.kind for r in occ.reminders}


def test_session_times_in_another_zone_are_shown_in_school_time(
    plan: Plan, cal: SchoolCalendar
) -> None:
    utc = datetime(2026, 9, 15, 9, 30, tzinfo=ZoneInfo("UTC"))
    occ = one(occurrences(plan, cal, *YEAR, session_times={2: utc}), "council-2@2026-2027")
    assert occ.due == at(2026, 9, 15, 14, 30)
    assert occ.due.utcoffset() == timedelta(hours=5)
    with pytest.raises(ValueError, match="naive"):
        occurrences(plan, cal, *YEAR, session_times={2: datetime(2026, 9, 15, 14)})  # noqa: DTZ001


# --- items --------------------------------------------------------------------------------------


def test_month_item(year: list[Occurrence]) -> None:
    occ = one(year, "1.1@2026-09")
    assert (occ.rule, occ.kind, occ.item_ref) == ("months", "task", "1.1")
    assert (occ.window_start, occ.due) == (at(2026, 9, 1, 8), at(2026, 9, 30, 18))
    assert [(r.kind, r.at) for r in occ.reminders] == [
        ("month_start", at(2026, 9, 1, 8, 30)),
        ("before_end", at(2026, 9, 25, 8, 30)),  # 3 school days before Wed 30 Sep
    ]
    assert occ.responsible_names == ("Амангелді С.М.", "1-11 сынып жетекшілері")


def test_two_months(year: list[Occurrence]) -> None:
    assert [o.key for o in by_ref(year, "2.7")] == ["2.7@2026-10", "2.7@2027-04"]


def test_lecture_sub_items_run_september_to_may(year: list[Occurrence]) -> None:
    assert by_ref(year, "3.4") == []
    lectures = [o for o in year if o.item_ref == "3.4"]
    assert [o.key for o in lectures] == [
        "3.4.1@2026-09",
        "3.4.2@2026-10",
        "3.4.3@2026-11",
        "3.4.4@2026-12",
        "3.4.5@2027-01",
        "3.4.6@2027-04",
        "3.4.7@2027-05",
    ]
    # its own responsible is the police officer alone: the social pedagogue hosts (no deputy
    # director for upbringing in this plan), and the guest is named
    assert lectures[0].people == ("amangeldi",)
    assert lectures[0].guests == ("Мақсат Д.К.",) and lectures[0].hosted
    assert lectures[1].people == ("amangeldi",)  # the item's
    assert lectures[2].title == "Дәріс 3"
    # May 2027: 3 May is the day off for 1 May, so the month starts on Tuesday 4 May
    assert lectures[-1].window_start == at(2027, 5, 4, 8)
    assert lectures[-1].due == at(2027, 5, 25, 18)


def test_sub_items_without_timing_are_the_checklist(year: list[Occurrence]) -> None:
    for occ in by_ref(year, "2.1"):
        assert occ.checklist == ("Тексеру 1", "Тексеру 2", "Тексеру 3")
    assert all(o.checklist == () for o in by_ref(year, "1.2"))


def test_second_week_of_october(year: list[Occurrence]) -> None:
    (occ,) = by_ref(year, "1.4")
    assert occ.key == "1.4@2026-W41"
    assert (occ.window_start, occ.due) == (at(2026, 10, 5, 8), at(2026, 10, 9, 18))
    assert [r.kind for r in occ.reminders] == ["week_start", "before_end"]


def test_first_week_of_september_starts_on_the_first_school_day(year: list[Occurrence]) -> None:
    (occ,) = by_ref(year, "2.6")
    assert (occ.window_start, occ.due) == (at(2026, 9, 1, 8), at(2026, 9, 4, 18))


def test_week_one_without_a_school_day_in_the_month() -> None:
    # May 2027 starts on a Saturday: week 1 is 3-9 May (3 May off), week 2 is 10-16 May
    cal = load_calendar(CALENDAR_DIR / "2026-2027.json")
    plan = small_plan()
    week2 = item("1.9", "2 апта мамыр")
    plan = plan.model_copy(
        update={"sections": (Section(number=1, title="x", items=(week2,)),), "sessions": ()}
    )
    (occ,) = occurrences(plan, cal, *YEAR)
    assert (occ.window_start, occ.due) == (at(2027, 5, 11, 8), at(2027, 5, 14, 18))


def test_daily_item_once_per_school_day(year: list[Occurrence], cal: SchoolCalendar) -> None:
    daily = by_ref(year, "1.8")
    assert len(daily) == cal.count_school_days() == 164
    assert [o.due.date() for o in daily] == list(cal.school_days())
    first = daily[0]
    assert first.key == "1.8@2026-09-01"
    assert (first.window_start, first.due) == (at(2026, 9, 1, 8), at(2026, 9, 1, 18))
    assert [(r.kind, r.at) for r in first.reminders] == [("daily", at(2026, 9, 1, 8, 30))]


def test_weekly_item_once_per_school_week(year: list[Occurrence], cal: SchoolCalendar) -> None:
    weekly = by_ref(year, "3.3")
    assert len(weekly) == len(cal.school_weeks())
    assert weekly[1].key == "3.3@2026-W37"
    # the week of 16 December: Monday to Friday, Wednesday off
    occ = one(year, "3.3@2026-W51")
    assert (occ.window_start, occ.due) == (at(2026, 12, 14, 8), at(2026, 12, 18, 18))
    assert "3.3@2026-W44" not in {o.key for o in weekly}  # the autumn break


def test_monthly_item_every_school_month_without_reminders(year: list[Occurrence]) -> None:
    monthly = by_ref(year, "1.6")
    assert [o.key[4:] for o in monthly] == [
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
        "2027-03",
        "2027-04",
        "2027-05",
    ]
    assert all(o.reminders == () for o in monthly)  # remind=False


def test_defect_all_year_deadlines_follow_the_review_sessions(year: list[Occurrence]) -> None:
    """#13: an all-year item is due after the session that reviews its half (28 Dec after the
    half-year session on 24 Dec; 25 May after the annual one on 20 May), and reminded a few
    school days before that session, so the report is ready for it."""
    h1, h2 = by_ref(year, "1.2")
    assert one(year, "council-5@2026-2027").due == at(2026, 12, 24, 15)
    assert one(year, "council-10@2026-2027").due == at(2027, 5, 20, 15)
    assert (h1.key, h2.key) == ("1.2@2026-2027-H1", "1.2@2026-2027-H2")
    assert (h1.window_start, h1.due) == (at(2026, 9, 1, 8), at(2026, 12, 28, 18))
    assert (h2.window_start, h2.due) == (at(2027, 1, 8, 8), at(2027, 5, 25, 18))
    # 3 school days before each reviewing session
    assert [(r.kind, r.at) for r in h1.reminders] == [("before_review", at(2026, 12, 21, 8, 30))]
    assert [(r.kind, r.at) for r in h2.reminders] == [("before_review", at(2027, 5, 17, 8, 30))]


def test_all_year_deadline_moves_after_a_late_review_session(
    plan: Plan, cal: SchoolCalendar
) -> None:
    """A session set on the half's last day still comes before the deadline."""
    found = occurrences(plan, cal, *YEAR, session_times={5: at(2026, 12, 28, 16)})
    h1 = one(found, "1.2@2026-2027-H1")
    assert h1.due == at(2026, 12, 28, 18) and h1.due > at(2026, 12, 28, 16)
    assert [r.at for r in h1.reminders] == [at(2026, 12, 23, 8, 30)]


def test_defect_what_a_session_reviews_is_due_before_it(cal: SchoolCalendar) -> None:
    """#13: a deadline for what a session reviews is a few school days before the session."""
    base = small_plan()
    sessions = tuple(
        s.model_copy(update={"reviews": ("2.7",)}) if s.number == 3 else s for s in base.sessions
    )
    found = occurrences(base.model_copy(update={"sessions": sessions}), cal, *YEAR)
    session = one(found, "council-3@2026-2027")
    assert session.due == at(2026, 10, 22, 15)  # the last Thursday of October
    october = one(found, "2.7@2026-10")
    assert october.due == at(2026, 10, 19, 18)  # 3 school days before it
    assert one(found, "2.7@2027-04").due == at(2027, 4, 30, 18)  # no session reviews April


def test_all_year_with_when_needed_is_still_reported(year: list[Occurrence]) -> None:
    assert [o.rule for o in by_ref(year, "1.3")] == ["all_year", "all_year"]


def test_month_plus_all_year(year: list[Occurrence]) -> None:
    assert [o.key for o in by_ref(year, "4.1")] == [
        "4.1@2026-09",
        "4.1@2026-2027-H1",
        "4.1@2026-2027-H2",
    ]


def test_before_holidays(year: list[Occurrence]) -> None:
    found = by_ref(year, "1.5")
    assert [o.key for o in found] == [
        "1.5@2026-2027-autumn",
        "1.5@2026-2027-winter",
        "1.5@2026-2027-spring",
        "1.5@2026-2027-summer",
    ]
    autumn = found[0]
    assert autumn.due == at(2026, 10, 23, 18)  # Friday before the autumn break
    assert autumn.window_start == at(2026, 10, 16, 8)  # 5 school days earlier
    assert [o.due.date() for o in found[1:]] == [
        date(2026, 12, 28),
        date(2027, 3, 18),
        date(2027, 5, 25),
    ]


def test_unscheduled(plan: Plan, year: list[Occurrence]) -> None:
    missing = dict(unscheduled(plan))
    assert set(missing) == {"2.4", "3.1", "3.5"}
    assert "student register" in missing["3.1"]
    assert "when needed" in missing["3.5"]
    assert "empty" in missing["2.4"]
    assert not {o.item_ref for o in year} & set(missing)


# --- reminders ----------------------------------------------------------------------------------


def test_no_reminder_on_a_non_school_day_or_at_night(
    year: list[Occurrence], cal: SchoolCalendar
) -> None:
    policy = DEFAULT_POLICY
    count = 0
    for occ in year:
        for rem in occ.reminders:
            count += 1
            assert rem.at.tzinfo is not None
            assert cal.is_working_day(rem.at.date()), (occ.key, rem)
            if cal.first_day <= rem.at.date() <= cal.last_day:
                assert cal.is_school_day(rem.at.date()), (occ.key, rem)
            assert policy.quiet_end <= rem.at.time() < policy.quiet_start, (occ.key, rem)
            assert occ.window_start <= rem.at <= occ.due, (occ.key, rem)
        assert list(occ.reminders) == sorted(occ.reminders, key=lambda r: r.at)
    assert count > 200


def test_reminders_move_to_the_previous_school_day(plan: Plan, cal: SchoolCalendar) -> None:
    # A session on Monday 2 November, the day after the autumn break: a week before and a day
    # before both fall in the break and move to Friday 23 October; the second one is dropped.
    found = occurrences(plan, cal, *YEAR, session_times={3: at(2026, 11, 2, 15)})
    occ = one(found, "council-3@2026-2027")
    assert occ.window_start == at(2026, 10, 23, 8)
    assert [(r.kind, r.at) for r in occ.reminders] == [
        ("week_before", at(2026, 10, 23, 8, 30)),
        ("morning_of", at(2026, 11, 2, 8)),
    ]


def test_a_reminder_at_night_moves_to_the_morning(plan: Plan, cal: SchoolCalendar) -> None:
    found = occurrences(plan, cal, *YEAR, session_times={2: at(2026, 9, 24, 22)})
    occ = one(found, "council-2@2026-2027")
    kinds = {r.kind: r.at for r in occ.reminders}
    assert kinds["day_before"] == at(2026, 9, 23, 8, 30)  # 22:00 the day before
    assert kinds["week_before"] == at(2026, 9, 17, 8, 30)


def test_place_reminder(cal: SchoolCalendar) -> None:
    window, due = at(2026, 10, 5, 8), at(2026, 10, 30, 18)

    def place(moment: datetime) -> datetime:
        return place_reminder(cal, DEFAULT_POLICY, moment, window, due)

    assert place(at(2026, 10, 7, 12)) == at(2026, 10, 7, 12)  # a school day, daytime: kept
    assert place(at(2026, 10, 7, 21, 30)) == at(2026, 10, 7, 8, 30)  # night: that morning
    assert place(at(2026, 10, 7, 6)) == at(2026, 10, 6, 8, 30)  # early: the day before
    assert place(at(2026, 10, 10, 12)) == at(2026, 10, 9, 8, 30)  # Saturday: Friday
    assert place(at(2026, 9, 1, 12)) == window  # before the window
    assert place(at(2026, 11, 20, 12)) == at(2026, 10, 23, 8, 30)  # after due, in the break
    utc = datetime(2026, 10, 7, 7, tzinfo=ZoneInfo("UTC"))
    assert place(utc) == at(2026, 10, 7, 12)


def test_policy_is_configurable(plan: Plan, cal: SchoolCalendar) -> None:
    policy = ReminderPolicy(
        morning_time=time(9, 15), lead_reminders=(("day_before", 1),), session_time=time(16)
    )
    found = occurrences(plan, cal, *YEAR, policy=policy)
    assert one(found, "1.8@2026-09-01").reminders[0].at == at(2026, 9, 1, 9, 15)
    occ = one(found, "council-2@2026-2027")
    assert occ.due == at(2026, 9, 24, 16)
    assert [r.kind for r in occ.reminders] == [
        "set_date", "set_date_7", "set_date_3", "day_before", "morning_of",
    ]  # fmt: skip
    quiet = occurrences(plan, cal, *YEAR, policy=replace(policy, set_date_again_days=()))
    assert [r.kind for r in one(quiet, "council-2@2026-2027").reminders] == [
        "set_date", "day_before", "morning_of",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="quiet hours"):
        ReminderPolicy(morning_time=time(7))


# --- the list as a whole ------------------------------------------------------------------------


def test_keys_are_unique(year: list[Occurrence]) -> None:
    assert not [k for k, n in Counter(o.key for o in year).items() if n > 1]


def test_sorted_by_due_then_ref(year: list[Occurrence]) -> None:
    assert year == sorted(year, key=lambda o: (o.due, ref_sort_key(o.ref), o.key))
    assert ref_sort_key("1.2") < ref_sort_key("1.10") < ref_sort_key("council-1")
    due_sep_30 = [o.ref for o in year if o.due == at(2026, 9, 30, 18)]
    assert due_sep_30 == ["1.1", "1.6", "1.8", "3.4.1", "4.1"]


def test_all_datetimes_are_aware_in_school_time(year: list[Occurrence]) -> None:
    for occ in year:
        assert occ.window_start <= occ.due
        assert occ.due.utcoffset() == occ.window_start.utcoffset() == timedelta(hours=5)


def test_period_filter(plan: Plan, cal: SchoolCalendar, year: list[Occurrence]) -> None:
    start, end = date(2026, 10, 5), date(2026, 10, 9)
    week = occurrences(plan, cal, start, end)
    assert week == [o for o in year if start <= o.due.date() <= end]
    assert {o.ref for o in week} == {"1.4", "1.8", "3.3"}
    assert occurrences(plan, cal, date(2026, 10, 26), date(2026, 11, 1)) == []
    with pytest.raises(ValueError, match="before it starts"):
        occurrences(plan, cal, end, start)


def test_deterministic(plan: Plan, cal: SchoolCalendar, year: list[Occurrence]) -> None:
    assert occurrences(plan, cal, *YEAR) == year
    assert occurrences(small_plan(), load_calendar(CALENDAR_DIR / "2026-2027.json"), *YEAR) == year


# --- the seed plan ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_year(cal: SchoolCalendar) -> tuple[Plan, list[Occurrence]]:
    from bot.core.plan import load_plan

    seed = load_plan(DEFAULT_PLAN)
    return seed, occurrences(seed, cal, *YEAR)


def test_seed_plan_whole_year(
    seed_year: tuple[Plan, list[Occurrence]], cal: SchoolCalendar
) -> None:
    seed, found = seed_year
    keys = [o.key for o in found]
    assert len(keys) == len(set(keys))
    assert one(found, "council-1@2026-2027").due == at(2026, 8, 28, 15)
    assert len(by_ref(found, "1.8")) == cal.count_school_days()
    assert by_ref(found, "1.4")[0].window_start == at(2026, 10, 5, 8)
    lectures = [o.key for o in found if o.item_ref == "3.4"]
    assert (lectures[0], lectures[-1]) == ("3.4.1@2026-09", "3.4.7@2027-05")
    assert {s.ref for s in seed.sessions} == {o.ref for o in found if o.kind == "session"}
    refs = {r for r, _ in unscheduled(seed)}
    assert {"3.1", "3.2", "3.5"} <= refs


def test_the_first_occurrence_of_a_key_wins_even_outside_the_period(cal: SchoolCalendar) -> None:
    # Two rules giving the same key ("1.9@2026-09"): the first one's stands for the key, so a
    # period holding only the second one's due gets neither (occurrences() decides before it
    # builds an occurrence, and must decide as the whole year does).
    both = item(
        "1.9",
        "қыркүйек, ай сайын 5-не дейін",
        timing=[{"kind": "months", "months": [9]}, {"kind": "monthly", "by_day": 5}],
    )
    plan = small_plan().model_copy(
        update={"sections": (Section(number=1, title="Бөлім", items=(both,)),), "sessions": ()}
    )
    year = [o for o in occurrences(plan, cal, *YEAR) if o.key == "1.9@2026-09"]
    assert [o.rule for o in year] == ["months"] and year[0].due.date() == date(2026, 9, 30)
    assert occurrences(plan, cal, date(2026, 9, 1), date(2026, 9, 10)) == []


def test_task_occurrences_are_built_in_the_fields_order() -> None:
    # bot.core.schedule._task_occurrences builds Occurrence positionally (for speed).
    from dataclasses import fields

    assert [f.name for f in fields(Occurrence)] == [
        "key", "ref", "item_ref", "title", "kind", "rule", "window_start", "due", "people",
        "groups", "responsible_names", "reminders", "agenda", "checklist", "date_set",
        "provisional", "guests", "routine",
    ]  # fmt: skip
