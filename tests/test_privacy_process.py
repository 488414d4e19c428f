"""The real process keeps children out of its output: `python -m bot run`, as the README starts
it, against the strict fake Telegram, at ``LOG_LEVEL=DEBUG`` and at ``INFO``.

A social pedagogue files a note about a child with a distinctive name and text, reports a task
she cannot do (with a reason) and comments another, with the process at DEBUG (every record
any code or library writes); the process is stopped and started again at INFO (what a school
runs); a deputy director opens the note (the first attempt fails at Telegram's side, so the
error path logs too, with a traceback). The process's whole stdout and stderr, both runs,
then holds none of: the child's name, the note's text, the reason, the comment, the bot token.
Every line belongs to a log record (a traceback under its record), timestamps carry their
offset, and the only errors logged are the failure Telegram was made to answer: a graceful
stop (SIGTERM) logs none.

One process per level, not both levels over the whole story: a level only drops records, so
what INFO would write while the note is filed is part of what DEBUG writes there.

In-process tests cannot see this: what `main()` configures (logging, the engine, the settings)
only exists in the real process. The process runs on 24 November 2026, 09:00 in Aqtobe, a
school day: the clock is moved by a `sitecustomize` in the test's folder (time-machine), so the
bot's own code runs unchanged. Waits are on the fake server's events, never on time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import CALENDAR_DIR
from bot.services import staff
from db.engine import create_engine, create_session_pool
from db.models import Person
from fakegram import FakeMessage, FakeTelegram
from fakegram.chats import FakeUser
from tests.conftest import TZ
from tests.process import BotProcesses, log_records, run_bot_async

TOKEN = "7000000001:AAH-privacy-test-token_0123456789abc"
BOT_USERNAME = "kenes_privacy_bot"
CHILD = "Жансерікова Әлиябану"
CHILD_PARTS = ("Жансерікова", "Әлиябану")
NOTE = "Әлиябану үзілісте сыныптасының телефонын алып, терезеден лақтырды (Zx-4417)"
REASON = "Себебі: әдістемелік бірлестік отырысы ұзаққа созылды (Qv-9021)"
COMMENT = "Ата-анасымен кездесу келесі сәрсенбіге ауыстырылды (Pk-3388)"
SECRETS = (CHILD, *CHILD_PARTS, NOTE, "Zx-4417", REASON, "Qv-9021", COMMENT, "Pk-3388", TOKEN)
ADMIN_IDS = ("4242", " 4242 , 4243 ")  # as a school's IT person writes them: run 1, run 2
WAIT = 120.0  # generous: the first start imports aiogram on a busy 2-core machine

SITECUSTOMIZE = """\
# Moves this process's clock to a school-day morning (tests/test_privacy_process.py).
import datetime, zoneinfo
import time_machine
time_machine.travel(
    datetime.datetime(2026, 11, 24, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Aqtobe")), tick=True
).start()
"""

pytestmark = pytest.mark.fakegram(token=TOKEN, bot_username=BOT_USERNAME)


async def _said(user: FakeUser, needle: str, since: int = 0) -> FakeMessage:
    """The first bot message from index `since` on that contains `needle` (waits for it)."""

    def found() -> FakeMessage | None:
        for message in user.bot_messages[since:]:
            if needle in (message.text or message.caption or ""):
                return message
        return None

    await user.fake.wait_until(lambda: found() is not None, WAIT)
    message = found()
    assert message is not None
    return message


async def _tap(user: FakeUser, label: str) -> str:
    query = await user.tap(label)
    await user.fake.wait_until(lambda: query.answered, WAIT)
    assert query.answer is not None
    return query.answer.text or ""


async def _invite_deputy(db_url: str) -> str:
    """The second invite straight into the database (the first one went through the CLI)."""
    from datetime import datetime

    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            deputy = (await session.exec(select(Person).where(Person.key == "mukanova-azh"))).one()
            return await staff.create_invite(
                session, deputy, by=None, now=datetime(2026, 11, 24, 8, 0, tzinfo=TZ)
            )
    finally:
        await engine.dispose()


async def test_the_real_process_logs_no_child_no_note_no_comment_no_token(
    fakegram: FakeTelegram, tmp_path: Path, bot_processes: BotProcesses
) -> None:
    clock_dir = tmp_path / "clock"
    clock_dir.mkdir()
    (clock_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kenes.db'}"
    settings = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fakegram.base_url,
        "DATABASE_URL": db_url,
        "ADMIN_IDS": ADMIN_IDS[0],
        "LOG_LEVEL": "DEBUG",
        "CALENDAR_PATH": str(CALENDAR_DIR / "2026-2027.json"),
        "PYTHONPATH": str(clock_dir),
    }
    invite = await run_bot_async(
        "invite", "--person", "amangeldi-sm", "--bot-username", BOT_USERNAME,
        cwd=tmp_path, **settings,
    )  # fmt: skip
    assert invite.code == 0, invite.output
    match = re.search(r"\?start=(\S+)", invite.stdout)
    assert match is not None, invite.output
    deputy_token = await _invite_deputy(db_url)

    first = await bot_processes.start("run", db_url=db_url, name="debug", **settings)
    admin = fakegram.user(id=4242, first_name="Әкімші", language_code="ru")
    await admin.command("/help")
    assert "/staff" in (await _said(admin, "/staff")).text  # ADMIN_IDS as written works
    pedagogue = fakegram.user(first_name="Сания", language_code="ru")
    await pedagogue.command("/start", match.group(1))
    await _said(pedagogue, "Добро пожаловать")
    deputy = fakegram.user(first_name="Алма", language_code="ru")
    await deputy.command("/start", deputy_token)
    await _said(deputy, "Добро пожаловать")

    # The note: a new student typed with the class, a category, the text, save.
    await pedagogue.command("/incident")
    await _said(pedagogue, "О ком запись")
    await _tap(pedagogue, "➕ Новый ученик")
    since = len(pedagogue.bot_messages)
    await pedagogue.send(f"{CHILD} 7Ә")
    await _said(pedagogue, "7Ә", since)
    await _tap(pedagogue, "драка/насилие")
    since = len(pedagogue.bot_messages)
    await pedagogue.send(NOTE)
    await _said(pedagogue, CHILD, since)
    await _tap(pedagogue, "✅ Сохранить · сейчас")
    await _said(pedagogue, "Запись №1 сохранена")

    # A task she cannot do, with the reason; a comment on another.
    since = len(pedagogue.bot_messages)
    await pedagogue.command("/tasks")
    await fakegram.wait_until(
        lambda: any("⛔ Не могу" in m.button_labels for m in pedagogue.bot_messages[since:]), WAIT
    )
    await _tap(pedagogue, "⛔ Не могу")
    await _said(pedagogue, "почему не можете", since)
    since = len(pedagogue.bot_messages)
    await pedagogue.send(REASON)
    await _said(pedagogue, "Записано", since)
    await _tap(pedagogue, "💬 Комментарий")
    await _said(pedagogue, "напишите комментарий", since)
    since = len(pedagogue.bot_messages)
    await pedagogue.send(COMMENT)
    await _said(pedagogue, "Комментарий записан", since)

    notice = await _said(deputy, "Новая запись №1")  # through the outbox: no name, no text
    assert CHILD_PARTS[0] not in notice.text
    assert await first.stop() == 0

    # Restarted at INFO: the deputy opens the note. Telegram fails the send of the note's card
    # (the handler's error reaches the log), the second tap shows it. Only that send fails: a
    # reminder the outbox sends meanwhile is not the one.
    second = await bot_processes.start(
        "run",
        db_url=db_url,
        name="info",
        **{**settings, "ADMIN_IDS": ADMIN_IDS[1], "LOG_LEVEL": "INFO"},
    )
    fakegram.faults.fail_next(
        1, status=500, methods={"sendMessage"}, when=lambda params: NOTE in str(params)
    )
    assert "Попробуйте ещё раз" in await _tap(deputy, "Открыть №1")
    since = len(deputy.bot_messages)
    await _tap(deputy, "Открыть №1")
    shown = await _said(deputy, NOTE, since)
    assert CHILD in shown.text  # the data did pass through the process
    assert await second.stop() == 0

    output = invite.output + first.output() + second.output()
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} is in the output"
    assert TOKEN.split(":", 1)[1] not in output
    assert "note 1 filed by person" in first.output()  # ids and counts are logged
    # Every line is a log line or a traceback under one: nothing bypasses the formatter.
    debug, info = log_records(first.output()), log_records(second.output())
    assert all(r.time.endswith("+05:00") for r in debug + info)
    assert any(r.level == "DEBUG" for r in debug)  # the level was honoured, nothing leaked
    assert {r.level for r in info} <= {"INFO", "WARNING", "ERROR"}
    # The only errors: Telegram's 500 for the card, logged by type with its traceback. The
    # graceful stops (SIGTERM) log none.
    errors = [r for r in debug + info if r.level in ("ERROR", "CRITICAL")]
    assert errors and all("TelegramServerError" in r.text for r in errors), "\n".join(
        r.text for r in errors
    )
    assert any(r.traceback for r in errors)  # the error path, traceback and all, ran
    assert "CancelledError" not in output
