"""The register's service: input, who sees what, optimistic locking, analyses, council cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.school_class import normalize_class
from bot.services import incidents, students
from bot.services.students import CardChanged, NotAllowed
from db.models import IncidentCategory, Person, RegisterStatus, Student
from tests.harness import seed_calendar

TZ = ZoneInfo("Asia/Aqtobe")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7Ә", "7Ә"), ("7 ә", "7Ә"), ("11-а", "11А"), ("12А", None), ("0Б", None),
        ("7ӘӘ", None),
        ("7a", "7А"), ("11 B", "11В"),  # a Latin look-alike is the Cyrillic class
    ],
)  # fmt: skip
def test_normalize_class(text: str, expected: str | None) -> None:
    assert normalize_class(text) == expected


def test_name_and_class_typed_together() -> None:
    assert students.split_name_and_class("Сапаров  Ерлан 7 ә") == ("Сапаров Ерлан", "7Ә")
    assert students.split_name_and_class("<b>Әли</b> 🙂 5А") == ("<b>Әли</b> 🙂", "5А")
    assert students.split_name_and_class("Иванов Иван 12Z") == ("Иванов Иван 12Z", None)
    assert students.split_name_and_class("Ли 5А") == (None, "5А")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05.03.2013", date(2013, 3, 5)),
        ("5/3/2013", date(2013, 3, 5)),
        ("24.11.2021", date(2021, 11, 24)),  # five today
        ("25.11.2021", None),  # five tomorrow
        ("25.11.2005", date(2005, 11, 25)),  # still twenty
        ("24.11.2005", None),  # twenty-one today
        ("31.02.2014", None),
        ("05.03", None),
        ("05.03.13", None),
        ("", None),
    ],
)
def test_date_of_birth_is_a_real_date_of_school_age(text: str, expected: date | None) -> None:
    assert students.parse_birth_date(text, date(2026, 11, 24)) == expected


def test_analyses_fall_at_once_then_after_1_3_6_months() -> None:
    dates = students.analysis_dates(date(2026, 11, 30))
    assert [(s, d.isoformat()) for s, _, d in dates] == [
        ("initial", "2026-12-07"),
        ("first", "2026-12-30"),
        ("second", "2027-02-28"),  # 30 Feb does not exist
        ("third", "2027-05-30"),
    ]
    custom = students.AnalysisConfig(months=(2, 4, 8))
    assert students.analysis_dates(date(2026, 1, 31), custom)[1][2] == date(2026, 3, 31)


@pytest.fixture
async def people(session_pool: async_sessionmaker[AsyncSession]) -> dict[str, Person]:
    async with session_pool() as session:
        made = {
            "sp": Person(key="sp", name="SP", roles=["social_pedagogue"]),
            "ct": Person(key="ct", name="CT", roles=["class_teacher"], class_name="7 ә"),
            "lib": Person(key="lib", name="Lib", roles=["librarian"]),
            "ct8": Person(key="ct8", name="CT8", roles=["class_teacher"], class_name="8Б"),
        }
        session.add_all(made.values())
        await session.commit()
        return made


async def test_who_sees_what_and_search_ignores_case(
    session_pool: async_sessionmaker[AsyncSession], people: dict[str, Person]
) -> None:
    assert students.can_read(people["sp"], "8Б")
    assert students.can_read(people["ct"], "7Ә") and not students.can_read(people["ct"], "8Б")
    assert not students.can_read(people["lib"], "7Ә")
    async with session_pool() as session:
        session.add_all(
            [
                Student(full_name="Сапаров Ерлан", class_name="7Ә"),
                Student(full_name="Ерланов Әли", class_name="8Б"),
            ]
        )
        await session.commit()
        assert [s.class_name for s in await students.search(session, "ЕРЛАН")] == ["7Ә", "8Б"]
        assert [
            s.class_name for s in await students.search(session, "ерлан", only_class="7Ә")
        ] == ["7Ә"]
        assert await students.search(session, "8б", only_class="7Ә") == []
        assert await students.known_classes(session) == ["7Ә", "8Б"]
        with pytest.raises(NotAllowed):
            await students.open_card(session, 2, people["ct"], NOW)


async def test_concurrent_change_is_refused_not_lost(
    session_pool: async_sessionmaker[AsyncSession], people: dict[str, Person]
) -> None:
    async with session_pool() as session:
        student = Student(full_name="Ким Олег", class_name="7Ә")
        session.add(student)
        await session.commit()
        sid = student.id
    assert sid is not None
    async with session_pool() as first, session_pool() as second:
        seen = (await first.get(Student, sid)).version  # type: ignore[union-attr]
        await second.get(Student, sid)
        await students.update_card(
            first, student_id=sid, seen_version=seen, actor=people["sp"], now=NOW,
            family_notes="неполная семья",
        )  # fmt: skip
        with pytest.raises(CardChanged):
            await students.update_card(
                second, student_id=sid, seen_version=seen, actor=people["ct"], now=NOW,
                family_notes="другое",
            )  # fmt: skip
    async with session_pool() as session:
        row = await session.get(Student, sid)
        assert row is not None and row.family_notes == "неполная семья" and row.version == 2


async def test_registration_starts_analyses_until_the_case_is_closed(
    session_pool: async_sessionmaker[AsyncSession], people: dict[str, Person]
) -> None:
    calendar = seed_calendar()
    async with session_pool() as session:
        student = Student(full_name="Ким Олег", class_name="7Ә")
        session.add(student)
        await session.commit()
        sid = student.id
        assert sid is not None
        with pytest.raises(NotAllowed):
            await students.set_status(
                session, student_id=sid, seen_version=1, status=RegisterStatus.RISK_GROUP,
                actor=people["ct"], now=NOW, tz=TZ,
            )  # fmt: skip
        await students.set_status(
            session, student_id=sid, seen_version=1, status=RegisterStatus.INTRA_SCHOOL,
            actor=people["sp"], now=NOW, tz=TZ, grounds="решение совета",
        )  # fmt: skip
        year = (NOW - timedelta(days=1), NOW + timedelta(days=365))
        occs = await students.student_occurrences(session, calendar, *year)
        assert [o.key for o in occs] == [
            f"3.1@s{sid}/{stage}/2026-11-24" for stage in students.ANALYSIS_STAGES
        ]
        assert occs[0].people == ("ct",) and occs[0].groups == ("psych-service",)
        assert all("Ким" not in o.title for o in occs)
        assert occs[1].due.date() == date(2026, 12, 24)
        await students.set_status(
            session, student_id=sid, seen_version=2, status=RegisterStatus.NONE,
            actor=people["sp"], now=NOW + timedelta(days=40), tz=TZ,
        )  # fmt: skip
        assert await students.student_occurrences(session, calendar, *year) == []


async def test_flagged_cases_for_the_next_council(
    session_pool: async_sessionmaker[AsyncSession], people: dict[str, Person]
) -> None:
    async with session_pool() as session:
        a, b = Student(full_name="А", class_name="8Б"), Student(full_name="Б", class_name="7Ә")
        session.add_all([a, b])
        await session.commit()
        note = await incidents.file_incident(
            session, student_id=a.id or 0, author=people["sp"], category=IncidentCategory.FIGHT,
            text="x", occurred_at=NOW, now=NOW,
        )  # fmt: skip
        await session.commit()
        await incidents.set_flag(
            session, incident_id=note.id or 0, actor=people["sp"], for_council=True, now=NOW
        )
        await students.update_card(
            session, student_id=b.id or 0, seen_version=1, actor=people["ct"], now=NOW,
            for_council=True,
        )  # fmt: skip
        cases = await students.council_cases(session)
        assert [(c.class_name, c.incident_ids, c.student_flagged) for c in cases] == [
            ("7Ә", (), True),
            ("8Б", (note.id,), False),
        ]
        await students.record_council_review(
            session, student_id=a.id or 0, council_session_id=None, text="рассмотрено",
            actor=people["sp"], now=NOW,
        )  # fmt: skip
        assert [c.student_id for c in await students.council_cases(session)] == [b.id]
