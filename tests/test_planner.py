"""Which reminders are due when: the pure planner over a small plan on the 2026-2027 calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import CALENDAR_DIR
from bot.core.calendar import SchoolCalendar, load_calendar
from bot.core.plan import Group, Item, Names, Person, Plan, Responsible, Section, Session
from bot.core.roles import Role
from bot.core.schedule import DEFAULT_POLICY, Occurrence, occurrences
from bot.scheduler.planner import (
    Due,
    ReportView,
    Roster,
    extra_occurrence,
    next_allowed,
    plan_reminders,
    sending_allowed,
)
from db.models import Account, AccountState, Language, ReportStatus
from db.models import Person as DbPerson

TZ = ZoneInfo("Asia/Aqtobe")


def at(m: int, d: int, hh: int = 9, mm: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def who(*people: str, groups: tuple[str, ...] = ()) -> Responsible:
    return Responsible(text="as written", people=people, groups=groups)


def small_plan() -> Plan:
    def item(ref: str, when: str, resp: Responsible, routine: str | None = None) -> Item:
        return Item.model_validate(
            {
                "ref": ref,
                "title": f"Жұмыс {ref}",
                "when": when,
                "responsible": resp,
                "routine": routine,
            }
        )

    return Plan(
        title="Жоспар",
        school="Test school",
        source_year="2023-2024",
        source="plan.txt",
        people=(
            Person(key="chair", name="Ешкеева А.Т.", roles=(Role.CHAIR,)),
            Person(key="deputy", name="Муканова А.Ж.", roles=(Role.DEPUTY_DIRECTOR,)),
            Person(key="psych", name="Рахимжанова А.Р.", roles=(Role.PSYCHOLOGIST,)),
            Person(key="social", name="Амангелді С.М.", roles=(Role.SOCIAL_PEDAGOGUE,)),
            Person(key="member", name="Нугиманова М.К.", roles=(Role.COUNCIL_MEMBER,)),
        ),
        groups=(
            Group(
                key="class-teachers",
                names=Names(kk="Сынып жетекшілері", ru="Классные руководители"),
                roles=(Role.CLASS_TEACHER,),
            ),
        ),
        sections=(
            Section(
                number=1,
                title="Ұйымдастыру",
                items=(
                    item("1.1", "қараша", who("social", groups=("class-teachers",))),
                    item("1.2", "27 қараша", who("psych", "social")),
                    item("1.3", "Күн сайын", who("social"), routine="card"),
                ),
            ),
        ),
        sessions=(
            Session.model_validate(
                {
                    "number": 4,
                    "when": "19 қараша",
                    "agenda": [
                        {
                            "number": 1,
                            "title": "Мектеп психологтарының сауалнамасының нәтижелері",
                            "reporters": who("psych"),
                        },
                        {"number": 2, "title": "Тәртіп", "reporters": who("social")},
                    ],
                    "responsible": who("psych", "social"),
                }
            ),
            Session.model_validate(
                {
                    "number": 5,
                    "when": "желтоқсан",
                    "agenda": [{"number": 1, "title": "Қорытынды", "reporters": who("social")}],
                    "responsible": who("social"),
                }
            ),
        ),
    )


PEOPLE = [
    ("chair", [Role.CHAIR]),
    ("deputy", [Role.DEPUTY_DIRECTOR]),
    ("psych", [Role.PSYCHOLOGIST]),
    ("social", [Role.SOCIAL_PEDAGOGUE]),
    ("member", [Role.COUNCIL_MEMBER]),
    ("t1", [Role.CLASS_TEACHER]),
    ("t2", [Role.CLASS_TEACHER]),
    ("t3", [Role.CLASS_TEACHER]),
]
ID = {key: i for i, (key, _) in enumerate(PEOPLE, start=1)}
JOINED = datetime(2026, 8, 20, 9, 0, tzinfo=TZ)  # everyone, before the school year


@pytest.fixture(scope="module")
def cal() -> SchoolCalendar:
    return load_calendar(CALENDAR_DIR / "2026-2027.json")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return small_plan()


@pytest.fixture
def roster(plan: Plan) -> Roster:
    people = [
        DbPerson(id=i, key=key, name=key.title(), roles=[str(r) for r in roles])
        for (key, roles), i in zip(PEOPLE, ID.values(), strict=True)
    ]
    accounts = [
        Account(
            person_id=i,
            telegram_user_id=1000 + i,
            chat_id=1000 + i,
            language=Language.RU if key == "t3" else Language.KK,
            joined_at=JOINED,
        )
        for key, i in ID.items()
    ]
    return Roster(plan, people, accounts)


@pytest.fixture(scope="module")
def occs(plan: Plan, cal: SchoolCalendar) -> list[Occurrence]:
    return occurrences(plan, cal, date(2026, 10, 1), date(2027, 1, 31))


def run(
    occs: list[Occurrence],
    roster: Roster,
    now: datetime,
    cal: SchoolCalendar,
    reports: dict[tuple[str, int], ReportView] | None = None,
    closed: tuple[str, ...] = (),
) -> Due:
    return plan_reminders(occs, roster, reports or {}, now, cal, closed=closed)


def keys(due: Due) -> set[str]:
    return {i.dedup_key for i in due.intents}


# --- sending windows --------------------------------------------------------------------------


def test_quiet_hours_and_weekends_send_nothing(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    assert run(occs, roster, at(11, 2, 8, 30), cal).intents  # Monday 08:30: month start
    assert not run(occs, roster, at(11, 2, 7, 59), cal).intents  # quiet until 08:00
    assert not run(occs, roster, at(11, 2, 21, 0), cal).intents  # quiet from 21:00
    assert not run(occs, roster, at(11, 7, 12, 0), cal).intents  # Saturday
    assert not sending_allowed(at(10, 28, 12), cal, DEFAULT_POLICY)  # the autumn break


def test_next_allowed_moves_to_the_next_working_morning(cal: SchoolCalendar) -> None:
    assert next_allowed(at(11, 24, 22, 0), cal) == at(11, 25, 8, 30)  # Tuesday night
    assert next_allowed(at(11, 25, 6, 0), cal) == at(11, 25, 8, 30)  # early morning
    assert next_allowed(at(11, 28, 12, 0), cal) == at(11, 30, 8, 30)  # Saturday -> Monday
    assert next_allowed(at(11, 24, 12, 0), cal) == at(11, 24, 12, 0)


# --- tasks ------------------------------------------------------------------------------------


def test_month_item_reminds_each_responsible_once_at_month_start(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    due = run(occs, roster, at(11, 2, 8, 30), cal)
    month = [i for i in due.intents if i.occurrence and i.occurrence.key == "1.1@2026-11"]
    assert {i.person_id for i in month} == {ID["social"], ID["t1"], ID["t2"], ID["t3"]}
    assert {i.kind for i in month} == {"month_start"}
    assert all(not i.late for i in month)
    assert f"1.1@2026-11|{ID['t1']}|month_start" in keys(due)
    ru = next(i for i in month if i.person_id == ID["t3"])
    assert ru.lang == "ru" and ru.chat_id == 1000 + ID["t3"]


def test_the_same_moment_gives_the_same_keys(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    a = run(occs, roster, at(11, 2, 8, 30), cal)
    b = run(occs, roster, at(11, 2, 8, 31), cal)
    month_keys = {k for k in keys(a) if k.startswith("1.1@")}
    assert month_keys and month_keys <= keys(b)


def test_missed_reminders_go_out_late_only_the_latest(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    # 1.2 is due Friday 27 Nov 18:00: week before (20 Nov), day before (26 Nov), morning of.
    # The bot was down from 19 Nov to the 26th at 19:00: only "day_before" (18:00) goes, late.
    due = run(occs, roster, at(11, 26, 19, 0), cal)
    mine = [i for i in due.intents if i.occurrence and i.occurrence.key == "1.2@2026-11-27"]
    assert {i.kind for i in mine} == {"day_before"}
    assert all(i.late for i in mine)
    assert {i.person_id for i in mine} == {ID["psych"], ID["social"]}


def test_done_and_cant_stop_reminders_for_that_person_only(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    reports = {
        ("1.2@2026-11-27", ID["psych"]): ReportView(ReportStatus.DONE),
        ("1.2@2026-11-27", ID["social"]): ReportView(ReportStatus.COMMENT),
    }
    due = run(occs, roster, at(11, 27, 9, 0), cal, reports)
    mine = [i for i in due.intents if i.occurrence and i.occurrence.key == "1.2@2026-11-27"]
    assert {i.person_id for i in mine} == {ID["social"]}


def test_snooze_replaces_reminders_until_its_moment(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    until = at(11, 26, 19, 0)  # snoozed over the day_before moment (18:00)
    reports = {("1.2@2026-11-27", ID["psych"]): ReportView(ReportStatus.SNOOZED, until)}

    def psych_kinds(now: datetime) -> set[str]:
        due = run(occs, roster, now, cal, reports)
        return {
            i.kind
            for i in due.intents
            if i.person_id == ID["psych"] and i.occurrence and i.occurrence.ref == "1.2"
        }

    assert psych_kinds(at(11, 26, 18, 59)) == set()  # nothing before the snooze's moment
    kinds = psych_kinds(at(11, 26, 19, 0))
    assert len(kinds) == 1 and next(iter(kinds)).startswith("snooze-")
    assert psych_kinds(at(11, 27, 8, 0)) == {"morning_of"}  # later moments still come


def test_overdue_once_then_escalation(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    reports = {("1.2@2026-11-27", ID["psych"]): ReportView(ReportStatus.DONE)}
    # Friday 18:00 deadline; Monday 30 Nov 08:30 is the first working morning after it.
    before = run(occs, roster, at(11, 30, 8, 29), cal, reports)
    assert not [i for i in before.intents if i.kind == "overdue"]
    due = run(occs, roster, at(11, 30, 8, 30), cal, reports)
    overdue = [i for i in due.intents if i.kind == "overdue"]
    assert [(i.occurrence.key, i.person_id) for i in overdue if i.occurrence] == [
        ("1.2@2026-11-27", ID["social"])
    ]
    assert not due.escalations
    later = run(occs, roster, at(12, 1, 9, 0), cal, reports)
    esc = [e for e in later.escalations if e.occurrence.key == "1.2@2026-11-27"]
    assert esc and esc[0].not_done == (ID["social"],)
    assert {p for p, _, _ in later.summary_to} == {ID["chair"], ID["deputy"]}
    # The daily item never goes overdue.
    assert not [e for e in later.escalations if e.occurrence.rule == "daily"]


def test_old_deadlines_are_left_alone(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    due = run(occs, roster, at(12, 22, 9, 0), cal)
    assert not [i for i in due.intents if i.occurrence and i.occurrence.ref == "1.2"]


def test_closed_occurrences_are_silent(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    due = run(occs, roster, at(11, 2, 8, 30), cal, closed=("1.1@2026-11",))
    assert not [k for k in keys(due) if k.startswith("1.1@")]


def test_people_without_an_account_or_unreachable_get_nothing(
    plan: Plan, occs: list[Occurrence], cal: SchoolCalendar
) -> None:
    people = [DbPerson(id=1, key="social", name="S", roles=["social_pedagogue"])]
    gone = Account(
        person_id=1, telegram_user_id=1, chat_id=1, state=AccountState.BLOCKED, language="kk"
    )
    assert not run(occs, Roster(plan, people, [gone]), at(11, 2, 8, 30), cal).intents
    assert not run(occs, Roster(plan, people, []), at(11, 2, 8, 30), cal).intents


# --- sessions ---------------------------------------------------------------------------------


def test_session_reminds_members_and_each_reporter_with_their_points(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    # Session 4 on Thursday 19 Nov 15:00: week before is Thursday 12 Nov 15:00.
    due = run(occs, roster, at(11, 12, 15, 0), cal)
    sess = {i.person_id: i for i in due.intents if i.dedup_key.startswith("council-4@")}
    assert set(sess) == {ID["chair"], ID["member"], ID["psych"], ID["social"]}
    assert {i.kind for i in sess.values()} == {"week_before"}
    assert [p.number for p in sess[ID["psych"]].points] == [1]
    assert [p.number for p in sess[ID["social"]].points] == [2]
    assert sess[ID["chair"]].points == ()


def test_session_already_past_gets_nothing(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    due = run(occs, roster, at(11, 19, 15, 1), cal)
    assert not [k for k in keys(due) if k.startswith("council-4@")]


def test_month_session_asks_the_chair_for_a_date_and_nobody_else(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    due = run(occs, roster, at(12, 1, 8, 30), cal)
    sess = [i for i in due.intents if i.dedup_key.startswith("council-5@")]
    assert [(i.person_id, i.kind) for i in sess] == [(ID["chair"], "set_date")]


def test_session_times_bring_lead_reminders(
    plan: Plan, roster: Roster, cal: SchoolCalendar
) -> None:
    found = occurrences(
        plan, cal, date(2026, 12, 1), date(2026, 12, 31), session_times={5: at(12, 24, 14, 0)}
    )
    due = run(found, roster, at(12, 23, 14, 0), cal)
    sess = [i for i in due.intents if i.dedup_key.startswith("council-5@")]
    assert sess and {i.kind for i in sess} == {"day_before"}


# --- decisions, digest ------------------------------------------------------------------------


def test_a_decision_becomes_a_task_with_reminders(roster: Roster, cal: SchoolCalendar) -> None:
    occ = extra_occurrence(
        key="decision-7@2026-2027",
        ref="decision-7",
        title="Ата-аналармен кездесу",
        kind="decision",
        window_start=at(11, 19, 16, 0),
        due=at(11, 30, 18, 0),
        people=("psych",),
        names=("Рахимжанова А.Р.",),
        calendar=cal,
    )
    assert [(r.kind, r.at) for r in occ.reminders] == [
        ("day_before", at(11, 27, 8, 30)),  # Sunday moves back to Friday morning
        ("morning_of", at(11, 30, 8, 0)),
    ]
    due = run([occ], roster, at(11, 27, 8, 30), cal)
    assert keys(due) == {f"decision-7@2026-2027|{ID['psych']}|day_before"}


def test_monday_digest_once_per_person_with_the_weeks_work(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    monday = at(11, 23, 8, 30)
    due = run(occs, roster, monday, cal)
    digests = {i.person_id: i for i in due.intents if i.kind == "digest"}
    assert digests[ID["psych"]].dedup_key == f"digest@2026-W48|{ID['psych']}|digest"
    assert [o.key for o in digests[ID["psych"]].items] == ["1.2@2026-11-27"]
    social = [o.key for o in digests[ID["social"]].items]
    assert "1.1@2026-11" not in social  # due the 30th: next week
    assert all("1.3@" not in k for k in social)  # daily items stay out
    assert not [i for i in run(occs, roster, at(11, 24, 9), cal).intents if i.kind == "digest"]
    assert not [i for i in run(occs, roster, monday - timedelta(minutes=1), cal).intents
                if i.kind == "digest"]  # fmt: skip


# --- routine duties and first contact (issue #12) ---------------------------------------------


def with_routine(occs: list[Occurrence], ref: str, mode: str) -> list[Occurrence]:
    from dataclasses import replace

    return [replace(o, routine=mode) if o.ref == ref else o for o in occs]


def test_a_daily_duty_is_one_weekly_checkin_on_the_weeks_last_school_day(
    plan: Plan, occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    # Without a choice in the plan a daily duty is a weekly check-in (bot.core.routine).
    default = plan.model_copy(
        update={
            "sections": tuple(
                s.model_copy(
                    update={
                        "items": tuple(i.model_copy(update={"routine": None}) for i in s.items)
                    }
                )
                for s in plan.sections
            )
        }
    )
    daily = [
        o
        for o in occurrences(default, cal, date(2026, 11, 2), date(2026, 11, 6))
        if o.ref == "1.3"
    ]
    assert {o.routine for o in daily} == {"weekly_checkin"} and len(daily) == 5
    checkin = with_routine(occs, "1.3", "weekly_checkin")
    for moment in (at(11, 2, 8, 30), at(11, 4, 8, 30), at(11, 6, 13, 59)):
        assert not [k for k in keys(run(checkin, roster, moment, cal)) if k.startswith("1.3@")]
    due = run(checkin, roster, at(11, 6, 14, 0), cal)  # Friday 14:00
    [asked] = [i for i in due.intents if i.kind == "checkin"]
    assert asked.dedup_key == f"1.3@checkin-2026-W45|{ID['social']}|checkin"
    assert [o.key for o in asked.items] == [f"1.3@2026-11-0{d}" for d in range(2, 7)]
    assert not asked.late
    # Days answered one by one are not asked again; all answered: no check-in.
    reports = {("1.3@2026-11-02", ID["social"]): ReportView(ReportStatus.DONE)}
    [asked] = [i for i in run(checkin, roster, at(11, 6, 15), cal, reports).intents
               if i.kind == "checkin"]  # fmt: skip
    assert len(asked.items) == 4
    every = {
        (f"1.3@2026-11-0{d}", ID["social"]): ReportView(ReportStatus.DONE) for d in range(2, 7)
    }
    assert not [i for i in run(checkin, roster, at(11, 6, 15), cal, every).intents
                if i.kind == "checkin"]  # fmt: skip
    # The bot was down on Friday: Monday morning still asks (late); Tuesday does not.
    monday = [
        i for i in run(checkin, roster, at(11, 9, 8, 30), cal).intents if i.kind == "checkin"
    ]
    assert len(monday) == 1 and monday[0].late
    assert not [i for i in run(checkin, roster, at(11, 10, 8, 30), cal).intents
                if i.kind == "checkin"]  # fmt: skip
    # No overdue, no escalation for a routine duty.
    assert not [e for e in run(checkin, roster, at(11, 12, 9), cal).escalations
                if e.occurrence.ref == "1.3"]  # fmt: skip


def test_a_silent_duty_sends_nothing_and_escalates_nothing(
    occs: list[Occurrence], roster: Roster, cal: SchoolCalendar
) -> None:
    silent = with_routine(occs, "1.3", "silent")
    for moment in (at(11, 2, 8, 30), at(11, 6, 14, 0), at(11, 9, 8, 30), at(11, 12, 9)):
        due = run(silent, roster, moment, cal)
        assert not [i for i in due.intents if "1.3@" in i.dedup_key]
        assert not [e for e in due.escalations if e.occurrence.ref == "1.3"]
        assert not [i for i in due.intents if any(o.ref == "1.3" for o in i.items)]


def test_a_late_joiner_is_asked_only_about_work_due_after_joining(
    plan: Plan, occs: list[Occurrence], cal: SchoolCalendar
) -> None:
    people = [
        DbPerson(id=ID[key], key=key, name=key.title(), roles=[str(r) for r in roles])
        for key, roles in PEOPLE
    ]
    joined = {"social": at(11, 26, 10, 0)}  # Thursday 26 Nov, in the middle of the month
    accounts = [
        Account(person_id=ID[key], telegram_user_id=ID[key], chat_id=ID[key],
                joined_at=joined.get(key, JOINED))
        for key, _ in PEOPLE
    ]  # fmt: skip
    roster = Roster(plan, people, accounts)
    due = run(occs, roster, at(11, 26, 10, 1), cal)
    mine = [i for i in due.intents if i.person_id == ID["social"]]
    # 1.1 (November, month_start on the 2nd) is due on 30 Nov: hers, and not "late" (she was
    # not here on the 2nd); 1.3 of the days before the 26th and 1.2 (due 27 Nov, reminded
    # the 20th) - 1.2 is due after she joined: asked, not late.
    assert {i.occurrence.key for i in mine if i.occurrence} >= {"1.1@2026-11", "1.2@2026-11-27"}
    assert not any(i.late for i in mine)
    assert not [i for i in mine if i.occurrence and i.occurrence.due < joined["social"]]
    # The overdue summary does not name her for what was due before she joined.
    later = run(occs, roster, at(12, 2, 9, 0), cal)
    for esc in later.escalations:
        if esc.occurrence.due < joined["social"]:
            assert ID["social"] not in esc.not_done
    # The others, there all along, still get the missed reminders marked late.
    other = [i for i in due.intents if i.person_id == ID["psych"] and i.occurrence
             and i.occurrence.key == "1.2@2026-11-27"]  # fmt: skip
    assert other and all(i.late for i in other)
