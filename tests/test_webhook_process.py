"""`python -m bot run` by webhook, as a real process against the strict fake Telegram: it sets
its webhook, answers a user's /start, refuses a request with a wrong secret (401), answers
``/healthz`` (200, and `python -m bot health` says so), and on SIGTERM deletes its webhook and
exits 0. Its whole output holds no token, no secret and nothing of a refused request's body.

Then many schools (SCHOOLS_FILE): two bots in one process; SIGHUP after the file changed
stops the school removed (its webhook deleted) and starts the one added, the other answering
throughout; each school's log lines carry its name.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from fakegram import FakeTelegram
from tests.databases import backend
from tests.harness import ADMIN_ID
from tests.process import BotProcess, run_bot_async

PUBLIC = "https://kenes.example.kz"
SECRET = "process-webhook-secret_0123456789"
FORGED = "Wq-5521 forged update text"
WAIT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def started() -> AsyncIterator[list[BotProcess]]:
    processes: list[BotProcess] = []
    try:
        yield processes
    finally:
        for process in processes:
            if process.process.returncode is None:
                await process.kill()


def _webhook_env(port: int, **extra: str) -> dict[str, str]:
    return {
        "RUN_MODE": "webhook",
        "WEBHOOK_URL": PUBLIC,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        **extra,
    }


def _clean(output: str, *secrets: str) -> None:
    assert "Traceback" not in output, output
    for secret in secrets:
        assert secret not in output, secret


async def test_run_by_webhook_answers_refuses_a_wrong_secret_and_deletes_its_webhook(
    fakegram: FakeTelegram, db_url: str, tmp_path: Path, started: list[BotProcess]
) -> None:
    port = _free_port()
    fakegram.route_webhook(PUBLIC, f"http://127.0.0.1:{port}")
    env = _webhook_env(port)
    proc = await BotProcess.start(fakegram, db_url, "run", cwd=tmp_path, **env)
    started.append(proc)
    await fakegram.wait_until(
        lambda: fakegram.bot().webhook_url != "" or proc.process.returncode is not None, WAIT
    )
    assert proc.process.returncode is None, proc.output()
    (set_webhook,) = fakegram.calls_to("setWebhook")
    assert set_webhook["url"] == f"{PUBLIC}/telegram" and set_webhook["secret_token"] == SECRET

    admin = fakegram.user(id=ADMIN_ID, first_name="Admin")
    await admin.command("/start")
    assert (await admin.next_message(timeout=WAIT)).text

    local = f"http://127.0.0.1:{port}"
    forged = {"update_id": 7, "message": {"message_id": 1, "date": 1, "text": FORGED}}
    async with aiohttp.ClientSession() as http:
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong-" + SECRET}, {}):
            async with http.post(f"{local}/telegram", json=forged, headers=headers) as response:
                assert response.status == 401
        async with http.get(f"{local}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok", "schools": {"-": "ok"}}
    health = await run_bot_async("health", cwd=tmp_path, **env)
    assert health.code == 0 and health.stdout.startswith("ok"), health.output

    assert await proc.stop() == 0
    assert fakegram.bot().webhook_url == "" and fakegram.calls_to("deleteWebhook")  # at the stop
    output = proc.output()
    _clean(output, fakegram.token, fakegram.token.split(":")[1], SECRET, FORGED, "Wq-5521")
    assert "1 request(s) refused: wrong or missing secret token" in output
    health = await run_bot_async("health", cwd=tmp_path, **env)
    assert health.code == 1 and "does not answer" in health.stderr


SCHOOL_TOKENS = {
    "north": "7000000201:AAH-north-school-token_0123456789abcd",
    "south": "7000000202:AAH-south-school-token_0123456789abcd",
    "east": "7000000203:AAH-east-school-token_0123456789abcde",
}


def _schools_file(path: Path, names: list[str], pg_url: str | None) -> None:
    lines = ["[defaults]", f"admin_ids = [{ADMIN_ID}]", ""]
    for name in names:
        lines += [f"[schools.{name}]", f'bot_token = "{SCHOOL_TOKENS[name]}"']
        if pg_url is not None:
            lines += [f'database_url = "{pg_url}"', f'database_schema = "{name}"']
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


async def test_many_schools_in_one_process_and_sighup(
    fakegram: FakeTelegram, empty_db_url: str, tmp_path: Path, started: list[BotProcess]
) -> None:
    for name, token in SCHOOL_TOKENS.items():
        fakegram.add_bot(token, username=f"kenes_{name}_bot")
    port = _free_port()
    fakegram.route_webhook(PUBLIC, f"http://127.0.0.1:{port}")
    schools = tmp_path / "schools.toml"
    pg_url = empty_db_url if backend() == "postgres" else None
    _schools_file(schools, ["north", "south"], pg_url)
    env = _webhook_env(port, SCHOOLS_FILE=str(schools), BOT_TOKEN="", DATABASE_URL="")
    proc = await BotProcess.start(fakegram, "", "run", cwd=tmp_path, **env)
    started.append(proc)

    def webhook(name: str) -> str:
        return fakegram.bot(SCHOOL_TOKENS[name]).webhook_url

    await fakegram.wait_until(
        lambda: (webhook("north") and webhook("south")) or proc.process.returncode is not None,
        WAIT,
    )
    assert proc.process.returncode is None, proc.output()
    north = fakegram.user(id=ADMIN_ID, first_name="Admin", bot=SCHOOL_TOKENS["north"])
    await north.command("/help")
    assert (await north.next_message(timeout=WAIT)).text

    _schools_file(schools, ["north", "east"], pg_url)
    proc.process.send_signal(signal.SIGHUP)
    await fakegram.wait_until(lambda: webhook("east") != "" and webhook("south") == "", WAIT)
    await north.command("/help")
    assert (await north.next_message(timeout=WAIT)).text  # north went on
    east = fakegram.user(id=ADMIN_ID, first_name="Admin", bot=SCHOOL_TOKENS["east"])
    await east.command("/help")
    assert (await east.next_message(timeout=WAIT)).text
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        body = await response.json()
    assert response.status == 200 and body["schools"] == {"north": "ok", "east": "ok"}

    assert await proc.stop() == 0
    assert webhook("north") == webhook("east") == ""
    output = proc.output()
    _clean(output, *SCHOOL_TOKENS.values(), SECRET)
    assert "[north] " in output and "[east] " in output and "reload: 1 added, 1 removed" in output
    heartbeat = tmp_path / "data" / "heartbeat.json"
    assert not heartbeat.exists()  # removed at the stop: a stopped bot is not a well one
