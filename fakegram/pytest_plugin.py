r"""pytest plugin: the ``fakegram`` fixture (a running :class:`FakeTelegram`).

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

Texts the bot must never show (internal keys, ids, placeholders): override the
``fakegram_forbidden_texts`` fixture (a list of regular expressions; none by default) in a
``conftest.py``; at teardown every text the bot sent in the test (messages, captions, edits,
callback answers, button labels: `FakeTelegram.bot_texts`) is scanned, and a match fails the
test that sent it. A deliberate case is allowed per test::

    @pytest.mark.fakegram_text_allow(r"council-\d")   # regexes, matched against the match
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from .server import FakeTelegram, format_violations

if TYPE_CHECKING:
    from aiogram import Bot

__all__ = ["fakegram", "fakegram_bot"]

_URL = re.compile(r"https?://\S+|tg://\S+")
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
    config.addinivalue_line(
        "markers",
        "fakegram_text_allow(*patterns): forbidden-text matches this test sends on purpose",
    )


@pytest.fixture
def fakegram_forbidden_texts() -> Sequence[str]:
    """Regexes no text the bot sends may match (override in a conftest.py)."""
    return ()


def forbidden_text_problems(
    texts: Sequence[tuple[str, str]], forbidden: Sequence[str], allowed: Sequence[str] = ()
) -> list[str]:
    """One line per forbidden match: the method, the match and the text around it."""
    patterns = [re.compile(p) for p in forbidden]
    allow = [re.compile(p) for p in allowed]
    out: list[str] = []
    for method, text in texts:
        plain = _URL.sub("<url>", text)
        for pattern in patterns:
            for found in pattern.finditer(plain):
                if any(a.search(found.group(0)) for a in allow):
                    continue
                start = max(0, found.start() - 40)
                context = plain[start : found.end() + 40].replace("\n", " ")
                out.append(f"{method}: {found.group(0)!r} in …{context}…")
    return out


@pytest_asyncio.fixture
async def fakegram(
    request: pytest.FixtureRequest, fakegram_forbidden_texts: Sequence[str]
) -> AsyncIterator[FakeTelegram]:
    """A started :class:`FakeTelegram`; unexpected violations and forbidden texts fail the
    test at teardown."""
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
    allowed = [p for m in request.node.iter_markers("fakegram_text_allow") for p in m.args]
    shown = forbidden_text_problems(fake.bot_texts(), fakegram_forbidden_texts, allowed)
    if shown:
        pytest.fail(
            "fakegram: the bot showed texts it must not (keys, ids, placeholders):\n  "
            + "\n  ".join(shown),
            pytrace=False,
        )


@pytest_asyncio.fixture
async def fakegram_bot(fakegram: FakeTelegram) -> AsyncIterator[Bot]:
    """An aiogram ``Bot`` for the default token, wired to the ``fakegram`` server."""
    bot = fakegram.make_bot()
    try:
        yield bot
    finally:
        await bot.session.close()
