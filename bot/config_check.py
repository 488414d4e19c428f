"""Every setting checked before the bot touches the network: one line per problem.

`check_settings()` reads the settings (environment and ``.env``, as `Settings` does) and returns
a `Checked`: the settings (a bad value replaced by its default, so the other checks still run),
the plan and calendar it loaded, and a `Problem` per bad setting. Each problem is one line in
Kazakh and Russian that names the setting, says what is wrong with the value and shows a good
one::

    QUIET_START_HOUR=25 — 0-ден 23-ке дейінгі бүтін сан (сағат) болуы керек / нужно целое число
    от 0 до 23 (час). Мысалы / например: QUIET_START_HOUR=21

(printed as a single line). What is checked: the type and range of every value (pydantic), then
what a value must mean: a time zone that exists, a log level, a language, the shape of the bot
token, an http(s) address, the database's folder can be written, the plan and calendar files
exist and load (their own error names the file, the place and the problem), the backup and
attachment folders can be written, the backup key is a key. Names in ``.env`` that look like a
misspelt setting (``ADMIN_ID``) are reported too: pydantic would silently ignore them.

Nothing here touches the network; `check_settings` writes nothing (a folder is probed by
creating and removing a temporary file in it, or in its nearest existing parent). Secrets are
never shown: the token appears as ``123456789:***``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError

from bot.config import CALENDAR_DIR, Settings, attachments_folder, backup_folder

if TYPE_CHECKING:
    from bot.core.calendar import SchoolCalendar
    from bot.core.plan import Plan

TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,60}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LANGUAGES = ("kk", "ru")
BACKUP_KEY_BYTES = 32

# A good value of each setting, shown in every problem line.
EXAMPLES: dict[str, str] = {
    "bot_token": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
    "telegram_api_url": "https://api.telegram.org",
    "admin_ids": "123456789,987654321",
    "database_url": "sqlite+aiosqlite:///data/kenes.db",
    "plan_path": "seed/plan.json",
    "calendar_path": "seed/calendar/2026-2027.json",
    "timezone": "Asia/Aqtobe",
    "default_language": "kk",
    "log_level": "INFO",
    "outbox_rate_per_s": "28",
    "quiet_start_hour": "21",
    "quiet_end_hour": "8",
    "backup_dir": "data/backups",
    "backup_keep": "14",
    "backup_key": "(python -m bot backup-key)",
    "attachments_dir": "data/attachments",
    "attachment_max_mb": "10",
    "retention_years": "3",
    "dev_log_sql": "0",
    "plans_dir": "data/plans",
    "school_name": "№ 12 мектеп-гимназия",
    "director_name": "Сейітова А.Б.",
    "templates_dir": "data/templates",
    "outbox_lease_ttl_s": "6",
    "run_mode": "polling",
    "webhook_url": "https://kenes.example.kz",
    "webhook_path": "/telegram",
    "webhook_secret": "(python -m bot webhook-secret)",
    "webhook_host": "0.0.0.0",
    "webhook_port": "8080",
    "webhook_replicas": "1",
    "schools_file": "schools.toml",
    "database_schema": "school_12",
}
SECRETS = ("bot_token", "backup_key", "webhook_secret")


def env_name(field_name: str) -> str:
    return field_name.upper()


def example_line(field_name: str) -> str:
    return f"{env_name(field_name)}={EXAMPLES[field_name]}"


def mask_token(token: str) -> str:
    """``123456789:***``: the bot's id is public, the rest is the secret."""
    bot_id, colon, _ = token.partition(":")
    if colon and bot_id.isdigit():
        return f"{bot_id}:***"
    return f"<{len(token)} characters hidden>" if token else ""


def mask_database_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def _shown(name: str, value: object) -> str:
    """A value as it may be printed: secrets masked, one line."""
    if value is None:
        return ""
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    text = value if isinstance(value, str) else str(value)
    if name == "bot_token":
        return mask_token(text)
    if name in SECRETS:
        return f"<{len(text)} characters hidden>" if text else ""
    if name == "database_url":
        text = mask_database_url(text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Problem:
    """One bad setting: which, its value as written (masked), what is wrong, a good value."""

    setting: str  # "TIMEZONE"
    shown: str  # the value ("" when empty)
    key: str  # text key in bot.texts: "cfg_rule_timezone", "cfg_file_missing", ...
    example: str  # a good line for .env: "TIMEZONE=Asia/Aqtobe"
    detail: str = ""  # e.g. the plan's own error: file, place, problem
    values: Mapping[str, object] = field(default_factory=dict)
    school: str = ""  # the school of SCHOOLS_FILE it is about (bot/serve/schools.py)

    def line(self) -> str:
        from bot.texts import t

        kk, ru = t("kk", self.key, **self.values), t("ru", self.key, **self.values)
        if self.shown:
            value = f"{self.setting}={self.shown}"
        elif self.setting.isupper():
            value = f"{self.setting} (бос / пусто)"
        else:  # a file, not a setting
            value = self.setting
        detail = f": {' '.join(self.detail.split())}" if self.detail else ""
        where = f"{self.school}: " if self.school else ""
        return f"{where}{value} — {kk} / {ru}{detail}. Мысалы / например: {self.example}"


@dataclass
class Checked:
    """The outcome of `check_settings`."""

    settings: Settings
    problems: list[Problem]
    plan: Plan | None = None
    calendar: SchoolCalendar | None = None
    calendar_path: Path | None = None
    # SCHOOLS_FILE's schools by name, each checked like a single school (bot/serve/schools.py)
    schools: dict[str, Checked] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [p.line() for p in self.problems]


def _problem(name: str, value: object, key: str | None = None, **extra: Any) -> Problem:
    return Problem(
        setting=env_name(name),
        shown=_shown(name, value),
        key=key or f"cfg_rule_{name}",
        example=example_line(name),
        **extra,
    )


def check_settings(
    env_file: str | Path | None = ".env",
    *,
    need_token: bool = True,
    today: date | None = None,
    load_files: bool = True,
    values: Mapping[str, Any] | None = None,
    school: str | None = None,
) -> Checked:
    """Read and check every setting (see the module notes). `need_token`: an empty BOT_TOKEN is
    a problem (for `run`; not for the tools that need no Telegram). `today` picks the calendar
    when CALENDAR_PATH is empty (default: today in TIMEZONE). `load_files`: load the plan and
    the calendar (and report their problems).

    With SCHOOLS_FILE set, the environment's settings are the server's (RUN_MODE, WEBHOOK_*,
    LOG_LEVEL...) and every school of the file is checked on its own (`values`: its table
    over the environment; `school`: its name, in each of its problem lines), into
    `Checked.schools`: see `bot.serve.schools`."""
    from bot.serve.checks import PROCESS_SETTINGS, SERVE_CHECKS

    values = dict(values or {})
    problems: list[Problem] = []
    bad: set[str] = set()
    try:
        settings = Settings(_env_file=env_file, **values)  # type: ignore[call-arg]
    except UnicodeDecodeError:
        # Saved by an editor in another encoding: nothing in it can be trusted.
        unreadable = Problem(
            setting=str(env_file),
            shown="",
            key="cfg_env_not_utf8",
            example="BOT_TOKEN=… (UTF-8)",
        )
        return Checked(Settings(_env_file=None), [unreadable])  # type: ignore[call-arg]
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            if name in Settings.model_fields and name not in bad:
                bad.add(name)
                problems.append(_problem(name, error.get("input")))
        defaults = {
            name: Settings.model_fields[name].get_default(call_default_factory=True)
            for name in bad
        }
        settings = Settings(_env_file=env_file, **{**values, **defaults})  # type: ignore[call-arg]
    # Many schools when the file is there (without it, the settings are checked as one
    # school's: more to tell than the missing file alone).
    many = (
        school is None
        and not os.environ.get("KENES_SCHOOL")  # `--school NAME`: that school's settings
        and settings.schools_file is not None
        and "schools_file" not in bad
        and settings.schools_file.expanduser().is_file()
    )

    def in_scope(name: str) -> bool:
        """A school's own settings for a school, the server's for the server of many."""
        if school is not None:
            return name not in PROCESS_SETTINGS
        return name in PROCESS_SETTINGS or not many

    problems[:] = [p for p in problems if in_scope(p.setting.lower())]
    if school is None:
        problems += _unknown_names(env_file)
    checked = Checked(settings, problems)
    for check in (*_CHECKS, *SERVE_CHECKS):
        name = check.__name__.removeprefix("_check_")
        if name in bad or not in_scope(name):
            continue
        found = check(settings, need_token=need_token, bad=bad)
        if found is not None:
            bad.add(name)
            problems.append(found)
    if load_files and not many:
        _load_files(checked, bad, today)
    order = {env_name(n): i for i, n in enumerate(Settings.model_fields)}
    problems.sort(key=lambda p: order.get(p.setting, len(order)))
    if school:
        problems[:] = [replace(p, school=school) for p in problems]
    if many:
        from bot.serve.schools import check_schools

        check_schools(checked, env_file, today=today, need_token=need_token, load_files=load_files)
    return checked


# --- one check per setting (named _check_<field>; None: fine) ----------------------------------


def _check_bot_token(settings: Settings, *, need_token: bool, **_: Any) -> Problem | None:
    if settings.bot_token is None:
        return _problem("bot_token", None, "cfg_required") if need_token else None
    token = settings.bot_token.get_secret_value()
    return None if TOKEN_RE.fullmatch(token) else _problem("bot_token", token)


def _check_telegram_api_url(settings: Settings, **_: Any) -> Problem | None:
    url = settings.telegram_api_url
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc and url == url.strip():
        return None
    return _problem("telegram_api_url", url)


def _check_admin_ids(settings: Settings, **_: Any) -> Problem | None:
    if all(i > 0 for i in settings.admin_ids):
        return None
    return _problem("admin_ids", ",".join(str(i) for i in settings.admin_ids))


def _check_database_url(settings: Settings, **_: Any) -> Problem | None:
    from sqlalchemy.engine import make_url

    try:
        url = make_url(settings.database_url)
    except (ArgumentError, ValueError):
        return _problem("database_url", settings.database_url)
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        return _problem("database_url", settings.database_url)
    if backend != "sqlite":
        return None  # a server: reachable or not is for the start to find out
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    path = Path(url.database).expanduser()
    if path.exists() and (path.is_dir() or not os.access(path, os.W_OK)):
        return _problem(
            "database_url", settings.database_url, "cfg_not_writable", detail=str(path)
        )
    folder = _unwritable(path.parent)
    if folder is not None:
        return _problem(
            "database_url", settings.database_url, "cfg_not_writable", detail=str(folder)
        )
    return None


def _check_timezone(settings: Settings, **_: Any) -> Problem | None:
    return (
        None if _zone(settings.timezone) is not None else _problem("timezone", settings.timezone)
    )


def _check_default_language(settings: Settings, **_: Any) -> Problem | None:
    if settings.default_language in LANGUAGES:
        return None
    return _problem("default_language", settings.default_language)


def _check_log_level(settings: Settings, **_: Any) -> Problem | None:
    if settings.log_level.strip().upper() in LOG_LEVELS:
        return None
    return _problem("log_level", settings.log_level)


def _check_backup_dir(settings: Settings, *, bad: set[str], **_: Any) -> Problem | None:
    return _folder_problem("backup_dir", settings, backup_folder, bad)


def _check_backup_key(settings: Settings, **_: Any) -> Problem | None:
    if settings.backup_key is None:
        return None
    key = settings.backup_key.get_secret_value()
    return None if decode_backup_key(key) is not None else _problem("backup_key", key)


def _check_attachments_dir(settings: Settings, *, bad: set[str], **_: Any) -> Problem | None:
    return _folder_problem("attachments_dir", settings, attachments_folder, bad)


def _folder_problem(
    name: str, settings: Settings, where: Callable[[Settings], Path], bad: set[str]
) -> Problem | None:
    """The folder of setting `name` (or its default, in the database's folder) can be written;
    a default in a refused database folder is that setting's problem, not this one's."""
    if getattr(settings, name) is None and "database_url" in bad:
        return None
    try:
        folder = where(settings).expanduser()
    except (ArgumentError, ValueError):
        return None  # the database URL's own problem
    refused = _unwritable(folder)
    if refused is None:
        return None
    return _problem(
        name, getattr(settings, name) or folder, "cfg_not_writable", detail=str(refused)
    )


def _check_plans_dir(settings: Settings, *, bad: set[str], **_: Any) -> Problem | None:
    return _folder_problem("plans_dir", settings, lambda s: s.plans_dir, bad)


NAME_MAX = 200  # a school's or a director's name as printed on the papers


def _one_line_name(name: str, value: str | None) -> Problem | None:
    if value is None or (len(value) <= NAME_MAX and "\n" not in value and value.strip()):
        return None
    return _problem(name, value)


def _check_school_name(settings: Settings, **_: Any) -> Problem | None:
    return _one_line_name("school_name", settings.school_name)


def _check_director_name(settings: Settings, **_: Any) -> Problem | None:
    return _one_line_name("director_name", settings.director_name)


def _check_templates_dir(settings: Settings, **_: Any) -> Problem | None:
    folder = settings.templates_dir
    if folder is None or folder.expanduser().is_dir():
        return None
    return _problem("templates_dir", folder, detail=str(folder.expanduser().absolute()))


_CHECKS = (
    _check_bot_token,
    _check_telegram_api_url,
    _check_admin_ids,
    _check_database_url,
    _check_timezone,
    _check_default_language,
    _check_log_level,
    _check_backup_dir,
    _check_backup_key,
    _check_attachments_dir,
    _check_plans_dir,
    _check_school_name,
    _check_director_name,
    _check_templates_dir,
)


def _load_files(checked: Checked, bad: set[str], today: date | None) -> None:
    from bot.config import DEFAULT_PLAN
    from bot.core.calendar import CalendarError, find_calendar, load_calendar
    from bot.core.plan import PlanError, load_plan
    from bot.plan_import.store import PlanStoreError, plan_path_in_use

    settings = checked.settings
    if "plan_path" not in bad:
        path = settings.plan_path.expanduser()
        try:  # the newest imported plan (PLANS_DIR), unless PLAN_PATH names another file
            path = plan_path_in_use(path, DEFAULT_PLAN, settings.plans_dir.expanduser())
        except PlanStoreError as exc:
            checked.problems.append(
                _problem("plans_dir", settings.plans_dir, "cfg_file_bad", detail=str(exc))
            )
            return
        if not path.is_file():
            checked.problems.append(
                _problem("plan_path", settings.plan_path, "cfg_file_missing", detail=_abs(path))
            )
        else:
            try:
                checked.plan = load_plan(path)
            except PlanError as exc:
                checked.problems.append(
                    _problem("plan_path", settings.plan_path, "cfg_file_bad", detail=exc.line())
                )
    if "calendar_path" in bad:
        return
    if settings.calendar_path is None:
        zone = _zone(settings.timezone) or ZoneInfo("Asia/Aqtobe")
        day = today or datetime.now(zone).date()
        try:
            found = find_calendar(CALENDAR_DIR, day)
        except CalendarError:
            checked.problems.append(
                _problem("calendar_path", None, "cfg_no_calendar", detail=f"{CALENDAR_DIR}, {day}")
            )
            return
    else:
        found = settings.calendar_path.expanduser()
        if not found.is_file():
            checked.problems.append(
                _problem(
                    "calendar_path", settings.calendar_path, "cfg_file_missing", detail=_abs(found)
                )
            )
            return
    try:
        checked.calendar = load_calendar(found)
        checked.calendar_path = found
        if checked.plan is not None:  # «2023-2024» in the plan's texts reads as this year
            from bot.core.yearroll import roll_years

            checked.plan, _rolled = roll_years(checked.plan, checked.calendar.year)
    except CalendarError as exc:
        checked.problems.append(
            _problem(
                "calendar_path", settings.calendar_path or found, "cfg_file_bad", detail=str(exc)
            )
        )


def _unknown_names(env_file: str | Path | None) -> list[Problem]:
    """Names in the .env file that look like a misspelt setting (pydantic ignores them)."""
    if env_file is None or not Path(env_file).is_file():
        return []
    from dotenv import dotenv_values

    known = [env_name(n) for n in Settings.model_fields]
    problems = []
    for name in dotenv_values(env_file):
        upper = name.upper()
        if upper in known:
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
        if close:
            field_name = close[0].lower()
            problems.append(
                Problem(
                    setting=name,
                    shown="…",
                    key="cfg_unknown_setting",
                    example=example_line(field_name),
                    values={"name": close[0]},
                )
            )
    return problems


# --- helpers ------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip()) if name.strip() else None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _abs(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path)


def _unwritable(folder: Path) -> Path | None:
    """None if files can be made in `folder` (or, if it does not exist yet, in its nearest
    existing parent, where it would be made); else the folder that refuses."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return folder
        probe = probe.parent
    if not probe.is_dir():
        return probe
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".kenes-probe-"):
            pass
    except OSError:
        return probe
    return None


def decode_backup_key(text: str) -> bytes | None:
    """The 32 bytes of a BACKUP_KEY (URL-safe base64, as `new_backup_key` writes), or None."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    return raw if len(raw) == BACKUP_KEY_BYTES else None


def new_backup_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(BACKUP_KEY_BYTES)).decode("ascii")


def effective(checked: Checked) -> list[tuple[str, str]]:
    """(NAME, value) of every setting as the bot will use it, secrets masked."""
    rows = []
    for name in Settings.model_fields:
        value = getattr(checked.settings, name)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = int(value)
        rows.append((env_name(name), _shown(name, value)))
    return rows


def print_problems(problems: Iterable[Problem]) -> None:
    """Each problem on its own line on stderr."""
    import sys

    for problem in problems:
        print(problem.line(), file=sys.stderr)


def settings_for_tool() -> Settings | None:
    """The settings for a command-line tool (no token needed, plan and calendar not loaded), or
    None after printing the problems: the tools refuse a broken `.env` the same way `run` does."""
    checked = check_settings(need_token=False, load_files=False)
    if checked.ok:
        return checked.settings
    print_problems(checked.problems)
    return None
