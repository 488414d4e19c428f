"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL with
``KENES_TEST_DB=postgres``: see tests/databases.py), a hand-set clock."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import ManualClock
from db.engine import create_engine, create_session_pool
from fakegram import FakeTelegram
from tests.databases import Databases, backend, open_databases
from tests.harness import Kenes, kenes_app

pytest_plugins = ["fakegram.pytest_plugin", "tests.process"]

TZ = ZoneInfo("Asia/Aqtobe")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the test is about SQLite itself (its files, pragmas, backup API);"
        " skipped when the suite runs on PostgreSQL",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"kenes database: {backend()}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if backend() == "sqlite":
        return
    # On PostgreSQL only the tests that get a database run (`db_url`, `empty_db_url` and all
    # built on them come from the `databases` fixture): the pure core, the documents, the
    # texts, the CLI's parsing and the processes on their own SQLite file run the same code
    # on either half, and the SQLite half runs them.
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if "databases" in getattr(item, "fixturenames", ()) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = open_databases(tmp_path_factory.mktemp("databases"))
    try:
        yield dbs
    finally:
        dbs.close()


def _seed_keys() -> list[str]:
    from bot.config import DEFAULT_PLAN
    from bot.core.plan import load_plan

    plan = load_plan(DEFAULT_PLAN)
    return [p.key for p in plan.people] + [g.key for g in plan.groups]


# People, not keys: no text the bot sends in any test may show an internal key, a database id
# or a plan placeholder (see fakegram.pytest_plugin). Note numbers ("#12", "№12") are meant.
FORBIDDEN_TEXTS = (
    r"\bcouncil-\d",  # a session's ref
    r"\bdecision-\d",  # a decision's ref
    r"\d+(?:\.\d+)+@\d{4}",  # an occurrence key: 1.4@2026-W41
    r"@\d{4}-(?:\d{2}|W\d{2}|\d{4})",  # the period of a key
    r"(?<![\w-])(?:" + "|".join(re.escape(k) for k in _seed_keys()) + r")(?![\w-])",
    r"(?<![\w-])p-[0-9a-f]{8}(?![\w-])",  # the key of a person added in the chat
    r"(?<![\w.])\?[a-z][a-z0-9-]+",  # an unknown key shown as "?key"
    r"(?i)(?:оқушы|ученик[а-я]*|student)\s*(?:№|#)\s*\d",  # a student's database id
    r"(?i)\bid\s*[:=#]?\s*\d",
    r"\bМедиатор\b",  # plan placeholders: vacancies, never somebody's name
    r"Класс жетек\. ӘБ жетекшісі",
)


@pytest.fixture
def fakegram_forbidden_texts() -> tuple[str, ...]:
    return FORBIDDEN_TEXTS


@pytest.fixture
def db_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A fresh database of this test's own, migrated to the head."""
    url = databases.migrated(tmp_path)
    yield url
    databases.release(url)


@pytest.fixture
def empty_db_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A fresh database of this test's own, without any table."""
    url = databases.empty(tmp_path)
    yield url
    databases.release(url)


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
