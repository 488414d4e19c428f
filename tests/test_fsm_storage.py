"""Dialogue state in the database (`bot.fsm_storage.DbStorage`), on the suite's database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import ManualClock
from bot.fsm_storage import STALE_AFTER, DbStorage
from bot.states import IncidentForm
from db.models import FsmState

BIG = 7_123_456_789  # Telegram ids pass 2^32
KEY = StorageKey(bot_id=BIG, chat_id=BIG + 1, user_id=BIG + 1)


@pytest.fixture(params=[True, False], ids=["cached", "uncached"])
def storage(
    request: pytest.FixtureRequest,
    session_pool: async_sessionmaker[AsyncSession],
    clock: ManualClock,
) -> DbStorage:
    return DbStorage(session_pool, clock, cache=request.param)


async def rows(pool: async_sessionmaker[AsyncSession]) -> list[FsmState]:
    async with pool() as session:
        return list((await session.exec(select(FsmState))).all())


async def test_state_and_data_round_trip_and_a_finished_dialogue_leaves_no_row(
    storage: DbStorage, session_pool: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}

    await storage.set_state(KEY, IncidentForm.category)
    await storage.set_data(KEY, {"student": 12, "new_name": "Сапаров Ерлан <b>", "ids": [1, 2]})
    assert await storage.get_state(KEY) == IncidentForm.category.state
    assert await storage.get_data(KEY) == {
        "student": 12,
        "new_name": "Сапаров Ерлан <b>",
        "ids": [1, 2],
    }
    assert await storage.update_data(KEY, {"category": "fight"}) == {
        "student": 12,
        "new_name": "Сапаров Ерлан <b>",
        "ids": [1, 2],
        "category": "fight",
    }
    await storage.set_state(KEY, "IncidentForm:text")
    assert (await storage.get_data(KEY))["category"] == "fight"  # state alone keeps the data
    # What the next process (a restart) reads: the database, not this one's memory.
    restarted = DbStorage(session_pool, clock)
    assert await restarted.get_state(KEY) == "IncidentForm:text"
    assert await restarted.get_data(KEY) == await storage.get_data(KEY)
    (await storage.get_data(KEY))["student"] = 13  # a copy: the stored data does not change
    assert (await storage.get_data(KEY))["student"] == 12

    # What FSMContext.clear() does: no state, no data, no row.
    await storage.set_state(KEY, None)
    assert await storage.get_data(KEY) != {}  # data outlives the state until it is cleared
    await storage.set_data(KEY, {})
    assert await rows(session_pool) == []

    # Data alone (no state) is kept, and goes when emptied.
    await storage.set_data(KEY, {"x": 1})
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {"x": 1}
    await storage.set_data(KEY, {})
    assert await rows(session_pool) == []


async def test_every_part_of_the_key_keeps_dialogues_apart(
    storage: DbStorage, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    keys = [
        KEY,
        StorageKey(bot_id=BIG + 9, chat_id=KEY.chat_id, user_id=KEY.user_id),
        StorageKey(bot_id=BIG, chat_id=-1_001_000_000_001, user_id=KEY.user_id),
        StorageKey(bot_id=BIG, chat_id=KEY.chat_id, user_id=KEY.user_id, thread_id=5),
        StorageKey(
            bot_id=BIG, chat_id=KEY.chat_id, user_id=KEY.user_id, business_connection_id="bc"
        ),
        StorageKey(bot_id=BIG, chat_id=KEY.chat_id, user_id=KEY.user_id, destiny="other"),
    ]
    for n, key in enumerate(keys):
        await storage.set_state(key, f"S:{n}")
        await storage.set_data(key, {"n": n})
    for n, key in enumerate(keys):
        assert await storage.get_state(key) == f"S:{n}"
        assert await storage.get_data(key) == {"n": n}
    assert len(await rows(session_pool)) == len(keys)


async def test_updates_of_one_dialogue_at_once_lose_nothing(
    storage: DbStorage, session_pool: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    """Also from two storages at once (two processes): the database orders the writes."""
    other = DbStorage(session_pool, clock, cache=False)
    await storage.set_state(KEY, IncidentForm.text)
    await asyncio.gather(
        *((storage if n % 2 else other).update_data(KEY, {f"k{n}": n}) for n in range(12))
    )
    assert await other.get_data(KEY) == {f"k{n}": n for n in range(12)}


async def test_dialogues_untouched_for_two_days_are_purged(
    storage: DbStorage, clock: ManualClock
) -> None:
    old = StorageKey(bot_id=BIG, chat_id=1, user_id=1)
    await storage.set_state(old, IncidentForm.text)
    await storage.update_data(old, {"text": "a draft"})
    clock.advance(STALE_AFTER)
    await storage.set_state(KEY, IncidentForm.text)  # fresh
    clock.advance(timedelta(minutes=1))
    assert await storage.purge() == 1
    assert await storage.get_state(old) is None and await storage.get_data(old) == {}
    assert await storage.get_state(KEY) == IncidentForm.text.state
