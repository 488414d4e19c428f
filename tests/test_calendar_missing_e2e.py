"""August: the admins are told once that next year's calendar file is missing (#13). The
production dispatcher against the strict fake Telegram, the real database, the hand-set clock;
`tick` is driven by hand and the outbox drained by hand. The bot runs on the 2026-2027 file
into August 2027, as one that was not restarted would."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from sqlmodel import select

from bot.config import CALENDAR_DIR
from bot.scheduler.jobs import AppContext, tick
from bot.scheduler.outbox import Outbox
from db.models import Reminder
from tests.conftest import TZ
from tests.harness import Kenes


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def ctx_of(kenes: Kenes, calendar_dir: Path) -> AppContext:
    ctx = kenes.dp.workflow_data["app_context"]
    assert isinstance(ctx, AppContext)
    ctx.calendar_dir = calendar_dir
    return ctx


async def step(kenes: Kenes, ctx: AppContext, now: datetime) -> int:
    kenes.clock.set(now)
    enqueued = (await tick(ctx, now)).enqueued
    outbox = Outbox(
        kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0, holder="t"
    )
    await outbox.drain()
    return enqueued


def year_files(tmp_path: Path, *years: str) -> Path:
    folder = tmp_path / "calendar"
    folder.mkdir()
    for year in years:
        shutil.copy(CALENDAR_DIR / f"{year}.json", folder / f"{year}.json")
    return folder


async def warnings(kenes: Kenes) -> list[Reminder]:
    async with kenes.pool() as session:
        rows = await session.exec(select(Reminder).where(Reminder.kind == "calendar_missing"))
        return list(rows.all())


async def test_admins_are_told_once_on_an_august_working_day(kenes: Kenes, tmp_path: Path) -> None:
    ctx = ctx_of(kenes, year_files(tmp_path, "2026-2027"))
    admin = await kenes.admin(language_code="ru")
    teacher = await kenes.join("rakhimzhanova-ar", "Айгүл")
    assert await step(kenes, ctx, at(2027, 7, 30, 10)) == 0  # July: not yet
    assert await step(kenes, ctx, at(2027, 8, 1, 10)) == 0  # Sunday 1 August
    assert await step(kenes, ctx, at(2027, 8, 2, 8, 59)) == 0  # before 09:00
    assert await step(kenes, ctx, at(2027, 8, 2, 9)) == 1
    told = await admin.next_message()
    assert told.text == (
        "⚠️ Нет календаря на 2027-2028 учебный год. Когда выйдет приказ министерства: "
        "python -m bot calendar new 2027-2028"
    )
    assert told.button_labels == []
    for moment in (at(2027, 8, 2, 9, 1), at(2027, 8, 3, 9), at(2027, 8, 20, 10)):
        assert await step(kenes, ctx, moment) == 0  # once; and past mid-August a tick still runs
    await admin.no_message()
    await teacher.no_message()
    assert [r.dedup_key.split("|")[0] for r in await warnings(kenes)] == [
        "calendar-missing@2027-2028"
    ]


async def test_not_on_constitution_day_and_not_when_the_file_is_there(
    kenes: Kenes, tmp_path: Path
) -> None:
    folder = year_files(tmp_path, "2026-2027")
    ctx = ctx_of(kenes, folder)
    admin = await kenes.admin()
    assert await step(kenes, ctx, at(2027, 8, 30, 10)) == 0  # Constitution Day, a Monday
    assert await step(kenes, ctx, at(2027, 8, 31, 21, 30)) == 0  # quiet hours
    (folder / "2027-2028.json").write_text("{}", encoding="utf-8")  # there, but it does not load
    assert await step(kenes, ctx, at(2027, 8, 31, 10)) == 1
    assert "2027-2028 оқу жылының күнтізбесі жоқ" in (await admin.next_message()).text
    # In August 2026 the 2026-2027 file is there: nothing to say.
    assert await step(kenes, ctx, at(2026, 8, 3, 10)) == 0
    await admin.no_message()


def test_a_year_file_is_read_again_only_when_it_changes(tmp_path: Path) -> None:
    import os

    from bot.scheduler.calendar_check import calendar_missing

    path = tmp_path / "2027-2028.json"
    assert calendar_missing(tmp_path, "2027-2028")  # no file
    path.write_text((CALENDAR_DIR / "2026-2027.json").read_text(encoding="utf-8"), "utf-8")
    assert not calendar_missing(tmp_path, "2027-2028")
    assert not calendar_missing(tmp_path, "2027-2028")  # unchanged: not read again
    path.write_text("{", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert calendar_missing(tmp_path, "2027-2028")  # changed, and broken
    path.unlink()
    assert calendar_missing(tmp_path, "2027-2028")
