"""fakegram: a strict fake Telegram Bot API server for testing aiogram bots end to end.

    async with FakeTelegram() as fake:
        bot = fake.make_bot()
        alice = fake.user(first_name="Alice")
        async with fake.polling(dp, bot):
            await alice.command("start")
            reply = await alice.next_message()

See ``fakegram.pytest_plugin`` for the ``fakegram`` fixture.
"""

from .chats import (
    CallbackAnswer,
    CallbackQuery,
    Chat,
    FakeGroup,
    FakeMessage,
    FakeUser,
    StoredFile,
)
from .faults import FaultInjector, RateLimits
from .formatting import HtmlParseError, parse_html
from .server import DEFAULT_TOKEN, BotState, Call, FakeTelegram, Violation, format_violations
from .spec import ApiError, load_spec

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotState",
    "Call",
    "CallbackAnswer",
    "CallbackQuery",
    "Chat",
    "FakeGroup",
    "FakeMessage",
    "FakeTelegram",
    "FakeUser",
    "FaultInjector",
    "HtmlParseError",
    "RateLimits",
    "StoredFile",
    "Violation",
    "format_violations",
    "load_spec",
    "parse_html",
]
