"""Many schools in one process: ``SCHOOLS_FILE``, a TOML file listing them.

    [defaults]                       # for every school (optional)
    admin_ids = [123456789]

    [schools.school-12]              # a short name: a-z, 0-9, - (webhook path, log lines)
    bot_token = "123456789:AA…"
    database_url = "postgresql+asyncpg://kenes:…@db/kenes"
    database_schema = "school_12"
    data_dir = "data/school-12"      # attachments, imported plans, backups (default data/NAME)

A school's settings are its table, over ``[defaults]``, over its data folder (``data_dir``: an
SQLite database ``kenes.db``, ``attachments/``, ``backups/`` and ``plans/`` in it), over the
environment (``.env``); names are the settings of ``.env``, in either case. The server's own
settings (`bot.serve.checks.PROCESS_SETTINGS`: RUN_MODE, WEBHOOK_*, LOG_LEVEL...) come from the
environment only. Each school is checked as a single school is (`check_settings(values=...,
school=name)`), its problem lines beginning with its name; no two schools may share a bot
token, a database (or a schema of one), or a folder of attachments, backups or plans.

The file is read at start and again on SIGHUP (`bot.serve.host`): schools added start,
schools removed stop, schools whose settings or files changed restart; the others go on.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import DATA_DIR, Settings, attachments_folder, backup_folder

if TYPE_CHECKING:
    from datetime import date

    from bot.config_check import Checked, Problem

__all__ = [
    "NAME_RE",
    "SELECTED",
    "SchoolsFileError",
    "check_schools",
    "read_schools_file",
    "school_environment",
    "school_folder",
    "school_values",
]

# Set by ``python -m bot --school NAME``: the environment holds that school's settings, and
# the checks treat them as one school's (`bot.cli.serve.select_school`).
SELECTED = "KENES_SCHOOL"

NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
DATA_DIR_KEY = "data_dir"


class SchoolsFileError(Exception):
    """The file cannot be read as a list of schools (the message names the place)."""


def read_schools_file(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``([defaults], {name: table})`` of the file, keys lower-cased."""
    try:
        with path.expanduser().open("rb") as file:
            data = tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise SchoolsFileError(str(exc)) from None
    except OSError as exc:
        raise SchoolsFileError(exc.strerror or type(exc).__name__) from None
    defaults = data.get("defaults", {})
    schools = data.get("schools", {})
    if not isinstance(defaults, dict):
        raise SchoolsFileError("[defaults] must be a table")
    if not isinstance(schools, dict) or not all(isinstance(t, dict) for t in schools.values()):
        raise SchoolsFileError("each school must be a table: [schools.NAME]")
    extra = sorted(set(data) - {"defaults", "schools"})
    if extra:
        raise SchoolsFileError(f"unknown tables: {', '.join(extra)} (use [schools.NAME])")
    return _lower(defaults), {str(n): _lower(t) for n, t in schools.items()}


def school_folder(name: str, table: dict[str, Any]) -> Path:
    """The school's data folder: its ``data_dir``, or ``data/NAME``."""
    return Path(str(table.get(DATA_DIR_KEY) or DATA_DIR / name)).expanduser()


def check_schools(
    checked: Checked,
    env_file: str | Path | None,
    *,
    today: date | None,
    need_token: bool,
    load_files: bool,
) -> None:
    """Read SCHOOLS_FILE and check each school into `checked.schools` (its problems into
    `checked.problems`)."""
    from bot.config_check import _problem, check_settings

    path = checked.settings.schools_file
    assert path is not None
    try:
        defaults, tables = read_schools_file(path)
    except SchoolsFileError as exc:
        checked.problems.append(_problem("schools_file", path, "cfg_file_bad", detail=str(exc)))
        return
    if not tables:
        checked.problems.append(_problem("schools_file", path, "cfg_no_schools"))
        return
    problems = [*_unknown_keys("[defaults]", defaults)]
    for name, table in tables.items():
        if NAME_RE.fullmatch(name) is None:
            problems.append(_bad_name(name))
            continue
        problems += _unknown_keys(name, table)
        values = school_values(name, defaults, table)
        school = check_settings(
            env_file,
            need_token=need_token,
            today=today,
            load_files=load_files,
            values=values,
            school=name,
        )
        problems += school.problems
        checked.schools[name] = school
    problems += _shared(checked.schools)
    checked.problems += problems


def school_values(name: str, defaults: dict[str, Any], table: dict[str, Any]) -> dict[str, Any]:
    """The settings a school's table gives (over [defaults], over its data folder's)."""
    values = {**_folder_defaults(name, {**defaults, **table}), **defaults, **table}
    return {k: v for k, v in values.items() if k in Settings.model_fields}


def school_environment(name: str, env_file: str | Path | None = ".env") -> dict[str, str] | str:
    """One school's settings as environment variables (for a tool run with ``--school``),
    or one line saying why not."""
    import json

    from pydantic import SecretStr

    from bot.config_check import check_settings

    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.schools_file is not None
    try:
        defaults, tables = read_schools_file(settings.schools_file)
    except SchoolsFileError as exc:
        return f"SCHOOLS_FILE={settings.schools_file}: {exc}"
    if name not in tables:
        return f"no school {name!r} in {settings.schools_file} ({', '.join(tables) or 'none'})"
    checked = check_settings(
        env_file,
        need_token=False,
        load_files=False,
        values=school_values(name, defaults, tables[name]),
        school=name,
    )
    if checked.problems:
        return "\n".join(checked.lines())
    env = {SELECTED: name}
    for field, value in checked.settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            text = "1" if value else "0"
        elif isinstance(value, list):
            text = json.dumps(value)
        else:
            text = str(value)
        env[field.upper()] = text
    return env


def describe_schools(checked: Checked) -> list[str]:
    """One line per school for `check-config`: token (masked), database, plan, calendar."""
    from bot.config_check import mask_database_url, mask_token

    lines = []
    for name, school in checked.schools.items():
        settings = school.settings
        token = mask_token(settings.bot_token.get_secret_value()) if settings.bot_token else "-"
        database = mask_database_url(settings.database_url)
        if settings.database_schema:
            database += f" (schema {settings.database_schema})"
        plan = f"{sum(1 for _ in school.plan.items())} items" if school.plan else "plan: see below"
        year = school.calendar.year if school.calendar else "calendar: see below"
        lines.append(f"  {name}: {token}, {database}, {plan}, {year}")
    return lines


def _lower(table: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in table.items()}


def _folder_defaults(name: str, table: dict[str, Any]) -> dict[str, Any]:
    folder = school_folder(name, table)
    return {
        "database_url": f"sqlite+aiosqlite:///{folder / 'kenes.db'}",
        "attachments_dir": folder / "attachments",
        "backup_dir": folder / "backups",
        "plans_dir": folder / "plans",
    }


def _unknown_keys(school: str, table: dict[str, Any]) -> list[Problem]:
    from bot.config_check import Problem, env_name, example_line
    from bot.serve.checks import PROCESS_SETTINGS

    known = [*Settings.model_fields, DATA_DIR_KEY]
    problems = []
    for key in table:
        if key in PROCESS_SETTINGS:
            problems.append(
                Problem(
                    setting=env_name(key),
                    shown="…",
                    key="cfg_process_setting",
                    example=f".env: {example_line(key)}",
                    school=school,
                )
            )
        elif key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
            guess = close[0] if close else DATA_DIR_KEY
            example = (
                f'{DATA_DIR_KEY} = "data/school-12"'
                if guess == DATA_DIR_KEY
                else example_line(guess)
            )
            problems.append(
                Problem(
                    setting=key,
                    shown="…",
                    key="cfg_unknown_setting" if close else "cfg_unknown_school_setting",
                    example=example,
                    values={"name": guess},
                    school=school,
                )
            )
    return problems


def _bad_name(name: str) -> Problem:
    from bot.config_check import Problem

    shown = " ".join(name.split())[:60]
    return Problem(
        setting=f"[schools.{shown}]",
        shown="",
        key="cfg_school_name",
        example="[schools.school-12]",
    )


def _shared(schools: dict[str, Checked]) -> list[Problem]:
    """No two schools with one token, one database (or schema), one folder of files."""
    from bot.config_check import _problem

    keys: dict[str, Callable[[Settings], object]] = {
        "bot_token": lambda s: s.bot_token.get_secret_value() if s.bot_token else None,
        "database_url": _database_of,
        "attachments_dir": lambda s: _resolved(attachments_folder(s)),
        "backup_dir": lambda s: _resolved(backup_folder(s)),
        "plans_dir": lambda s: _resolved(s.plans_dir),
    }
    problems = []
    for setting, key_of in keys.items():
        seen: dict[object, str] = {}
        for name, school in schools.items():
            if any(p.setting == setting.upper() for p in school.problems):
                continue
            key = key_of(school.settings)
            if key is None:
                continue
            if key in seen:
                problems.append(
                    _problem(
                        setting,
                        getattr(school.settings, setting),
                        "cfg_shared",
                        values={"other": seen[key]},
                        school=name,
                    )
                )
            else:
                seen[key] = name
    return problems


def _database_of(settings: Settings) -> object:
    from bot.config import sqlite_path
    from db.engine import async_url

    file = sqlite_path(settings.database_url)
    if file is not None:
        return ("sqlite", _resolved(file))
    url = async_url(settings.database_url).set(password=None)
    return (url.render_as_string(hide_password=True).lower(), settings.database_schema or "")


def _resolved(path: Path) -> str:
    try:
        return str(path.expanduser().resolve())
    except OSError:
        return str(path)
