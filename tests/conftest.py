"""Shared fixtures: a migrated SQLite database per test, a hand-set clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import ManualClock
from db.engine import create_engine, create_session_pool, upgrade_database
from fakegram import FakeTelegram
from tests.harness import Kenes, kenes_app

pytest_plugins = ["fakegram.pytest_plugin"]

TZ = ZoneInfo("Asia/Aqtobe")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kenes.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
async def session_pool(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    try:
        yield create_session_pool(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    # A Tuesday morning in the school year: 2026-11-24 09:00 in Aqtobe.
    return ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))


@pytest.fixture
async def kenes(fakegram: FakeTelegram, db_url: str, clock: ManualClock) -> AsyncIterator[Kenes]:
    """The whole bot, polling the strict fake Telegram server."""
    async with kenes_app(fakegram, db_url, clock) as app:
        yield app
