"""`python -m bot invite`: a one-time link from the command line, no Telegram needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.services import staff
from bot.services.staff import RedeemStatus
from db.engine import create_engine, create_session_pool


@pytest.fixture
def db_env(empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = empty_db_url  # the command migrates it
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    return url


async def _redeem(url: str, token: str, clock) -> RedeemStatus:
    engine = create_engine(url)
    try:
        async with create_session_pool(engine)() as session:
            result = await staff.redeem_invite(
                session,
                token,
                telegram_user_id=77,
                chat_id=77,
                username=None,
                language="kk",
                now=clock.now(),
            )
            return result.status
    finally:
        await engine.dispose()


def test_invite_a_plan_person_prints_a_working_link(db_env, capsys, clock) -> None:
    code = main(["invite", "--person", "amangeldi-sm", "--bot-username", "kenes_test_bot"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Амангелді С.М.: https://t.me/kenes_test_bot?start=i_" in out
    token = out.split("start=")[1].split()[0]
    import asyncio

    assert asyncio.run(_redeem(db_env, token, clock)) is RedeemStatus.OK


def test_invite_a_new_class_teacher(db_env, capsys) -> None:
    code = main(
        [
            "invite",
            "--name",
            "Серікова А.Б.",
            "--role",
            "class_teacher",
            "--class",
            "7ә",
            "--bot-username",
            "kenes_test_bot",
        ]
    )
    assert code == 0
    assert "Серікова А.Б.: https://t.me/kenes_test_bot?start=i_" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--person", "nobody"], "no person with key 'nobody'"),
        (["--name", "X", "--role", "teacher"], "2 to 80"),
        (["--name", "Серікова А.Б.", "--class", "12Z"], "not a class"),
        (["--person", "amangeldi-sm", "--days", "0"], "--days"),
    ],
)
def test_bad_invite_arguments_get_one_clear_line(db_env, capsys, args, message) -> None:
    code = main(["invite", *args, "--bot-username", "kenes_test_bot"])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err


def test_without_token_or_username_it_says_what_to_do(db_env, capsys) -> None:
    assert main(["invite", "--person", "amangeldi-sm"]) == 1
    assert "--bot-username" in capsys.readouterr().err
