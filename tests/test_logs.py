"""What reaches a log line: ids and counts; no names, texts, parameters or token; aware times.

These drive `bot.logs` in-process; `tests/test_privacy_process.py` runs the real process.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import SendMessage
from sqlalchemy.exc import IntegrityError

from bot.logs import (
    HIDDEN,
    LibraryFloor,
    SafeFormatter,
    configure_logging,
    describe,
    redact,
)
from db.engine import create_engine, create_session_pool
from db.models import Person, Student

TZ = ZoneInfo("Asia/Aqtobe")
NAME = "Сапаров Ерлан"
TOKEN = "7000000001:AAH-privacy-test-token_0123456789abc"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """The process's logging as `main()` sets it up, written to a string; restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {n: logging.getLogger(n).level for n in ("sqlalchemy", "aiosqlite", "aiohttp")}
    out = io.StringIO()
    configure_logging("DEBUG", TZ, secrets=[TOKEN], stream=out)
    try:
        yield out
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _record(
    name: str, level: int, msg: str, *args: object, exc: bool = False
) -> logging.LogRecord:
    import sys

    return logging.LogRecord(name, level, __file__, 1, msg, args, sys.exc_info() if exc else None)


def test_a_timestamp_is_iso_8601_with_the_schools_offset() -> None:
    line = SafeFormatter(TZ).format(_record("bot.x", logging.INFO, "note %s filed", 12))
    assert re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:00 INFO bot\.x: note 12 filed$", line
    )


def test_an_exception_is_logged_by_type_and_stack_not_by_message() -> None:
    try:
        raise ValueError(f"no student called {NAME}")
    except ValueError:
        line = SafeFormatter(TZ).format(_record("bot.x", logging.ERROR, "failed", exc=True))
    assert NAME not in line
    assert "Traceback (most recent call last)" in line and "test_logs.py" in line
    assert f"ValueError: {HIDDEN}" in line


def test_aiogram_s_own_line_about_a_failed_update_hides_the_message() -> None:
    # aiogram.event logs "Cause exception while process update id=%d by bot id=%d\n%s: %s"
    # with the exception itself as the last argument.
    exc = KeyError(NAME)
    line = SafeFormatter(TZ).format(
        _record(
            "aiogram.event",
            logging.ERROR,
            "Cause exception while process update id=%d by bot id=%d\n%s: %s",
            7,
            1,
            "KeyError",
            exc,
        )
    )
    assert NAME not in line and "update id=7" in line


def test_telegrams_words_are_kept_what_it_quotes_is_cut() -> None:
    method = SendMessage(chat_id=1, text=NAME)
    exc = TelegramBadRequest(method, f'Bad Request: can\'t parse entities: tag "{NAME}"')
    assert describe(exc) == (
        "aiogram.exceptions.TelegramBadRequest: Telegram server says - Bad Request: "
        'can\'t parse entities: tag "…"'
    )
    network = TelegramNetworkError(method, "ClientConnectorError: Cannot connect to host x:443")
    assert "Cannot connect to host x:443" in describe(network)


def test_a_refused_send_is_logged_by_the_exception_not_its_text() -> None:
    # The outbox, the check-in and the reply handlers log Telegram's refusal by passing the
    # exception: its quoted part (the text the bot tried to send) is cut.
    exc = TelegramBadRequest(
        SendMessage(chat_id=1, text=NAME), f'Bad Request: can\'t parse entities: tag "{NAME}"'
    )
    line = SafeFormatter(TZ).format(
        _record(
            "bot.scheduler.outbox.sender",
            logging.ERROR,
            "outbox: reminder %d (%s) to chat %d refused: %s",
            3,
            "k",
            1,
            exc,
        )
    )
    assert NAME not in line and "refused: " in line and "can't parse entities" in line


def test_the_token_never_appears() -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert TOKEN not in redact(f"GET {url} failed", [TOKEN])
    assert redact(f"GET {url}") == "GET https://api.telegram.org/bot<token>/getUpdates"
    assert redact("a token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0.") == "a token <token>."
    assert redact("short 123456:TEST token", ["123456:TEST"]) == "short <token> token"
    line = SafeFormatter(TZ, [TOKEN]).format(_record("aiohttp.client", logging.ERROR, url))
    assert TOKEN not in line and "<token>" in line


def test_library_loggers_that_carry_data_stay_at_warning_whatever_the_level() -> None:
    floor = LibraryFloor()
    for name in (
        "sqlalchemy.engine.Engine",
        "sqlalchemy.pool.impl",
        "aiosqlite",
        "aiohttp.access",
        "aiogram.scene",
    ):
        assert not floor.filter(_record(name, logging.INFO, "x"))
        assert not floor.filter(_record(name, logging.DEBUG, "x"))
        assert floor.filter(_record(name, logging.WARNING, "x"))
    assert floor.filter(_record("bot.handlers.incidents", logging.DEBUG, "note 1"))
    assert floor.filter(_record("aiogram.event", logging.INFO, "Update id=1 is handled"))
    dev = LibraryFloor(allowed=("sqlalchemy.engine",))
    assert dev.filter(_record("sqlalchemy.engine.Engine", logging.INFO, "INSERT"))
    assert not dev.filter(_record("aiosqlite", logging.DEBUG, "x"))


async def test_at_debug_the_database_writes_nothing_of_a_childs_name(
    stream: io.StringIO, tmp_path: Path
) -> None:
    """The defect of issue #10: with LOG_LEVEL at DEBUG (or INFO, as it was), SQLAlchemy and
    aiosqlite logged every statement with its parameters. Also an IntegrityError's text, which
    carries the parameters unless the engine hides them."""
    from db.engine import upgrade_database

    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    upgrade_database(url)
    engine = create_engine(url)
    try:
        async with create_session_pool(engine)() as session:
            session.add(Student(full_name=NAME, class_name="7Ә"))
            session.add(Person(key="dup", name=NAME))
            await session.commit()
            session.add(Person(key="dup", name=NAME))
            with pytest.raises(IntegrityError) as caught:
                await session.commit()
            logging.getLogger("bot.test").error("write failed: %s", caught.value)
            logging.getLogger("bot.test").error("write failed", exc_info=caught.value)
            assert NAME not in str(caught.value)  # hide_parameters: not even in the text
    finally:
        await engine.dispose()
    logged = stream.getvalue()
    assert "UNIQUE constraint failed: person.key" in logged  # the driver's words stay
    assert NAME not in logged and "Ерлан" not in logged
