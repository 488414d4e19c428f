"""`python -m bot health` by polling (the Dockerfile's HEALTHCHECK reads the heartbeat the
running bot writes) and `python -m bot webhook-secret`, as real processes."""

from __future__ import annotations

import re
from pathlib import Path

from fakegram import FakeTelegram
from tests.process import BotProcess, fake_settings, run_bot, run_bot_async


async def test_health_by_polling_reads_the_running_bot_s_heartbeat(
    fakegram: FakeTelegram, tmp_path: Path
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'kenes.db'}"
    env = fake_settings(fakegram, db_url)
    heartbeat = tmp_path / "heartbeat.json"  # beside the database
    proc = await BotProcess.start(fakegram, db_url, "run", cwd=tmp_path)
    try:
        await proc.wait_polling()
        await fakegram.wait_until(heartbeat.exists, 30)
        health = await run_bot_async("health", cwd=tmp_path, **env)
        assert health.code == 0 and health.stdout.startswith("ok (1 school(s)"), health.output
    finally:
        assert await proc.stop() == 0
    assert not heartbeat.exists()  # a stopped bot is not a well one
    health = await run_bot_async("health", cwd=tmp_path, **env)
    assert health.code == 1 and "the bot is not running" in health.stderr, health.output
    assert fakegram.token not in proc.output() + health.output


def test_webhook_secret_prints_a_new_random_secret(tmp_path: Path) -> None:
    first, second = (run_bot("webhook-secret", cwd=tmp_path) for _ in range(2))
    for done in (first, second):
        assert done.code == 0 and done.stderr == "", done.output
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}\n", done.stdout), done.stdout
    assert first.stdout != second.stdout
