"""Logging: ids and counts, never people; every timestamp with its time zone.

`configure_logging` is called once by `main()` before anything else runs. It sets up one handler
on the root logger (stderr) whose `SafeFormatter` and `LibraryFloor` filter hold whatever any
code or library logs:

* **Library loggers that can carry data sit at WARNING** whatever ``LOG_LEVEL`` says
  (`LIBRARY_FLOOR`): SQLAlchemy logs statements *with their parameters* at INFO, aiosqlite logs
  every call with its arguments at DEBUG, aiohttp's access log writes request lines, aiogram's
  scenes log FSM data. Only the developer flag ``DEV_LOG_SQL=1`` lets SQL (with parameters)
  through, and `main()` prints a warning when it is on.
* **Exceptions are logged by type and stack, not by message.** A message is where data hides:
  a pydantic error quotes its input, an SQLAlchemy error its parameters (the engine hides them
  too: ``hide_parameters``), a ``ValueError`` whatever the code put in it. The messages of a
  few kinds known to carry only technical facts are kept (`safe_message`): Telegram's error
  descriptions (quoted parts cut), network and file-system errors, the database driver's first
  line, and the bot's own exceptions. An exception passed as a ``%s`` argument (aiogram logs
  ``"Cause exception while process update ...: %s", e``) is shown the same way.
* **The bot token never appears**: the token itself, anything shaped like a bot token and the
  ``/bot<token>/`` part of an API URL are replaced by ``<token>`` in every line.
* Timestamps are ISO 8601 with the offset, in the school's time zone:
  ``2026-11-24T09:00:00.123+05:00``.
* With many schools in one process (``SCHOOLS_FILE``), a line logged while a school's update,
  tick or send runs begins with the school's name: ``[school-12] tick …`` (`school_context`).

What the bot's own code logs is ids and counts (see the module notes of the handlers and
services); `tests/test_logs.py` and `tests/test_privacy_process.py` check the result.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo
from types import TracebackType
from typing import Any, TextIO

# Loggers whose records below WARNING are dropped, whatever LOG_LEVEL says (prefix match).
LIBRARY_FLOOR: tuple[str, ...] = (
    "sqlalchemy",  # .engine: statements and parameters; .pool, .orm: object reprs
    "aiosqlite",  # every call with its arguments
    "asyncpg",
    "aiohttp",  # .access: request lines; .client, .server, .web
    "aiogram.scene",  # FSM data
    "aiogram.middlewares",  # request logging: method parameters
    "aiogram.webhook",
    "multipart",
    "alembic.runtime.plugins",  # noise: a line per Alembic plugin at every start
)
SQL_LOGGERS: tuple[str, ...] = ("sqlalchemy.engine",)
# Noise, not data: quiet unless LOG_LEVEL=DEBUG (the minute tick: two lines a minute).
NOISY: tuple[str, ...] = ("apscheduler.executors.default",)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "(message hidden)"

# The school whose work is running (many schools in one process); "" for one school.
SCHOOL: ContextVar[str] = ContextVar("kenes_school", default="")


@contextmanager
def school_context(name: str) -> Iterator[None]:
    """Log lines (and the tasks started) inside are the school `name`'s."""
    token = SCHOOL.set(name)
    try:
        yield
    finally:
        SCHOOL.reset(token)


_TOKEN_SHAPE = re.compile(r"\b\d{3,}:[A-Za-z0-9_-]{20,}")
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|«[^»]*»")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the given secrets, bot tokens and ``/bot<token>/`` URL parts replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    text = _TOKEN_IN_URL.sub("/bot<token>/", text)
    return _TOKEN_SHAPE.sub("<token>", text)


def _is(exc_type: type[BaseException], module: str, name: str) -> bool:
    return any(k.__module__.startswith(module) and k.__name__ == name for k in exc_type.__mro__)


def safe_message(exc_type: type[BaseException], message: str) -> str:
    """The part of an exception's message that may be logged (see the module notes)."""
    if not message:
        return message
    if _is(exc_type, "aiogram", "TelegramNetworkError"):
        return message  # the HTTP client's words (the token, if any, is redacted later)
    if _is(exc_type, "aiogram", "TelegramAPIError"):
        return _QUOTED.sub('"…"', message)  # Telegram may quote what was sent
    if _is(exc_type, "sqlalchemy", "SQLAlchemyError") or issubclass(exc_type, _sqlite_error()):
        return message.split("\n", 1)[0].strip()  # the driver's words; SQL, parameters cut
    if issubclass(exc_type, OSError) or _is(exc_type, "aiohttp", "ClientError"):
        return message
    if exc_type.__module__.split(".")[0] in ("bot", "db"):
        return message  # ours: they name ids, files and settings only
    return HIDDEN


def _sqlite_error() -> type[BaseException]:
    import sqlite3

    return sqlite3.Error


def describe(exc: BaseException) -> str:
    """``Type: safe message`` for one exception."""
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    text = safe_message(kind, str(exc))
    return f"{name}: {text}" if text else name


def format_exception_safely(
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> str:
    """A traceback as Python prints it (the chain, the frames, the source lines), with each
    exception's message reduced to `safe_message` and no notes, no locals."""
    if exc_type is None or exc is None:
        return ""
    te = traceback.TracebackException(exc_type, exc, tb, capture_locals=False, compact=True)
    _scrub(te, set())
    return "".join(te.format()).rstrip("\n")


def _scrub(te: traceback.TracebackException, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    exc_type = te.exc_type or Exception
    # TracebackException keeps the message in `_str` (CPython 3.11-3.13): the one place the
    # message reaches the output. SyntaxError's source text is dropped as well.
    te._str = safe_message(exc_type, te._str)  # type: ignore[attr-defined]
    te.__notes__ = None
    if issubclass(exc_type, SyntaxError):
        te.text = None
    for linked in (te.__cause__, te.__context__):
        if linked is not None:
            _scrub(linked, seen)
    for sub in te.exceptions or ():
        _scrub(sub, seen)


class SafeFormatter(logging.Formatter):
    """The one formatter: aware ISO 8601 timestamps, exceptions by type, no token."""

    def __init__(self, tz: tzinfo, secrets: Iterable[str] = (), fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.tz = tz
        self.secrets = tuple(s for s in secrets if s)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """More values never to show (a school's token and webhook secret, added later)."""
        self.secrets = (*self.secrets, *(s for s in secrets if s and s not in self.secrets))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self.tz)
        return moment.isoformat(timespec="milliseconds")

    def formatException(self, ei: Any) -> str:
        return format_exception_safely(*ei)

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers (pytest's capture, say) keep the record as it was.
        safe = logging.makeLogRecord(record.__dict__)
        safe.exc_text = None
        # An exception as an argument: its safe message (the line names the type already,
        # as aiogram's "Failed to fetch updates - %s: %s" does).
        if isinstance(safe.args, tuple):
            safe.args = tuple(_argument(a) for a in safe.args)
        elif isinstance(safe.args, dict):
            safe.args = {k: _argument(v) for k, v in safe.args.items()}
        if isinstance(safe.msg, BaseException):
            safe.msg = describe(safe.msg)
        school = SCHOOL.get()
        if school:
            safe.msg = f"[{school}] {safe.msg}"
        return redact(super().format(safe), self.secrets)


def _argument(value: object) -> object:
    if isinstance(value, BaseException):
        return safe_message(type(value), str(value)) or type(value).__name__
    return value


class LibraryFloor(logging.Filter):
    """Drops records below WARNING from `LIBRARY_FLOOR` loggers (except `allowed` prefixes),
    whatever level a logger was given: the floor holds even if a library lowers its own."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        super().__init__()
        self.allowed = tuple(allowed)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        name = record.name
        if self.allowed and _under(name, self.allowed):
            return True
        return not _under(name, LIBRARY_FLOOR)


def _under(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


class KenesHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler `configure_logging` installs (told apart from a host's, e.g. pytest's)."""


def add_secrets(secrets: Iterable[str]) -> None:
    """Hide these values in every line of the process's handler from now on."""
    values = list(secrets)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, KenesHandler) and isinstance(handler.formatter, SafeFormatter):
            handler.formatter.add_secrets(values)


def configured() -> bool:
    """True if the root logger has no handler yet, or only ours: safe to (re)configure."""
    handlers = logging.getLogger().handlers
    return all(isinstance(h, KenesHandler) for h in handlers)


def configure_logging(
    level: str | int,
    tz: tzinfo,
    *,
    secrets: Iterable[str] = (),
    dev_log_sql: bool = False,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Set up the root logger for the process (replacing any handler it had). Returns the
    handler. With `dev_log_sql`, SQL statements and their parameters are logged at INFO."""
    handler = KenesHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(tz, secrets))
    handler.addFilter(LibraryFloor(SQL_LOGGERS if dev_log_sql else ()))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in LIBRARY_FLOOR:
        logging.getLogger(name).setLevel(logging.WARNING)
    if dev_log_sql:
        for name in SQL_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
    if root.getEffectiveLevel() > logging.DEBUG:
        for name in NOISY:
            logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler
