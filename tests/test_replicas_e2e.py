"""Two replicas, one send: two real processes (`python -m bot send`) on one database; the one
sending is killed with kill -9 in the middle of a fan-out; the other takes over. Every message
arrives; a message arrives twice only if it was in flight at the kill (the documented
at-least-once window, `bot.scheduler.outbox`). On SQLite and on PostgreSQL.

A smaller fan-out than the 1,000 of `bench/bench_replicas.py` (which prints the takeover time),
with the fake server's flood limits off and a 2 s lease, so the test stays short.
"""

from __future__ import annotations

import signal

import pytest

from db.models import ReminderState
from fakegram import FakeTelegram
from tests.process import BotProcesses
from tests.replicas import fill_outbox, holder_pid, read_outbox, reminder_text

STAFF = 120
IN_FLIGHT = 8  # Outbox.max_in_flight: at most this many rows are claimed at once
WAIT_S = 90.0


@pytest.mark.timeout(240)
async def test_kill_9_of_the_sender_loses_nothing_and_repeats_only_what_was_in_flight(
    fakegram: FakeTelegram, db_url: str, bot_processes: BotProcesses
) -> None:
    users = [fakegram.user(id=9_000_000_000 + k, started=True) for k in range(STAFF)]
    await fill_outbox(db_url, users)

    def delivered() -> int:
        return sum(len(user.bot_messages) for user in users)

    replicas = [
        await bot_processes.start(
            "send",
            db_url=db_url,
            polling=False,
            name=f"replica{n}",
            OUTBOX_LEASE_TTL_S="2",
            OUTBOX_RATE_PER_S="30",
        )
        for n in (1, 2)
    ]
    await fakegram.wait_until(lambda: delivered() >= STAFF // 3, WAIT_S)
    _, lease = await read_outbox(db_url)
    assert lease is not None
    sender_pid = holder_pid(lease)
    [sender] = [r for r in replicas if r.pid == sender_pid]
    [survivor] = [r for r in replicas if r is not sender]
    assert await sender.kill() == -signal.SIGKILL
    at_kill = delivered()
    assert at_kill < STAFF, "the fan-out ended before the kill: make it longer"

    await fakegram.wait_until(lambda: all(user.bot_messages for user in users), WAIT_S)
    assert await survivor.stop() == 0  # finishes recording what it sent, releases the lease

    rows, lease = await read_outbox(db_url)
    assert lease is None
    assert delivered() > at_kill  # the survivor took over
    assert len(rows) == STAFF and {row.state for row in rows} == {ReminderState.SENT}
    by_chat = {row.chat_id: row for row in rows}
    twice = []
    for user in users:
        texts = [message.text for message in user.bot_messages]
        assert texts and set(texts) == {reminder_text(user)}  # 0 lost, none mixed up
        if len(texts) > 1:
            twice.append(by_chat[user.id])
    # Duplicates only where a row was claimed when the sender died and was resent.
    assert len(twice) <= IN_FLIGHT
    for row in twice:
        assert row.late and "interrupted while sending" in (row.last_error or "")
    for replica in replicas:
        output = replica.output()
        assert "Traceback" not in output, output
        assert 'Added job "nightly_backup"' not in output  # the receiving process backs up
