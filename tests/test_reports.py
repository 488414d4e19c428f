"""Recording reports (`bot.services.tasks.record`) on the suite's database, two at once."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import tasks
from db.models import Occurrence, Person, Report, ReportEvent, ReportStatus
from tests.conftest import TZ

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)


async def test_two_taps_at_once_make_one_report_and_two_events(
    session_pool: async_sessionmaker[AsyncSession],
) -> None:
    async with session_pool() as session:
        person = Person(key="psych", name="Psychologist", roles=["psychologist"])
        occurrence = Occurrence(
            key="3.3@2026-W48", ref="3.3", school_year="2026-2027", window_start=NOW, title="3.3"
        )
        session.add_all([person, occurrence])
        await session.commit()
    assert person.id is not None

    async def tap(status: ReportStatus, key: str) -> tasks.Recorded:
        async with session_pool() as session:  # each tap is its own update, its own session
            return await tasks.record(
                session,
                occurrence=occurrence,
                person_id=person.id,  # type: ignore[arg-type]
                status=status,
                now=NOW,
                idempotency_key=key,
                text="no room free" if status is ReportStatus.CANT else None,
            )

    done, cant = await asyncio.gather(
        tap(ReportStatus.DONE, "cb:1"), tap(ReportStatus.CANT, "cb:2")
    )
    assert done.new and cant.new
    again = await tap(ReportStatus.DONE, "cb:1")  # the same tap delivered twice
    assert not again.new
    async with session_pool() as session:
        [report] = (await session.exec(select(Report))).all()
        events = (await session.exec(select(ReportEvent).order_by(col(ReportEvent.id)))).all()
    assert report.status in {ReportStatus.DONE, ReportStatus.CANT}  # the later of the two
    assert sorted(e.idempotency_key for e in events) == ["cb:1", "cb:2"]
