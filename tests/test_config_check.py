"""Every setting checked at start: a table of good and bad values for each, in-process over the
validator and, batched, through the real entry points (`python -m bot run`, `check-config`).

A bad value gives one line naming the setting (in Kazakh and Russian, with a good example),
exit status 1 and no traceback; several bad values are all listed. `.env.example` lists exactly
the settings there are.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.config import CALENDAR_DIR, DEFAULT_PLAN, PROJECT_ROOT, Settings
from bot.config_check import Checked, check_settings, env_name, new_backup_key
from fakegram import FakeTelegram
from tests.process import SETTING_NAMES, run_bot, run_bot_async

TOKEN = "987654321:AAF-config-test-secret_0123456789ab"
TODAY = date(2026, 11, 24)


def _files(tmp: Path) -> dict[str, str]:
    """Placeholders of the table: a plain file (no folder can be made under it), broken plan
    and calendar files."""
    a_file = tmp / "a-file"
    a_file.write_text("not a folder")
    plan = json.loads(DEFAULT_PLAN.read_text(encoding="utf-8"))
    plan["sections"][0]["items"][1]["timing"] = 42
    bad_plan = tmp / "bad-plan.json"
    bad_plan.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    broken_plan = tmp / "broken-plan.json"
    broken_plan.write_text('{"title": "x",\n  "school": }', encoding="utf-8")
    calendar = json.loads((CALENDAR_DIR / "2026-2027.json").read_text(encoding="utf-8"))
    calendar["first_day"] = "2026-13-01"
    bad_calendar = tmp / "bad-calendar.json"
    bad_calendar.write_text(json.dumps(calendar), encoding="utf-8")
    bad_schools = tmp / "bad-schools.toml"
    bad_schools.write_text('[schools.a]\nbot_token = "unterminated\n', encoding="utf-8")
    return {
        "tmp": str(tmp),
        "file": str(a_file),
        "bad_plan": str(bad_plan),
        "broken_plan": str(broken_plan),
        "bad_calendar": str(bad_calendar),
        "bad_schools": str(bad_schools),
    }


GOOD: dict[str, list[str]] = {
    "BOT_TOKEN": [TOKEN, "7000000001:AAE_abcdefghijklmnopqrstuvwxyz-012345"],
    "TELEGRAM_API_URL": ["https://api.telegram.org", "http://127.0.0.1:8081"],
    "ADMIN_IDS": ["1001", "1001,1002", "1001 1002", " 1001 , 1002 ", "[1001, 1002]", ""],
    "DATABASE_URL": [
        "sqlite+aiosqlite:///{tmp}/data/kenes.db",
        "postgresql+asyncpg://kenes:secret@db.example.kz/kenes",
    ],
    "PLAN_PATH": [str(DEFAULT_PLAN)],
    "CALENDAR_PATH": ["", str(CALENDAR_DIR / "2026-2027.json")],
    "TIMEZONE": ["Asia/Aqtobe", "Asia/Almaty", "UTC"],
    "DEFAULT_LANGUAGE": ["kk", "ru"],
    "LOG_LEVEL": ["INFO", "debug", "WARNING"],
    "OUTBOX_RATE_PER_S": ["28", "0.5", "30"],
    "QUIET_START_HOUR": ["0", "21", "23"],
    "QUIET_END_HOUR": ["8", "0"],
    "BACKUP_DIR": ["", "{tmp}/backups"],
    "BACKUP_KEEP": ["1", "14"],
    "BACKUP_KEY": ["", new_backup_key()],
    "ATTACHMENTS_DIR": ["", "{tmp}/attachments"],
    "ATTACHMENT_MAX_MB": ["0.5", "10", "20"],
    "RETENTION_YEARS": ["1", "3", "25"],
    "DEV_LOG_SQL": ["0", "1", "false"],
    "PLANS_DIR": ["{tmp}/plans"],
    "SCHOOL_NAME": ["", "№ 12 мектеп-гимназия"],
    "DIRECTOR_NAME": ["", "Сейітова А.Б."],
    "TEMPLATES_DIR": ["", "{tmp}"],
    "OUTBOX_LEASE_TTL_S": ["6", "1", "300"],
    "RUN_MODE": ["polling", "Polling"],  # webhook: with its URL and secret (test_serve_config)
    "WEBHOOK_URL": ["", "https://kenes.example.kz", "https://bot.school12.kz:8443/kenes"],
    "WEBHOOK_PATH": ["/telegram", "/kenes/tg", "/tg_hook-1"],
    "WEBHOOK_SECRET": ["", "Zx_4417-abcdefghijklmnop", "a" * 256],
    "WEBHOOK_HOST": ["127.0.0.1", "0.0.0.0", "::", "kenes.internal"],
    "WEBHOOK_PORT": ["8080", "1", "65535"],
    "WEBHOOK_REPLICAS": ["1"],  # more: with RUN_MODE=webhook (test_serve_config)
    "SCHOOLS_FILE": [""],  # a file: test_serve_config
    "DATABASE_SCHEMA": [""],  # a schema: on PostgreSQL (test_serve_config)
}
BAD: dict[str, list[str]] = {
    "BOT_TOKEN": [
        "abc",
        f"bot{TOKEN}",
        TOKEN.replace(":", " "),
        f"https://api.telegram.org/bot{TOKEN}",
    ],
    "TELEGRAM_API_URL": ["api.telegram.org", "ftp://api.telegram.org"],
    "ADMIN_IDS": ["abc", "1001,x", "-5", "(1001)"],
    "DATABASE_URL": [
        "not a url",
        "mysql://kenes@localhost/kenes",
        "sqlite+aiosqlite:///{file}/kenes.db",  # a folder that cannot be made
    ],
    "PLAN_PATH": ["{tmp}/missing.json", "{bad_plan}", "{broken_plan}"],
    "CALENDAR_PATH": ["{tmp}/missing.json", "{bad_calendar}"],
    "TIMEZONE": ["Asia/Aktobe", "UTC+5", "+05:00"],
    "DEFAULT_LANGUAGE": ["en", "KZ"],
    "LOG_LEVEL": ["LOUD", "10"],
    "OUTBOX_RATE_PER_S": ["0", "-1", "31", "fast"],
    "QUIET_START_HOUR": ["25", "-1", "9pm"],
    "QUIET_END_HOUR": ["24"],
    "BACKUP_DIR": ["{file}/backups"],
    "BACKUP_KEEP": ["0", "x"],
    "BACKUP_KEY": ["short", "x" * 44],
    "ATTACHMENTS_DIR": ["{file}/attachments"],
    "ATTACHMENT_MAX_MB": ["0", "21", "big"],
    "RETENTION_YEARS": ["0", "26", "x"],
    "DEV_LOG_SQL": ["maybe"],
    "PLANS_DIR": ["{file}/plans"],
    "SCHOOL_NAME": ["x" * 201],
    "DIRECTOR_NAME": ["y" * 201],
    "TEMPLATES_DIR": ["{tmp}/no-such-folder", "{file}"],
    "OUTBOX_LEASE_TTL_S": ["0", "301", "soon"],
    "RUN_MODE": ["hook", "both"],
    "WEBHOOK_URL": [
        "http://kenes.example.kz",
        "https://kenes.example.kz:8080",
        "kenes.example.kz",
        "https://kenes.example.kz/?token=1",
    ],
    "WEBHOOK_PATH": ["telegram", "/", "/healthz", "/a b", "/a//b"],
    "WEBHOOK_SECRET": ["short", "x" * 257, "with spaces in the secret", "ünïcödé-secret-1234"],
    "WEBHOOK_HOST": ["http://0.0.0.0", "0.0.0.0:8080", "a host"],
    "WEBHOOK_PORT": ["70000", "0", "http"],
    "WEBHOOK_REPLICAS": ["0", "65", "2"],  # 2 with polling: Telegram allows one poller
    "SCHOOLS_FILE": ["{tmp}/missing.toml", "{bad_schools}"],
    "DATABASE_SCHEMA": ["Bad Schema", "pg_catalog", "school_12"],  # on SQLite: none
}


def test_the_table_covers_every_setting() -> None:
    assert set(GOOD) == set(BAD) == SETTING_NAMES


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


def _cases(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in table.items() for value in values]


def _check_one(name: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Checked:
    """The validator with good settings everywhere but `name` = `value`."""
    _clear(monkeypatch)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/kenes.db")
    monkeypatch.setenv(name, value.format(**_files(tmp_path)))
    return check_settings(None, today=TODAY)


@pytest.mark.parametrize(("name", "value"), _cases(GOOD))
def test_a_good_value_passes(
    name: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _check_one(name, value, tmp_path, monkeypatch).lines() == []


@pytest.mark.parametrize(("name", "value"), _cases(BAD))
def test_a_bad_value_is_one_line_naming_the_setting(
    name: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = _check_one(name, value, tmp_path, monkeypatch)
    assert [p.setting for p in checked.problems] == [name]
    (line,) = checked.lines()
    assert "\n" not in line and line.startswith(name)
    assert "Мысалы / например: " + name + "=" in line
    assert TOKEN.split(":")[1] not in line  # a token is never shown


def test_admin_ids_as_people_write_them() -> None:
    for text in ("1001", "1001,1002", "1001 1002", " 1001 , 1002 ", "[1001, 1002]"):
        ids = Settings(_env_file=None, admin_ids=text).admin_ids  # type: ignore[call-arg]
        assert ids == ([1001] if text == "1001" else [1001, 1002])


def test_a_broken_plan_or_calendar_names_the_file_the_place_and_the_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files(tmp_path)
    _clear(monkeypatch)
    monkeypatch.setenv("PLAN_PATH", files["bad_plan"])
    monkeypatch.setenv("CALENDAR_PATH", files["bad_calendar"])
    plan_line, calendar_line = check_settings(None, need_token=False).lines()
    assert files["bad_plan"] in plan_line and "sections[0].items[1].timing" in plan_line
    assert files["bad_calendar"] in calendar_line and "first_day" in calendar_line
    assert "month value is outside expected range" in calendar_line
    monkeypatch.setenv("PLAN_PATH", files["broken_plan"])
    (line,) = check_settings(None, need_token=False).lines()[:1]
    assert files["broken_plan"] in line and "line 2, column 13" in line


def test_a_misspelt_name_in_env_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear(monkeypatch)
    env = tmp_path / ".env"
    env.write_text(f"BOT_TOKEN={TOKEN}\nADMIN_ID=1001\nPOSTGRES_PASSWORD=x\n", encoding="utf-8")
    (line,) = check_settings(env, today=TODAY).lines()
    assert line.startswith("ADMIN_ID=") and "ADMIN_IDS" in line and "1001" not in line


def test_an_env_file_in_another_encoding_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear(monkeypatch)
    env = tmp_path / ".env"
    env.write_bytes("# Мектеп боты\nBOT_TOKEN=x\n".encode("cp1251"))  # Notepad's "ANSI"
    (line,) = check_settings(env, today=TODAY).lines()
    assert line.startswith(f"{env} — ") and "UTF-8" in line


def test_env_example_lists_exactly_the_settings_and_passes_once_the_token_is_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    names = [
        line.split("=", 1)[0]
        for line in example.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert sorted(names) == sorted(SETTING_NAMES)
    assert len(names) == len(set(names))
    _clear(monkeypatch)
    monkeypatch.chdir(PROJECT_ROOT)  # relative paths in the example are the project's
    env = tmp_path / ".env"
    env.write_text(example.replace("BOT_TOKEN=\n", f"BOT_TOKEN={TOKEN}\n"), encoding="utf-8")
    assert check_settings(env, today=TODAY).lines() == []
    assert {p.setting for p in check_settings(PROJECT_ROOT / ".env.example").problems} == {
        "BOT_TOKEN"
    }


# --- through the real entry points (each process start costs about a second: few of them) ----


def _all_bad(tmp: Path) -> dict[str, str]:
    files = _files(tmp)
    return {name: values[0].format(**files) for name, values in BAD.items()}


def test_run_with_every_setting_bad_lists_them_all_one_line_each(tmp_path: Path) -> None:
    done = run_bot("run", cwd=tmp_path, **_all_bad(tmp_path))
    assert done.code == 1, done.output
    assert "Traceback" not in done.output
    lines = done.stderr.splitlines()
    assert sorted(line.split("=", 1)[0].split(" ", 1)[0] for line in lines) == sorted(BAD)
    assert done.stdout == ""


def test_check_config_with_every_setting_bad_shows_the_config_and_every_problem(
    tmp_path: Path,
) -> None:
    done = run_bot("check-config", cwd=tmp_path, **_all_bad(tmp_path))
    assert done.code == 1 and "Traceback" not in done.output
    n = len(BAD)
    problems = done.stdout.split(f"{n} problems / {n} қате / проблем: {n}\n", 1)[1].splitlines()
    assert sorted(line.split("=", 1)[0] for line in problems) == sorted(BAD)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QUIET_START_HOUR", "25"),
        ("DATABASE_URL", "sqlite+aiosqlite:///{file}/kenes.db"),
        ("ADMIN_IDS", "1001,x"),
    ],
)
def test_run_with_one_bad_setting_prints_one_line(name: str, value: str, tmp_path: Path) -> None:
    settings = {"BOT_TOKEN": TOKEN, name: value.format(**_files(tmp_path))}
    done = run_bot("run", cwd=tmp_path, **settings)
    assert done.code == 1 and "Traceback" not in done.output
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{name}=") and "Мысалы / например" in line


def test_check_config_all_good_says_ok_with_the_token_masked(tmp_path: Path) -> None:
    db = tmp_path / "school" / "kenes.db"
    done = run_bot(
        "check-config",
        cwd=tmp_path,
        BOT_TOKEN=TOKEN,
        ADMIN_IDS="1001 1002",
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        CALENDAR_PATH=str(CALENDAR_DIR / "2026-2027.json"),
    )
    assert done.code == 0, done.output
    out = done.stdout
    assert out.rstrip().endswith("OK")
    assert "BOT_TOKEN=987654321:***" in out and TOKEN.split(":")[1] not in out
    assert "ADMIN_IDS=1001,1002" in out
    assert f"Database:    {db}" in out and f"Attachments: {db.parent / 'attachments'}" in out
    assert "Plan:        " in out and "school year 2026-2027" in out
    assert not db.parent.exists()  # checking wrote nothing


def test_a_tool_refuses_a_broken_env_the_same_way(tmp_path: Path) -> None:
    done = run_bot("invite", "--person", "x", cwd=tmp_path, ADMIN_IDS="1001,x")
    assert done.code == 1 and "Traceback" not in done.output
    (line,) = done.stderr.splitlines()
    assert line.startswith("ADMIN_IDS=1001,x")


@pytest.mark.fakegram_allow("Unauthorized")
async def test_a_token_telegram_refuses_is_one_line_too(
    fakegram: FakeTelegram, tmp_path: Path
) -> None:
    done = await run_bot_async(
        "run",
        cwd=tmp_path,
        BOT_TOKEN=TOKEN,  # well-formed, but not a bot the (fake) Telegram knows: 401
        TELEGRAM_API_URL=fakegram.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/kenes.db",
        CALENDAR_PATH=str(CALENDAR_DIR / "2026-2027.json"),
    )
    assert done.code == 1 and "Traceback" not in done.output
    rejected = [line for line in done.stderr.splitlines() if line.startswith("BOT_TOKEN=")]
    assert (
        rejected == [line for line in done.stderr.splitlines() if "BOT_TOKEN" in line]
        and len(rejected) == 1
    )
    assert "987654321:***" in rejected[0] and "@BotFather" in rejected[0]
    assert not (tmp_path / "kenes.db").exists()  # refused before the database was touched
    assert TOKEN not in done.output


def test_every_setting_has_an_env_name() -> None:
    assert {env_name(n) for n in Settings.model_fields} == SETTING_NAMES
