"""The sample school year (`bot.documents.sample`) in a SQLite file, written once and copied
for each test that needs it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bot.documents.sample import SampleYear, seed_year
from db.engine import create_engine, create_session_pool, upgrade_database
from tests.harness import seed_calendar, seed_plan


def write_sample_year(folder: Path) -> tuple[Path, SampleYear]:
    """Call from a sync (module-scoped) fixture: it runs its own event loop."""
    path = folder / "kenes.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade_database(url)

    async def seed() -> SampleYear:
        engine = create_engine(url)
        try:
            async with create_session_pool(engine)() as session:
                return await seed_year(session, seed_plan(), seed_calendar())
        finally:
            await engine.dispose()

    return path, asyncio.run(seed())


def copy_database(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
