"""The serving settings checked like the others: webhook mode needs its address and secret, a
schema needs PostgreSQL, and SCHOOLS_FILE's schools are each checked as one school is, their
problem lines beginning with the school's name; no two schools share a token, a database or a
folder. (The table of good and bad values of every setting is tests/test_config_check.py.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config_check import check_settings
from tests.process import SETTING_NAMES

TODAY = date(2026, 11, 24)
TOKEN_A = "7000000101:AAH-school-a-token_0123456789abcdef"
TOKEN_B = "7000000102:AAH-school-b-token_0123456789abcdef"
SECRET = "Zx_4417-abcdefghijklmnop"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # data/NAME folders are relative to the working directory


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_webhook_mode_needs_its_address_and_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, BOT_TOKEN=TOKEN_A, RUN_MODE="webhook")
    lines = check_settings(None, today=TODAY).lines()
    assert [line.split(" ", 1)[0] for line in lines] == ["WEBHOOK_URL", "WEBHOOK_SECRET"]
    assert all("бос / пусто" in line for line in lines)
    _env(monkeypatch, WEBHOOK_URL="https://kenes.example.kz", WEBHOOK_SECRET=SECRET)
    assert check_settings(None, today=TODAY).lines() == []
    _env(monkeypatch, WEBHOOK_REPLICAS="3")  # several receivers: only behind a webhook
    assert check_settings(None, today=TODAY).lines() == []
    _env(monkeypatch, WEBHOOK_SECRET="x" * 20 + "!")
    (line,) = check_settings(None, today=TODAY).lines()
    assert line.startswith("WEBHOOK_SECRET=<21 characters hidden> — ")  # never shown


def test_a_schema_is_for_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, BOT_TOKEN=TOKEN_A, DATABASE_SCHEMA="school_12")
    (line,) = check_settings(None, today=TODAY).lines()
    assert line.startswith("DATABASE_SCHEMA=school_12 — ") and "PostgreSQL" in line
    _env(monkeypatch, DATABASE_URL="postgresql+asyncpg://kenes:pw@db.example.kz/kenes")
    assert check_settings(None, today=TODAY).lines() == []


def _schools(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schools.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_schools_each_with_its_own_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _schools(
        tmp_path,
        f"""
[defaults]
admin_ids = [4242]

[schools.school-12]
bot_token = "{TOKEN_A}"
school_name = "№ 12 мектеп-гимназия"

[schools.lyceum-3]
BOT_TOKEN = "{TOKEN_B}"
default_language = "ru"
data_dir = "{tmp_path / "elsewhere"}"
""",
    )
    _env(monkeypatch, SCHOOLS_FILE=str(path), TIMEZONE="Asia/Almaty", BOT_TOKEN="")
    checked = check_settings(None, today=TODAY)
    assert checked.lines() == []
    a, b = checked.schools["school-12"], checked.schools["lyceum-3"]
    assert a.settings.bot_token is not None and b.settings.bot_token is not None
    assert (a.settings.bot_token.get_secret_value(), b.settings.bot_token.get_secret_value()) == (
        TOKEN_A,
        TOKEN_B,
    )
    assert a.settings.admin_ids == b.settings.admin_ids == [4242]  # [defaults]
    assert a.settings.timezone == b.settings.timezone == "Asia/Almaty"  # the environment
    assert a.settings.database_url == "sqlite+aiosqlite:///data/school-12/kenes.db"
    assert a.settings.plans_dir == Path("data/school-12/plans")
    assert a.settings.attachments_dir == Path("data/school-12/attachments")
    assert b.settings.backup_dir == tmp_path / "elsewhere" / "backups"
    assert (a.settings.default_language, b.settings.default_language) == ("kk", "ru")
    assert a.plan is not None and b.plan is not None and a.plan is not b.plan
    assert a.calendar is not None and b.calendar is not None


def test_each_problem_names_its_school(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = _schools(
        tmp_path,
        f"""
[schools.school-12]
bot_token = "{TOKEN_A}"
admin_id = [1]
run_mode = "webhook"

[schools.lyceum-3]
bot_token = "{TOKEN_A}"
timezone = "Asia/Aktobe"
database_url = "sqlite+aiosqlite:///data/school-12/kenes.db"

[schools."Школа 5"]
bot_token = "{TOKEN_B}"
""",
    )
    _env(monkeypatch, SCHOOLS_FILE=str(path))
    lines = check_settings(None, today=TODAY).lines()
    assert len(lines) == 6, "\n".join(lines)
    by_start = {line.split(" — ")[0]: line for line in lines}
    assert "ADMIN_IDS" in by_start["school-12: admin_id=…"]
    assert ".env: RUN_MODE=" in by_start["school-12: RUN_MODE=…"]
    assert "school-12" in by_start["lyceum-3: BOT_TOKEN=7000000101:***"]  # shared with
    assert (
        "school-12"
        in by_start["lyceum-3: DATABASE_URL=sqlite+aiosqlite:///data/school-12/kenes.db"]
    )
    assert "lyceum-3: TIMEZONE=Asia/Aktobe" in by_start
    assert "[schools.Школа 5]" in by_start
    assert all(TOKEN_A.split(":")[1] not in line for line in lines)


def test_a_schools_file_without_schools_or_unreadable_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _env(monkeypatch, SCHOOLS_FILE=str(_schools(tmp_path, "[defaults]\ntimezone = 'UTC'\n")))
    (line,) = check_settings(None, today=TODAY).lines()
    assert line.startswith("SCHOOLS_FILE=") and "[schools." in line
    _env(monkeypatch, SCHOOLS_FILE=str(_schools(tmp_path, "[schools.a]\nx = \n")))
    (line,) = check_settings(None, today=TODAY).lines()
    assert line.startswith("SCHOOLS_FILE=") and "line 2" in line


def test_tools_work_on_the_school_named_with_school(tmp_path: Path) -> None:
    """`python -m bot --school NAME invite …` writes into that school's database only; without
    --school a tool refuses with one line; check-config lists the schools."""
    from tests.process import run_bot

    path = _schools(
        tmp_path,
        f'[schools.school-12]\nbot_token = "{TOKEN_A}"\n\n'
        f'[schools.lyceum-3]\nbot_token = "{TOKEN_B}"\n',
    )
    env = {"SCHOOLS_FILE": str(path)}
    invite = ["invite", "--person", "amangeldi-sm", "--bot-username", "kenes_lyceum_bot"]
    refused = run_bot(*invite, cwd=tmp_path, **env)
    assert refused.code == 2 and refused.stdout == ""
    (line,) = refused.stderr.splitlines()
    assert "--school NAME invite" in line
    unknown = run_bot("--school", "nope", *invite, cwd=tmp_path, **env)
    assert unknown.code == 1 and "no school 'nope'" in unknown.stderr
    done = run_bot("--school", "lyceum-3", *invite, cwd=tmp_path, **env)
    assert done.code == 0, done.output
    assert "https://t.me/kenes_lyceum_bot?start=i_" in done.stdout
    assert (tmp_path / "data" / "lyceum-3" / "kenes.db").is_file()
    assert not (tmp_path / "data" / "school-12").exists()
    config = run_bot("check-config", cwd=tmp_path, **env)
    assert config.code == 0, config.output
    assert "Schools:     2 in" in config.stdout
    assert (
        "  lyceum-3: 7000000102:***, sqlite+aiosqlite:///data/lyceum-3/kenes.db" in config.stdout
    )
    assert TOKEN_B.split(":")[1] not in config.stdout


def test_the_example_schools_file_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import PROJECT_ROOT

    _env(monkeypatch, SCHOOLS_FILE=str(PROJECT_ROOT / "schools.example.toml"))
    checked = check_settings(None, today=TODAY)
    assert checked.lines() == []
    assert list(checked.schools) == ["school-12", "lyceum-3"]
    assert checked.schools["lyceum-3"].settings.admin_ids == [123456789, 555000111]


def test_many_schools_handle_fewer_updates_at_once_than_their_small_pool() -> None:
    """A school with a pool of 2 (+2 when busy) handles 3 updates at a time, so a burst waits
    its turn instead of the pool's timeout; one school keeps the dispatcher's default."""
    from bot.middlewares import UPDATES_AT_ONCE
    from bot.serve.host import POOL_PER_SCHOOL
    from bot.serve.school import Options

    at_once = Options(pool_size=POOL_PER_SCHOOL).updates_at_once()
    assert at_once is not None and at_once < 2 * POOL_PER_SCHOOL
    assert Options().updates_at_once() is None
    assert at_once < UPDATES_AT_ONCE
