"""pytest plugin: the ``fakegram`` fixture (a running :class:`FakeTelegram`).

Register it in ``tests/conftest.py``::

    pytest_plugins = ["fakegram.pytest_plugin"]

The fixture fails the test at teardown when the bot made requests Telegram would have
refused (bad requests, unknown methods, 409 conflicts, ...) that the test did not declare::

    fake.allow("message is not modified")              # anywhere in the test
    with fake.expect_violation("BUTTON_DATA_INVALID"):  # must happen inside the block
        ...

    @pytest.mark.fakegram_allow("chat not found")
    @pytest.mark.fakegram(rate_limits="strict", privacy_mode=False)
    async def test_x(fakegram, fakegram_bot): ...

``rate_limits`` may be ``False`` (default), ``True`` (429s are answered) or ``"strict"``
(429s are answered *and* recorded as violations).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from .server import FakeTelegram, format_violations

if TYPE_CHECKING:
    from aiogram import Bot

__all__ = ["fakegram", "fakegram_bot"]

_SERVER_OPTIONS = {"token", "bot_username", "bot_name", "privacy_mode", "clock", "seed"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fakegram(**options): FakeTelegram options (token, bot_username, bot_name, "
        "privacy_mode, clock, seed) and rate_limits=False|True|'strict'",
    )
    config.addinivalue_line(
        "markers",
        "fakegram_allow(*patterns): Bot API errors this test expects (substrings or regexes)",
    )


@pytest_asyncio.fixture
async def fakegram(request: pytest.FixtureRequest) -> AsyncIterator[FakeTelegram]:
    """A started :class:`FakeTelegram`; unexpected violations fail the test at teardown."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("fakegram"))):
        options.update(marker.kwargs)
    rate_limits = options.pop("rate_limits", False)
    unknown = set(options) - _SERVER_OPTIONS
    if unknown:
        raise pytest.UsageError(f"unknown @pytest.mark.fakegram options: {sorted(unknown)}")
    fake = FakeTelegram(**options)
    if rate_limits:
        fake.rate_limits.configure(enabled=True, strict=rate_limits == "strict")
    for marker in request.node.iter_markers("fakegram_allow"):
        for pattern in marker.args:
            fake.allow(pattern)
    async with fake:
        yield fake
    unexpected = fake.unexpected_violations()
    if unexpected:
        pytest.fail(format_violations(unexpected, fake.transcript()), pytrace=False)


@pytest_asyncio.fixture
async def fakegram_bot(fakegram: FakeTelegram) -> AsyncIterator[Bot]:
    """An aiogram ``Bot`` for the default token, wired to the ``fakegram`` server."""
    bot = fakegram.make_bot()
    try:
        yield bot
    finally:
        await bot.session.close()
