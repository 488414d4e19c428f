"""Telegram's one message a second per chat, outside the outbox: the session middleware
(`bot.retry_after`) waits `retry_after` and sends again, bounded. The fake server's flood
limits run on a hand-set clock that the injected sleep moves: nothing waits for real."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramRetryAfter

from bot.clock import ManualClock
from bot.config import Settings
from bot.factory import create_bot
from bot.retry_after import RetryAfterMiddleware, outbox_sending
from fakegram import FakeTelegram
from tests.harness import kenes_app


class FloodClock:
    """The fake server's flood clock; `sleep` moves it instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def middleware_of(bot: object) -> RetryAfterMiddleware:
    found = [m for m in bot.session.middleware if isinstance(m, RetryAfterMiddleware)]  # type: ignore[attr-defined]
    assert len(found) == 1, "create_bot installs exactly one retry middleware"
    return found[0]


async def test_quick_commands_all_answered_after_waiting_retry_after(
    fakegram: FakeTelegram, db_url: str, clock: ManualClock
) -> None:
    flood = FloodClock()
    fakegram.rate_limits.configure(enabled=True, clock=flood, per_chat_burst=1)
    async with kenes_app(fakegram, db_url, clock, retry_sleep=flood.sleep) as kenes:
        teacher = await kenes.join("amangeldi-sm", "Сания")  # the chat's one token is used
        for _ in range(3):  # a busy teacher taps /help three times in a second
            await teacher.command("/help")
        answers = [await teacher.next_message() for _ in range(3)]
        assert all(a.text.startswith("Kenes") for a in answers)
        sent = [c for c in fakegram.calls if c.method == "sendMessage" and c.status == 200]
        refused = [c for c in fakegram.calls if c.method == "sendMessage" and c.status == 429]
        assert len(sent) == 4  # the welcome and each /help answer once: none lost, none twice
        # Each answer met the limit, waited retry_after and went through. The three updates are
        # handled at once: when two answers are refused in the same second, both wait, and the
        # later one meets the limit once more (how they interleave is the event loop's choice).
        assert 3 <= len(refused) <= 5
        assert flood.slept == [1.0] * len(refused)
        assert middleware_of(kenes.bot).waits == [1.0] * len(refused)
        await teacher.no_message()


async def test_retrying_is_bounded_then_the_429_reaches_the_caller(
    fakegram: FakeTelegram,
) -> None:
    stuck = FloodClock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the clock does not move: always refused
        slept.append(seconds)

    fakegram.rate_limits.configure(enabled=True, clock=stuck, per_chat_burst=1)
    user = fakegram.user(first_name="Asel", started=True)
    settings = Settings(_env_file=None, bot_token=fakegram.token)  # type: ignore[call-arg]
    bot = create_bot(settings, session=fakegram.make_bot().session, retry_sleep=sleep)
    try:
        await bot.send_message(user.id, "one")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(user.id, "two")
        assert slept == [1.0, 1.0, 1.0]  # three retries, then the error
        # The outbox paces itself: inside `outbox_sending` a 429 is not waited on here.
        with pytest.raises(TelegramRetryAfter), outbox_sending():
            await bot.send_message(user.id, "three")
        assert slept == [1.0, 1.0, 1.0]
    finally:
        await bot.session.close()
    assert [m.text for m in user.chat.bot_messages] == ["one"]
