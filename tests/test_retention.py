"""Retention: closed cases past RETENTION_YEARS school years are anonymised by the nightly job,
driven with a hand-set clock; the notes stay for statistics; the log has the count only."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import ManualClock
from bot.services.attachments import AttachmentStore
from bot.services.retention import cutoff, mask_name, name_pattern, nightly_retention
from db.models import (
    AuditLog,
    Incident,
    IncidentCategory,
    IncidentVersion,
    Person,
    RegisterStatus,
    Student,
    StudentEvent,
    StudentEventKind,
)
from tests.conftest import TZ


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("today", "years", "expected"),
    [
        (date(2026, 11, 24), 3, date(2023, 9, 1)),  # kept: 2023-24, 2024-25, 2025-26 (+ now)
        (date(2027, 8, 31), 3, date(2023, 9, 1)),  # still the 2026-27 school year
        (date(2027, 9, 1), 3, date(2024, 9, 1)),  # a new school year: one more year goes
        (date(2027, 1, 10), 1, date(2025, 9, 1)),  # across New Year
    ],
)
def test_the_cutoff_counts_whole_school_years(today: date, years: int, expected: date) -> None:
    assert cutoff(today, years) == expected


def test_the_name_is_masked_in_its_inflected_forms() -> None:
    pattern = name_pattern("Сапаров Ерлан")
    text = "Ерлан ударил одноклассника; Ерлана и Сапарова вызвали. Ерланом занимается Ерболат."
    assert mask_name(text, pattern) == (
        "*** ударил одноклассника; *** и *** вызвали. *** занимается Ерболат."
    )


async def _case(
    session: AsyncSession,
    author: Person,
    name: str,
    *,
    created: datetime,
    closed: datetime | None = None,
    status: RegisterStatus = RegisterStatus.NONE,
    notes: tuple[datetime, ...] = (),
    sha: str | None = None,
) -> Student:
    student = Student(
        full_name=name,
        class_name="7Ә",
        created_at=created,
        closed_at=closed,
        register_status=status,
        birth_date=date(2013, 5, 1),
        family_notes=f"Мать {name.split()[1]}а работает посменно",
        grounds=f"Пропуски {name.split()[1]}а",
    )
    session.add(student)
    await session.flush()
    assert student.id is not None and author.id is not None
    for moment in notes:
        note = Incident(
            student_id=student.id,
            author_person_id=author.id,
            category=IncidentCategory.FIGHT,
            occurred_at=moment,
            created_at=moment,
            attachment_kind="photo" if sha else None,
            attachment_sha256=sha,
            attachment_size=4 if sha else None,
        )
        session.add(note)
        await session.flush()
        assert note.id is not None
        session.add(
            IncidentVersion(
                incident_id=note.id,
                version=1,
                text=f"{name.split()[1]} подрался на перемене",
                edited_at=moment,
                editor_person_id=author.id,
            )
        )
        session.add(
            StudentEvent(
                student_id=student.id,
                kind=StudentEventKind.TALK,
                text=f"Беседа с {name.split()[1]}ом",
                at=moment,
            )
        )
    return student


async def test_the_nightly_job_anonymises_only_closed_cases_past_their_time(
    session_pool: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    sha = store.put(b"jpeg").sha256
    async with session_pool() as session:
        author = Person(key="sp", name="Social Pedagogue", roles=["social_pedagogue"])
        session.add(author)
        await session.flush()
        old_closed = await _case(
            session, author, "Сапаров Ерлан", created=at(2021, 10, 1), closed=at(2022, 10, 3),
            notes=(at(2021, 11, 5), at(2022, 4, 8)), sha=sha,
        )  # fmt: skip
        never_registered = await _case(
            session, author, "Ким Олег", created=at(2020, 9, 10), notes=(at(2020, 12, 1),)
        )
        recent_closed = await _case(
            session, author, "Ахметова Дана", created=at(2022, 9, 5), closed=at(2024, 1, 20)
        )
        still_registered = await _case(
            session, author, "Бекова Айым", created=at(2019, 9, 5),
            status=RegisterStatus.RISK_GROUP, notes=(at(2020, 3, 3),),
        )  # fmt: skip
        old_but_active = await _case(
            session, author, "Нуров Арман", created=at(2021, 9, 5), closed=at(2022, 5, 5),
            notes=(at(2023, 10, 2),),
        )  # fmt: skip
        await session.commit()
    ids = [
        s.id
        for s in (old_closed, never_registered, recent_closed, still_registered, old_but_active)
    ]

    caplog.set_level(logging.DEBUG)
    clock = ManualClock(datetime(2026, 11, 24, 3, 15, tzinfo=TZ))  # the job's night
    done = await nightly_retention(session_pool, clock, TZ, 3, store)
    assert done is not None and done.students == 2

    async with session_pool() as session:
        students = {s.id: s for s in (await session.exec(select(Student))).all()}
        versions = (await session.exec(select(IncidentVersion).order_by(IncidentVersion.id))).all()
        events = (await session.exec(select(StudentEvent).order_by(StudentEvent.id))).all()
        notes = (await session.exec(select(Incident).order_by(Incident.id))).all()
        audit = (
            await session.exec(select(AuditLog).where(col(AuditLog.action) == "student.anonymise"))
        ).all()
    gone, also_gone, kept_recent, kept_registered, kept_active = (students[i] for i in ids)
    for student in (gone, also_gone):
        assert student.full_name == f"№{student.id}" and student.anonymised_at == clock.now()
        assert student.birth_date is None and student.family_notes is None
        assert student.class_name == "7Ә"
    assert gone.grounds == "Пропуски ***"
    assert [s.full_name for s in (kept_recent, kept_registered, kept_active)] == [
        "Ахметова Дана",
        "Бекова Айым",
        "Нуров Арман",
    ]
    # The notes stay (category, dates, class) for statistics; the name is out of their text.
    assert len(notes) == 5 and all(n.category is IncidentCategory.FIGHT for n in notes)
    assert [v.text for v in versions] == [
        "*** подрался на перемене",
        "*** подрался на перемене",
        "*** подрался на перемене",
        "Айым подрался на перемене",
        "Арман подрался на перемене",
    ]
    assert events[0].text == "Беседа с ***" and events[-1].text == "Беседа с Арманом"
    assert all(n.attachment_sha256 is None for n in notes if n.student_id == gone.id)
    assert not store.exists(sha)  # the child's photo is gone from the folder
    assert sorted(a.target for a in audit) == sorted(f"student:{i}" for i in ids[:2])

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "retention: 2 closed cases anonymised (kept 3 school years)" in logged
    for name in ("Сапаров", "Ерлан", "Ким", "Олег"):
        assert name not in logged

    # Nightly again: nothing more to do (each case once); a year later, the next one goes.
    assert (await nightly_retention(session_pool, clock, TZ, 3, store)).students == 0  # type: ignore[union-attr]
    clock.set(datetime(2027, 9, 1, 3, 15, tzinfo=TZ))
    again = await nightly_retention(session_pool, clock, TZ, 3, store)
    # Closed in 2023-24 (Дана) and last active in 2023-24 (Арман): kept through 2026-27.
    assert again is not None and again.students == 2
    async with session_pool() as session:
        names = {s.id: s.full_name for s in (await session.exec(select(Student))).all()}
    assert [names[i] for i in ids] == [f"№{ids[0]}", f"№{ids[1]}", f"№{ids[2]}", "Бекова Айым",
                                       f"№{ids[4]}"]  # fmt: skip


async def test_the_job_is_scheduled_with_the_bot(fakegram, db_url, clock) -> None:  # type: ignore[no-untyped-def]
    from bot.services.retention import RETENTION_JOB_ID
    from tests.harness import kenes_app

    async with kenes_app(fakegram, db_url, clock, scheduler_enabled=True) as app:
        job = app.dp["scheduler"].get_job(RETENTION_JOB_ID)
        assert job is not None and job.args[3] == app.settings.retention_years == 3
        assert "bot" not in job.kwargs and all(type(a).__name__ != "Bot" for a in job.args)
