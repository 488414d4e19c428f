"""Shared by the two-replica test and `bench/bench_replicas.py`: an outbox full of one
reminder per fake user, and what the database says afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import select

from bot.scheduler.outbox import LEASE_NAME, enqueue
from db.engine import create_engine, create_session_pool
from db.models import Lease, Reminder
from fakegram import FakeUser


def reminder_text(user: FakeUser) -> str:
    return f"⏰ Ертең кеңес отырысы / Завтра заседание совета · {user.id}"


async def fill_outbox(db_url: str, users: Sequence[FakeUser]) -> None:
    """One reminder per user, due now, each with a text of its own."""
    now = datetime.now(UTC)
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            for user in users:
                await enqueue(
                    session,
                    dedup_key=f"fanout|{user.id}",
                    chat_id=user.id,
                    text=reminder_text(user),
                    kind="day_before",
                    due_at=now,
                    now=now,
                )
            await session.commit()
    finally:
        await engine.dispose()


async def read_outbox(db_url: str) -> tuple[list[Reminder], Lease | None]:
    """Every outbox row, and the sender's lease (None: nobody holds it)."""
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            rows = list((await session.exec(select(Reminder))).all())
            return rows, await session.get(Lease, LEASE_NAME)
    finally:
        await engine.dispose()


def holder_pid(lease: Lease) -> int:
    """The process id in a lease holder's name (``host:pid:random``)."""
    return int(lease.holder.split(":")[1])
