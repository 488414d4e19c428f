"""The models against a real SQLite file: pragmas, time, uniqueness, RESTRICT, locking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import create_engine, create_session_pool
from db.models import (
    Account,
    Incident,
    IncidentCategory,
    IncidentVersion,
    Lease,
    Occurrence,
    Person,
    Reminder,
    Report,
    ReportEvent,
    ReportStatus,
    Student,
    UTCDateTime,
)

AQTOBE = ZoneInfo("Asia/Aqtobe")
SEPT_1 = datetime(2026, 9, 1, 9, 0, tzinfo=AQTOBE)

SessionPool = async_sessionmaker[AsyncSession]


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """The suite's database (SQLite or PostgreSQL), migrated: the schema is the models'."""
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def pool(engine: AsyncEngine) -> SessionPool:
    return create_session_pool(engine)


async def add_person(pool: SessionPool, key: str = "amangeldi-sm") -> Person:
    async with pool() as session:
        person = Person(key=key, name="Амангелді С.М.", position="ДТЖЖО", roles=["chair"])
        session.add(person)
        await session.commit()
        return person


async def add_occurrence(pool: SessionPool, key: str = "council-4") -> Occurrence:
    async with pool() as session:
        occurrence = Occurrence(
            key=key, ref="council-4", school_year="2026-2027", window_start=SEPT_1, title="4"
        )
        session.add(occurrence)
        await session.commit()
        return occurrence


def reminder(dedup_key: str, person_id: int | None = None) -> Reminder:
    return Reminder(
        dedup_key=dedup_key,
        occurrence_key="council-4",
        person_id=person_id,
        kind="week_before",
        chat_id=17,
        text="Кеңес отырысы",
        due_at=SEPT_1,
        next_attempt_at=SEPT_1,
    )


# --- engine ------------------------------------------------------------------------------------


@pytest.mark.sqlite_only(reason="SQLite pragmas and files")
async def test_engine_sets_the_pragmas_and_makes_the_directory(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kenes.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
            synchronous = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
            assert synchronous == 1  # NORMAL
    finally:
        await engine.dispose()
    assert (tmp_path / "data" / "kenes.db").is_file()


async def test_foreign_key_violation_raises(pool: SessionPool) -> None:
    async with pool() as session:
        session.add(Account(person_id=999, telegram_user_id=1, chat_id=1))
        with pytest.raises(IntegrityError):
            await session.commit()


# --- UTCDateTime -------------------------------------------------------------------------------


async def test_naive_datetime_is_refused(pool: SessionPool) -> None:
    naive = datetime(2026, 9, 1, 9, 0)  # noqa: DTZ001 - the point of the test
    async with pool() as session:
        session.add(Lease(name="sender", holder="a", expires_at=naive))
        with pytest.raises(StatementError) as raised:
            await session.commit()
    assert isinstance(raised.value.orig, ValueError)
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(naive, dialect=None)  # type: ignore[arg-type]


async def test_aware_datetime_round_trips_as_the_same_instant_in_utc(
    pool: SessionPool, engine: AsyncEngine
) -> None:
    async with pool() as session:
        session.add(Lease(name="sender", holder="a", expires_at=SEPT_1))
        await session.commit()

    async with pool() as session:
        lease = await session.get(Lease, "sender")
    assert lease is not None
    assert lease.expires_at == SEPT_1
    assert lease.expires_at.tzinfo is UTC
    assert lease.expires_at.hour == 4  # Asia/Aqtobe is UTC+5

    async with engine.connect() as connection:
        stored = (await connection.exec_driver_sql("SELECT expires_at FROM lease")).scalar()
    if engine.dialect.name == "sqlite":
        assert stored == "2026-09-01 04:00:00.000000"
    else:  # timestamp without time zone: the naive UTC instant
        assert stored == datetime(2026, 9, 1, 4, 0)  # noqa: DTZ001 - as stored


async def test_comparisons_bind_aware_datetimes_in_utc(pool: SessionPool) -> None:
    await add_person(pool)
    async with pool() as session:
        session.add(reminder("council-4|person:1|week_before"))
        await session.commit()
        due = select(Reminder).where(Reminder.next_attempt_at <= SEPT_1)
        early = select(Reminder).where(Reminder.next_attempt_at <= SEPT_1 - timedelta(seconds=1))
        assert len((await session.exec(due)).all()) == 1
        assert (await session.exec(early)).all() == []


# --- unique keys -------------------------------------------------------------------------------


async def test_reminder_dedup_key_is_unique(pool: SessionPool) -> None:
    person = await add_person(pool)
    async with pool() as session:
        session.add(reminder("council-4|person:1|week_before", person.id))
        await session.commit()
    async with pool() as session:
        session.add(reminder("council-4|person:1|week_before", person.id))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_report_event_idempotency_key_is_unique(pool: SessionPool) -> None:
    person = await add_person(pool)
    occurrence = await add_occurrence(pool)
    assert person.id is not None and occurrence.id is not None

    def event() -> ReportEvent:
        return ReportEvent(
            occurrence_id=occurrence.id,
            person_id=person.id,
            status=ReportStatus.DONE,
            idempotency_key="cb:123456",
        )

    async with pool() as session:
        session.add(event())
        await session.commit()
    async with pool() as session:
        session.add(event())
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_one_report_per_person_and_occurrence(
    pool: SessionPool, engine: AsyncEngine
) -> None:
    person = await add_person(pool)
    occurrence = await add_occurrence(pool)
    assert person.id is not None and occurrence.id is not None
    async with pool() as session:
        session.add(
            Report(occurrence_id=occurrence.id, person_id=person.id, status=ReportStatus.DONE)
        )
        await session.commit()
    async with engine.connect() as connection:  # stored as the enum's value
        assert (await connection.exec_driver_sql("SELECT status FROM report")).scalar() == "done"
    async with pool() as session:
        session.add(
            Report(occurrence_id=occurrence.id, person_id=person.id, status=ReportStatus.CANT)
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_roles_are_a_json_list_that_tracks_changes(pool: SessionPool) -> None:
    person = await add_person(pool)
    async with pool() as session:
        loaded = await session.get(Person, person.id)
        assert loaded is not None and loaded.roles == ["chair"]
        loaded.roles.append("council_member")
        await session.commit()
    async with pool() as session:
        loaded = await session.get(Person, person.id)
        assert loaded is not None and loaded.roles == ["chair", "council_member"]


# --- students ----------------------------------------------------------------------------------


async def test_a_student_with_notes_cannot_be_deleted(pool: SessionPool) -> None:
    author = await add_person(pool)
    assert author.id is not None
    async with pool() as session:
        student = Student(full_name="Оқушы", class_name="7Ә", birth_date=date(2013, 5, 2))
        session.add(student)
        await session.flush()
        assert student.id is not None
        incident = Incident(
            student_id=student.id,
            author_person_id=author.id,
            category=IncidentCategory.FIGHT,
            occurred_at=SEPT_1,
        )
        session.add(incident)
        await session.flush()
        assert incident.id is not None
        session.add(
            IncidentVersion(
                incident_id=incident.id, version=1, text="...", editor_person_id=author.id
            )
        )
        await session.commit()

    async with pool() as session:
        loaded = await session.get(Student, student.id)
        await session.delete(loaded)
        with pytest.raises(IntegrityError):
            await session.commit()

    async with pool() as session:
        assert await session.get(Student, student.id) is not None
        assert await session.get(Incident, incident.id) is not None


async def test_concurrent_edits_of_a_student_fail_the_second_commit(pool: SessionPool) -> None:
    async with pool() as session:
        student = Student(full_name="Оқушы", class_name="7Ә")
        session.add(student)
        await session.commit()
    assert student.version == 1

    async with pool() as first, pool() as second:
        mine = await first.get(Student, student.id)
        theirs = await second.get(Student, student.id)
        assert mine is not None and theirs is not None

        mine.grounds = "first"
        await first.commit()
        assert mine.version == 2

        theirs.grounds = "second"
        with pytest.raises(StaleDataError):
            await second.commit()

    async with pool() as session:
        final = await session.get(Student, student.id)
    assert final is not None and final.grounds == "first" and final.version == 2
