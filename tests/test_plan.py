"""The seed plan: a faithful reading of the source, and loading it whole or not at all."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import DEFAULT_PLAN, SEED_DIR
from bot.core.convert import convert, dump_json
from bot.core.plan import (
    Plan,
    PlanError,
    Responsible,
    check_plan,
    describe_plan,
    load_plan,
    parse_plan,
    plan_json_schema,
    plan_schema_text,
)
from bot.core.roles import Role
from bot.core.timing import AllYear, FixedDate, Missing, Monthly, Months, WeekOfMonth, WhenNeeded

SOURCE = SEED_DIR / "source-plan-2023-2024.txt"
MAPPING = SEED_DIR / "plan-mapping.json"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(DEFAULT_PLAN)


@pytest.fixture(scope="module")
def source() -> str:
    return SOURCE.read_text(encoding="utf-8")


@pytest.fixture
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFAULT_PLAN.read_text(encoding="utf-8"))
    return loaded


def write(tmp_path: Path, data: object, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def people(resp: Responsible | None) -> tuple[str, ...]:
    assert resp is not None
    return resp.people


# --- The shape of the plan -------------------------------------------------------------------


def test_top_level(plan: Plan) -> None:
    assert plan.source_year == "2023-2024"
    assert plan.source == "source-plan-2023-2024.txt"
    assert (SEED_DIR / plan.source).is_file()
    assert "Хромтау" in plan.school and "Ақтөбе" in plan.school
    assert "алдын алу кеңесінің" in plan.title


def test_counts(plan: Plan) -> None:
    assert [s.number for s in plan.sections] == [1, 2, 3, 4, 5]
    assert [len(s.items) for s in plan.sections] == [14, 7, 5, 5, 1]
    refs = [i.ref for i in plan.items()]
    assert refs == [
        f"{s}.{n}" for s, count in enumerate([14, 7, 5, 5, 1], 1) for n in range(1, count + 1)
    ]
    subitems = {i.ref: len(i.subitems) for i in plan.items() if i.subitems}
    assert subitems == {"2.1": 8, "2.4": 6, "3.1": 4, "3.4": 7}
    assert [s.number for s in plan.sessions] == list(range(1, 11))
    assert [len(s.agenda) for s in plan.sessions] == [5, 2, 3, 3, 2, 2, 2, 2, 2, 3]


def test_section_titles_as_written(plan: Plan, source: str) -> None:
    assert plan.sections[0].title == "Ұйымдастыру жұмыстары"
    for section in plan.sections:
        assert f"{section.number}. {section.title}" in source
    assert plan.sessions_title == "Кеңес отырыстарының тақырыптары мен қаралатын мәселелер"


def test_every_text_occurs_verbatim_in_the_source(plan: Plan, source: str) -> None:
    texts: list[str] = []
    for item in plan.items():
        texts += [item.title, item.when, item.responsible.text]
        for sub in item.subitems:
            texts += [sub.title, sub.when or ""]
            if sub.responsible is not None:
                texts.append(sub.responsible.text)
    for session in plan.sessions:
        texts += [session.when, session.responsible.text]
        for point in session.agenda:
            texts += [point.title, point.reporters.text]
    missing = [t for t in texts if t not in source]
    assert missing == []
    assert all(t == t.strip() for t in texts)


def test_sample_texts(plan: Plan, source: str) -> None:
    item_2_6 = "«Білім беру  ұйымдарына әкелуге және олардың аумақтарында"
    samples = [
        (
            plan.item("1.4").title,
            "«Салауатты өмір салты  - жарқын болашақ» атты республикалық челленджіне ұйымдастыру",
        ),
        (plan.item("2.6").title[: len(item_2_6)], item_2_6),
        (
            plan.item("3.4").subitems[1].title,
            "Дәріс «Кәмелетке толмағандардың қылмыстық жауапкершілігі».",
        ),
        (plan.session(4).agenda[1].title, "Мектеп психологтарының сауалнамасының нәтижелері."),
        (plan.item("2.1").subitems[7].title, "оқушының қызығушылығы мен бейімділігін анықтау"),
        (plan.item("3.1").subitems[0].title, "алғашқы"),
        (plan.session(1).agenda[4].title[:20], "2023-2024 оқу жылына"),
        (plan.item("1.4").when, "2 апта\n қазан"),
        (plan.item("2.7").when, "Қазан \nСәуір"),
        (plan.item("1.4").responsible.text, "Сарыбаева Г.А.\n  «Болашақ» МП"),
    ]
    for got, expected in samples:
        assert got == expected
        assert got in source


def test_timings(plan: Plan) -> None:
    assert plan.item("1.4").timing == (WeekOfMonth(week=2, month=10),)
    assert plan.item("1.3").timing == (AllYear(), WhenNeeded())
    assert plan.item("2.4").when == ""
    assert plan.item("2.4").timing == (Missing(),)
    assert plan.item("4.1").timing == (Months(months=(9,)), AllYear())
    assert plan.session(1).timing == (FixedDate(month=8, day=29),)
    assert [s.timing for s in plan.sessions[1:]] == [
        (Months(months=(m,)),) for m in (9, 10, 11, 12, 1, 2, 3, 4, 5)
    ]


def test_3_4_lectures_each_with_its_month(plan: Plan) -> None:
    lectures = plan.item("3.4").subitems
    assert [s.ref for s in lectures] == [f"3.4.{n}" for n in range(1, 8)]
    assert [s.when for s in lectures] == [
        "Қыркуйек", "Қазан", "Қараша", "желтоқсан", "Қаңтар", "Сәуір", "мамыр",
    ]  # fmt: skip
    assert [s.timing for s in lectures] == [
        (Months(months=(m,)),) for m in (9, 10, 11, 12, 1, 4, 5)
    ]
    assert plan.item("3.4").timing == (Months(months=(9, 10, 11, 12, 1, 4, 5)),)
    assert "seven blocks" in (plan.item("3.4").note or "")


def test_1_6_reminds_through_the_sessions(plan: Plan) -> None:
    item = plan.item("1.6")
    assert item.timing == (Monthly(extraordinary=True),)
    assert item.remind is False
    assert "section 6" in (item.note or "")
    assert all(i.remind for i in plan.items() if i.ref != "1.6")


# --- People and groups -----------------------------------------------------------------------


def test_every_reference_resolves(plan: Plan) -> None:
    keys = {p.key for p in plan.people}
    groups = {g.key for g in plan.groups}
    resps = [i.responsible for i in plan.items()]
    resps += [s.responsible for i in plan.items() for s in i.subitems if s.responsible]
    resps += [s.responsible for s in plan.sessions]
    resps += [p.reporters for s in plan.sessions for p in s.agenda]
    for resp in resps:
        assert set(resp.people) <= keys
        assert set(resp.groups) <= groups
    assert all(set(g.members) <= keys for g in plan.groups)
    assert all(p.key.isascii() for p in plan.people)


def test_aliases(plan: Plan) -> None:
    def key(name: str) -> str | None:
        person = plan.find_person(name)
        return person.key if person else None

    assert key("Бердалина М.К.") == key("Бердалина М.Н.") == "berdalina-mn"
    assert key("Рсалин Н.М.") == key("Рсалин Н.А.") == "rsalin-na"
    assert key("Әлеуметтік педагог Амангелді С.М.") == key("Амангелді С.М.") == "amangeldi-sm"
    assert key("Педагог – психолог Ильясова С.М.") == "ilyasova-sm"
    assert key("Нобади Н.Н.") is None


def test_roles(plan: Plan) -> None:
    def roles(key: str) -> set[Role]:
        return set(plan.person(key).roles)

    assert Role.SOCIAL_PEDAGOGUE in roles("amangeldi-sm")
    assert Role.PSYCHOLOGIST in roles("rakhimzhanova-ar") & roles("ilyasova-sm")
    assert Role.DEPUTY_DIRECTOR in roles("mukanova-azh") & roles("uteshova-ak")
    assert plan.person("kurmanbaeva-ga").position == "ДОТЖО"
    assert Role.CHAIR in roles("eshkeeva-at")
    assert Role.LIBRARIAN in roles("bisenbaeva-gd")
    assert Role.ORGANISER in roles("sarybaeva-ga")
    external = {p.key for p in plan.people if p.external}
    assert external == {"rsalin-na", "maksat-dk", "izgilik-ma", "dermukhanov-dr"}
    assert all(plan.person(k).roles == (Role.EXTERNAL,) for k in external)
    council = {p.key for p in plan.people if Role.COUNCIL_MEMBER in p.roles}
    assert council == {
        "mukanova-azh", "uteshova-ak", "amangeldi-sm", "rakhimzhanova-ar", "ilyasova-sm",
        "nugimanova-mk", "berdalina-mn",
    }  # fmt: skip
    # Positions without a name in the plan are entries an admin links to a real person.
    for key in ("mediator", "class-teachers-ma-head"):
        assert plan.person(key).vacancy  # a position, not a person: nobody's name
        assert plan.person(key).note


def test_groups(plan: Plan) -> None:
    keys = {g.key for g in plan.groups}
    assert {
        "class-teachers", "council-members", "psych-service", "parents-committee",
        "school-parliament", "district-police",
    } <= keys  # fmt: skip
    teachers = plan.group("class-teachers")
    assert teachers.roles == (Role.CLASS_TEACHER,)
    assert teachers.names.kk == "1-11 сынып жетекшілері"
    assert teachers.names.ru == "Классные руководители 1-11"
    for alias in ("1-11кл.жетек.", "Кл.жетекшілер", "Кл.жетекшілері", "1-11кл.жетекшілері",
                  "1-11 класс жетекшілері", "Класс жетекшілері"):  # fmt: skip
        assert alias in teachers.aliases
    council = plan.group("council-members")
    assert set(council.roles) == {Role.CHAIR, Role.COUNCIL_MEMBER}
    assert {"Кеңестің мүшелері", "Кеңес мүшелереі"} <= set(council.aliases)
    assert set(plan.group("psych-service").roles) == {Role.SOCIAL_PEDAGOGUE, Role.PSYCHOLOGIST}
    police = plan.group("district-police")
    assert police.external and set(police.members) == {"maksat-dk", "rsalin-na", "izgilik-ma"}
    assert plan.group("parents-committee").external
    assert plan.group("school-parliament").external


def test_the_right_people(plan: Plan) -> None:
    item = plan.item("1.3")
    assert item.responsible.people == (
        "mukanova-azh", "uteshova-ak", "amangeldi-sm", "rakhimzhanova-ar", "rsalin-na",
    )  # fmt: skip
    assert item.responsible.groups == ("class-teachers",)
    assert plan.item("1.4").responsible.groups == ("school-parliament",)
    assert plan.item("1.7").responsible.people == ("nugimanova-mk", "berdalina-mn")
    assert plan.item("2.7").responsible.people == (
        "mukanova-azh", "amangeldi-sm", "bisenbaeva-gd", "sarybaeva-ga",
    )  # fmt: skip
    assert plan.item("4.2").responsible.groups == (
        "psych-service", "class-teachers", "parents-committee",
    )  # fmt: skip
    lectures = plan.item("3.4").subitems
    assert [people(s.responsible) for s in lectures] == [
        ("maksat-dk",),
        (),
        (),
        ("dermukhanov-dr", "kayepova-ge"),
        ("nugimanova-mk", "berdalina-mn"),
        ("rsalin-na",),
        ("izgilik-ma",),
    ]
    assert [s.responsible.groups for s in lectures[1:3] if s.responsible] == [
        ("district-police",),
        ("district-police",),
    ]


def test_session_reporters(plan: Plan) -> None:
    def reporters(number: int) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        return [(p.reporters.people, p.reporters.groups) for p in plan.session(number).agenda]

    assert reporters(4) == [
        (("uteshova-ak",), ()),
        (("rakhimzhanova-ar", "ilyasova-sm"), ()),
        (("kayepova-ge",), ()),
    ]
    assert reporters(1) == [
        (("eshkeeva-at",), ()),
        ((), ("council-members",)),
        (("nugimanova-mk", "berdalina-mn"), ()),
        (("mukanova-azh", "uteshova-ak"), ()),
        ((), ("council-members",)),
    ]
    assert reporters(3)[1] == ((), ("district-police",))
    assert reporters(6)[1] == (("mediator",), ())
    assert reporters(2)[1] == (("class-teachers-ma-head",), ())
    assert reporters(10) == [((), ("council-members",))] * 3
    # the whole column is kept on the session too
    assert plan.session(4).responsible.text.startswith("Утешова А.К.")
    assert set(plan.session(4).responsible.people) == {
        "uteshova-ak", "rakhimzhanova-ar", "ilyasova-sm", "kayepova-ge",
    }  # fmt: skip


# --- The files are what the tools make -------------------------------------------------------


def test_converter_reproduces_the_seed_plan() -> None:
    mapping = json.loads(MAPPING.read_text(encoding="utf-8"))
    converted, problems = convert(SOURCE.read_text(encoding="utf-8"), mapping)
    assert problems == []
    assert dump_json(converted) == DEFAULT_PLAN.read_text(encoding="utf-8")


def test_converter_reports_what_it_cannot_read() -> None:
    mapping = json.loads(MAPPING.read_text(encoding="utf-8"))
    mapping["people"] = [p for p in mapping["people"] if p["key"] != "kambarova-kg"]
    del mapping["sessions"]["4"]
    text = SOURCE.read_text(encoding="utf-8").replace("\tЖыл бойы\n", "\tЖыл бойы!!\n", 1)
    _, problems = convert(text, mapping)
    assert any("1.2" in p and "Жыл бойы!!" in p for p in problems)
    assert any("4.3" in p and "Камбарова К.Г." in p for p in problems)
    assert any("session 4" in p and "no reporters" in p for p in problems)


def test_committed_schema_is_the_generated_one() -> None:
    committed = (SEED_DIR / "plan.schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == plan_json_schema()
    assert committed == plan_schema_text()
    schema = plan_json_schema()
    assert "timing" not in schema["$defs"]["Item"]["required"]  # read from `when` if left out


def test_describe_plan(plan: Plan) -> None:
    lines = describe_plan(plan)
    text = "\n".join(lines)
    assert any(line.startswith("  1.4  «Салауатты өмір салты") for line in lines)
    assert "in the 2nd week of October" in text
    assert "NOT GIVEN" in text  # 2.4
    assert "reminders: none for this item" in text  # 1.6
    assert "Бердалина М.Н." in text and "[1-11 сынып жетекшілері]" in text
    assert "council-4" in text and "Кайепова Г.Е." in text


# --- Loading: whole or not at all ------------------------------------------------------------


def test_timing_may_be_left_out(tmp_path: Path, data: dict[str, Any], plan: Plan) -> None:
    for section in data["sections"]:
        for item in section["items"]:
            del item["timing"]
            for sub in item.get("subitems", []):
                sub.pop("timing", None)
    for session in data["sessions"]:
        del session["timing"]
    assert load_plan(write(tmp_path, data)) == plan


def test_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "title": "x",\n  "school": \n}\n', encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert caught.value.path == str(path)
    assert caught.value.where == "line 4, column 1"
    assert str(path) in str(caught.value) and "bad JSON" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the file"):
        load_plan(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            lambda d: d["sessions"][4]["agenda"][0]["reporters"].update(
                people=["rakhimzhanova-ar", "nobody-x"]
            ),
            "sessions[4].agenda[0].reporters.people[1]",
            "unknown person 'nobody-x'",
        ),
        (
            lambda d: d["sections"][1]["items"][3]["responsible"].update(groups=["no-group"]),
            "sections[1].items[3].responsible.groups[0]",
            "unknown group 'no-group'",
        ),
        (
            lambda d: d["groups"][5].update(members=["maksat-dk", "ghost"]),
            "groups[5].members[1]",
            "unknown person 'ghost'",
        ),
        (
            lambda d: d["sections"][0]["items"][3].update(when="Бейсенбі сайын", timing=None),
            "sections[0].items[3].when",
            "unknown timing phrase 'Бейсенбі сайын'",
        ),
        (
            lambda d: (
                d["sections"][0]["items"][3].pop("timing")
                and d["sections"][0]["items"][3].update(when="Бейсенбі сайын")
            ),
            "sections[0].items[3].when",
            "cannot read 'Бейсенбі'",
        ),
        (
            lambda d: d["sections"][0]["items"][3].update(timing=[{"kind": "daily"}]),
            "sections[0].items[3].timing",
            "reads as 'in the 2nd week of October'",
        ),
        (
            lambda d: d["sections"][0]["items"][2].update(ref="1.2"),
            "sections[0].items[2].ref",
            "duplicate ref '1.2'",
        ),
        (
            lambda d: d["sections"][1]["items"][0]["subitems"][2].update(ref="2.2.3"),
            "sections[1].items[0].subitems[2].ref",
            "does not start with 2.1.",
        ),
        (
            lambda d: d["sections"][1]["items"][0].update(ref="3.9"),
            "sections[1].items[0].ref",
            "not in section 2",
        ),
        (
            lambda d: d["people"][1].update(key="eshkeeva-at"),
            "people[1].key",
            "duplicate person key 'eshkeeva-at'",
        ),
        (
            lambda d: d["people"][2].update(aliases=["Муканова А.Ж."]),
            "people[2].aliases[0]",
            "also names people[1].name",
        ),
        (
            lambda d: d["sessions"][5].update(number=5),
            "sessions[5].number",
            "duplicate session number 5",
        ),
        (
            lambda d: d["sections"][0]["items"][0]["responsible"].update(people=[], groups=[]),
            "sections[0].items[0].responsible",
            "names nobody",
        ),
        (
            lambda d: d["sections"][0]["items"][0]["timing"][0].update(months=[13]),
            "sections[0].items[0].timing[0].months[0]",
            "less than or equal to 12",
        ),
        (
            lambda d: d["people"][0].update(roles=["janitor"]),
            "people[0].roles[0]",
            "Input should be",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(deadline="soon"),
            "sections[0].items[0].deadline",
            "unknown field",
        ),
        (lambda d: d.pop("sessions"), "sessions", "required field is missing"),
    ],
)
def test_bad_plan_names_file_and_path(
    tmp_path: Path, data: dict[str, Any], change: Any, where: str, message: str
) -> None:
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    error = caught.value
    assert (error.path, error.where) == (str(path), where), str(error)
    assert message in error.message
    assert str(error).startswith(f"{path}: {where}: ")


def test_a_hand_written_timing_covers_an_unknown_phrase(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    data["sections"][0]["items"][3]["when"] = "Бейсенбі сайын"
    data["sections"][0]["items"][3]["timing"] = [{"kind": "weekly"}]
    plan = load_plan(write(tmp_path, data))
    assert plan.item("1.4").when == "Бейсенбі сайын"
    assert "timing given by hand" in "\n".join(describe_plan(plan))


def test_every_problem_is_collected_and_nothing_is_loaded(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    data["sections"][0]["items"][2]["ref"] = "1.2"
    data["sessions"][3]["agenda"][2]["reporters"]["people"] = ["ghost"]
    data["groups"][0]["members"] = ["ghost-2"]
    path = write(tmp_path, data)
    _, problems = check_plan(path)
    assert [p.where for p in problems] == [
        "groups[0].members[0]",
        "sections[0].items[2].ref",
        "sessions[3].agenda[2].reporters.people[0]",
    ]
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert caught.value.where == "groups[0].members[0]"
    assert len(caught.value.others) == 2
    assert "(and 2 more problems)" in str(caught.value)


def test_schema_problems_are_all_collected(tmp_path: Path, data: dict[str, Any]) -> None:
    broken = copy.deepcopy(data)
    broken["sections"][0]["items"][0]["when"] = "жиі"
    del broken["sections"][0]["items"][0]["timing"]
    broken["sessions"][0]["number"] = 0
    _, problems = check_plan(write(tmp_path, broken))
    assert [p.where for p in problems] == ["sections[0].items[0].when", "sessions[0].number"]


def test_parse_plan_from_data(data: dict[str, Any], plan: Plan) -> None:
    assert parse_plan(data) == plan
    data["people"][0]["key"] = "Not A Slug"
    with pytest.raises(PlanError) as caught:
        parse_plan(data, "memory")
    assert caught.value.path == "memory"
    assert caught.value.where == "people[0].key"
