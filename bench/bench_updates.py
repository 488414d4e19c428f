"""Updates handled per second: Kenes versus a bare aiogram echo bot. Not a test: it prints numbers.

    .venv/bin/python bench/bench_updates.py [--updates N] [--users N] [--rounds R] [--profile]

One `FakeTelegram` on 127.0.0.1 (rate limits off) serves three bots in the same event loop:

* **raw**: no aiogram, an aiohttp client doing getUpdates and one sendMessage per update (as
  tasks, 100 connections like aiogram's session): what the fake server and the HTTP stack can do
  at all in this process, the physical ceiling for the other two;
* **echo**: a bare aiogram `Dispatcher` with one handler answering the text (`message.answer`),
  with Kenes' `Bot` defaults (HTML parse mode);
* **kenes**: the production dispatcher from `create_dispatcher` (outer middlewares: a database
  session per update, the front door looking up the account; the real routers; the dialogue
  state in the database, `bot.fsm_storage.DbStorage`)
  with a migrated SQLite database holding `--users` joined staff accounts, and the bot from
  `create_bot` (HTML parse mode). The reminder scheduler is off: this measures update handling;
* **kenes/wh**: the same production dispatcher by webhook instead of polling (RUN_MODE=webhook:
  bot/serve/webhook.py, each update handled before its answer), the fake server POSTing each
  update to it over loopback as Telegram does (up to 40 at once, one at a time per chat);
* **echo/wh**: the bare echo bot behind the same webhook server: the transport's own cost.

Each round sends the same N messages ("/help", round-robin from `--users` users of each bot)
and measures from enqueueing the first update to the last reply received by the fake server.
Every bot gets one unmeasured warm-up message per user first. The median of `--rounds` rounds
is reported, with Kenes / echo (target ≥ 0.8) and each against the raw ceiling.
`--echo-reply help` makes the echo bot answer with Kenes' /help text, so both send the same
bytes (a control for the reply size). `--profile` runs one more Kenes round under cProfile and
prints where the time goes (the fake server shares the process, so its own cost shows too;
cProfile's cumulative column is unreliable for coroutines, read `tottime`).

Findings (see the commit message): Kenes pays, per update, three thread-pool hops for the
routers' ``F.chat.type == "private"`` filters (aiogram runs a MagicFilter's sync ``resolve`` via
``asyncio.to_thread``) and about six aiosqlite thread hops for the front door's account lookup.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Dispatcher, Router
from aiogram.types import Message
from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import CALENDAR_DIR, DEFAULT_PLAN, Settings
from bot.core.calendar import find_calendar, load_calendar
from bot.core.plan import load_plan
from bot.factory import create_bot, create_dispatcher
from db.engine import create_engine, create_session_pool, upgrade_database
from db.models import Account, Language, Person
from fakegram import FakeTelegram, FakeUser

TZ = ZoneInfo("Asia/Aqtobe")
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=TZ)  # a Tuesday of the school year
KENES_TOKEN = "111111:KENES-BENCH"
ECHO_TOKEN = "222222:ECHO-BENCH"
RAW_TOKEN = "333333:RAW-BENCH"
ECHO_SAME_TOKEN = "444444:ECHO-SAME-BENCH"
KENES_WH_TOKEN = "555555:KENES-WEBHOOK-BENCH"
ECHO_WH_TOKEN = "666666:ECHO-WEBHOOK-BENCH"
TEXT = "/help"
WAIT_S = 120.0


@dataclass
class Round:
    name: str
    updates: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


class Contestant:
    """A bot on the fake server with its users; `replies()` counts what it has sent them."""

    def __init__(self, fake: FakeTelegram, name: str, token: str, users: int) -> None:
        self.fake = fake
        self.name = name
        self.token = token
        fake.add_bot(token, username=f"{name}_bench_bot")
        self.users: list[FakeUser] = [
            fake.user(first_name=f"{name.title()}{i}", bot=token) for i in range(users)
        ]
        self._chats = [u.chat for u in self.users]

    def replies(self) -> int:
        return sum(len(chat.bot_messages) for chat in self._chats)

    async def round(self, n: int) -> Round:
        target = self.replies() + n
        started = time.perf_counter()
        for i in range(n):
            await self.users[i % len(self.users)].send(TEXT)
        await self.fake.wait_until(lambda: self.replies() >= target, WAIT_S)
        return Round(self.name, n, time.perf_counter() - started)


def kenes_help_text() -> str:
    """What Kenes answers a teacher's /help, to send the same bytes from the echo bot."""
    from bot.commands import commands_for
    from bot.texts import t

    lines = [t("kk", "help_head")]
    lines += [f"/{c.command} — {c.description}" for c in commands_for("kk", ["teacher"])]
    return "\n".join(lines)


def echo_dispatcher(reply: str | None = None) -> Dispatcher:
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(reply or message.text or "?")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def raw_poller(fake: FakeTelegram, token: str, stop: asyncio.Event) -> None:
    """getUpdates + one sendMessage task per update, straight over aiohttp: no aiogram."""
    base = f"{fake.base_url}/bot{token}/"
    offset = 0
    tasks: set[asyncio.Task[None]] = set()
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def send(update: dict[str, Any]) -> None:
            message = update["message"]
            body = {"chat_id": message["chat"]["id"], "text": message["text"]}
            async with http.post(base + "sendMessage", json=body) as response:
                assert (await response.json())["ok"]

        while not stop.is_set():
            body = {"offset": offset, "timeout": 1, "limit": 100}
            async with http.post(base + "getUpdates", json=body) as response:
                updates = (await response.json())["result"]
            for update in updates:
                offset = update["update_id"] + 1
                task = asyncio.create_task(send(update))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)


async def add_staff(pool: Any, users: list[FakeUser], first: int = 0) -> None:
    async with pool() as session:
        for i, user in enumerate(users, start=first):
            person = Person(key=f"bench-{i}", name=f"Мұғалім {i}", roles=["teacher"])
            session.add(person)
            await session.flush()
            assert person.id is not None
            session.add(
                Account(
                    person_id=person.id,
                    telegram_user_id=user.id,
                    chat_id=user.id,
                    language=Language.KK,
                    joined_at=NOW,
                )
            )
        await session.commit()


async def run(args: argparse.Namespace) -> int:
    from tests.webhooks import webhook_running, webhook_server

    rounds: dict[str, list[Round]] = {
        "raw": [],
        "echo": [],
        "echo=": [],
        "kenes": [],
        "echo/wh": [],
        "kenes/wh": [],
    }
    with tempfile.TemporaryDirectory(prefix="kenes-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'kenes.db'}"
        await asyncio.to_thread(upgrade_database, url)
        engine = create_engine(url)
        async with FakeTelegram() as fake:
            raw = Contestant(fake, "raw", RAW_TOKEN, args.users)
            echo = Contestant(fake, "echo", ECHO_TOKEN, args.users)
            # The same echo bot answering with Kenes' /help text: the same reply bytes, so the
            # fake server (in this process) parses the same HTML for both.
            echo_same = Contestant(fake, "echo=", ECHO_SAME_TOKEN, args.users)
            kenes = Contestant(fake, "kenes", KENES_TOKEN, args.users)
            kenes_wh = Contestant(fake, "kenes/wh", KENES_WH_TOKEN, args.users)
            echo_wh = Contestant(fake, "echo/wh", ECHO_WH_TOKEN, args.users)
            pool = create_session_pool(engine)
            await add_staff(pool, kenes.users)
            await add_staff(pool, kenes_wh.users, first=len(kenes.users))
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                bot_token=KENES_TOKEN,
                telegram_api_url=fake.base_url,
                admin_ids=[],
                database_url=url,
                plan_path=DEFAULT_PLAN,
            )
            kenes_dp = create_dispatcher(
                settings=settings,
                session_pool=pool,
                plan=load_plan(DEFAULT_PLAN),
                calendar=load_calendar(find_calendar(CALENDAR_DIR, NOW.date())),
                clock=ManualClock(NOW),
                scheduler_enabled=False,
                outbox_enabled=False,
            )
            kenes_bot = create_bot(settings)
            wh_settings = settings.model_copy(update={"bot_token": SecretStr(KENES_WH_TOKEN)})
            kenes_wh_dp = create_dispatcher(
                settings=wh_settings,
                session_pool=pool,
                plan=load_plan(DEFAULT_PLAN),
                calendar=load_calendar(find_calendar(CALENDAR_DIR, NOW.date())),
                clock=ManualClock(NOW),
                scheduler_enabled=False,
                outbox_enabled=False,
            )
            kenes_wh_bot = create_bot(wh_settings)
            echo_wh_bot = fake.make_bot(ECHO_WH_TOKEN, default=kenes_bot.default)
            # The same Bot defaults as Kenes (HTML parse mode), so both pay the server's parser.
            echo_bot = fake.make_bot(ECHO_TOKEN, default=kenes_bot.default)
            echo_same_bot = fake.make_bot(ECHO_SAME_TOKEN, default=kenes_bot.default)
            stop_raw = asyncio.Event()
            raw_task = asyncio.create_task(raw_poller(fake, RAW_TOKEN, stop_raw))
            try:
                async with (
                    fake.polling(
                        echo_dispatcher(kenes_help_text() if args.echo_reply == "help" else None),
                        echo_bot,
                    ),
                    fake.polling(echo_dispatcher(kenes_help_text()), echo_same_bot),
                    fake.polling(
                        kenes_dp,
                        kenes_bot,
                        allowed_updates=kenes_dp.resolve_used_update_types(),
                    ),
                    webhook_server(fake) as server,  # one server, a path per bot
                    webhook_running(fake, kenes_wh_dp, kenes_wh_bot, name="kenes", server=server),
                    webhook_running(
                        fake,
                        echo_dispatcher(kenes_help_text()),
                        echo_wh_bot,
                        name="echo",
                        server=server,
                    ),
                ):
                    contestants = (raw, echo, echo_same, kenes, echo_wh, kenes_wh)
                    for c in contestants:  # warm-up: one message per user, not measured
                        await c.round(len(c.users))
                    for r in range(args.rounds):
                        for c in contestants:
                            result = await c.round(args.updates)
                            rounds[c.name].append(result)
                            print(
                                f"round {r + 1}  {c.name:<6} {result.updates} updates in "
                                f"{result.seconds:6.3f} s = {result.rate:8.1f} updates/s",
                                flush=True,
                            )
                    if args.profile:
                        await profile(lambda: kenes.round(args.updates), args.profile_top)
            finally:
                stop_raw.set()
                await raw_task
                for bot in (kenes_wh_bot, echo_wh_bot):  # polling closes its own bots
                    await bot.session.close()
                await engine.dispose()
            errors = list(fake.violations)
    report(rounds, args)
    if errors:
        print(f"\nthe fake server saw {len(errors)} violations, e.g. {errors[0]}")
        return 1
    return 0


async def profile(play: Callable[[], Awaitable[Round]], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    result = await play()
    profiler.disable()
    print(f"\nprofiled kenes round: {result.rate:.1f} updates/s under cProfile")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(top)
        print(out.getvalue())


def report(rounds: dict[str, list[Round]], args: argparse.Namespace) -> None:
    median = {name: statistics.median(r.rate for r in rs) for name, rs in rounds.items()}
    print(
        f"\n{args.updates} updates from {args.users} users, median of {args.rounds} rounds "
        "(updates/s, from enqueueing to the last reply):"
    )
    for name, label in (
        ("raw", "fake server ceiling (aiohttp getUpdates + sendMessage, no aiogram)"),
        ("echo", f"bare aiogram echo bot (replies: {args.echo_reply})"),
        ("echo=", "bare aiogram echo bot replying with Kenes' /help text (same bytes)"),
        ("kenes", "Kenes (/help: middlewares, DB session, account lookup, reply)"),
    ):
        print(f"  {median[name]:8.1f}  {label}")
    same = median["kenes"] / median["echo="]
    verdict = "meets" if same >= 0.8 else "BELOW"
    print(f"\n  Kenes / echo, same reply = {same:.2f} ({verdict} the 0.8 target)")
    print(f"  Kenes / echo, its text   = {median['kenes'] / median['echo']:.2f}")
    print(f"  echo / raw               = {median['echo'] / median['raw']:.2f}")
    print(f"  Kenes / raw              = {median['kenes'] / median['raw']:.2f}")
    print(f"  {median['echo/wh']:8.1f}  bare echo bot by webhook (Kenes' /help text)")
    print(f"  {median['kenes/wh']:8.1f}  Kenes by webhook (same dispatcher, bot/serve/webhook.py)")
    print(f"\n  Kenes webhook / polling  = {median['kenes/wh'] / median['kenes']:.2f}")
    print(f"  Kenes / echo, webhook    = {median['kenes/wh'] / median['echo/wh']:.2f}")
    print(
        "\n  The fake server runs in this process: a longer reply costs its HTML parser here,"
        "\n  not Kenes. The same-reply echo bot is the like-for-like baseline for the target."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per round")
    parser.add_argument("--users", type=int, default=100, help="users per bot")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per bot (median)")
    parser.add_argument(
        "--echo-reply",
        choices=("text", "help"),
        default="text",
        help="the echo bot answers the text (default) or Kenes' /help text (same reply size)",
    )
    parser.add_argument("--profile", action="store_true", help="one more Kenes round profiled")
    parser.add_argument("--profile-top", type=int, default=30, help="rows of the profile")
    args = parser.parse_args()
    if args.updates < 1 or args.users < 1 or args.rounds < 1:
        parser.error("--updates, --users and --rounds must be at least 1")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
