"""One school running: its bot, its database, its dispatcher; started and stopped on its own.

A `School` owns everything of one school and shares nothing with another: the `Bot` (its
token, its HTTP session), the database engine and its pool (its own file, database or schema),
the dispatcher with its routers, its plan and calendar, its dialogue storage, its reminder
scheduler and outbox, its access cache. Stopping one leaves the others running.

`open` does what `python -m bot run` does before receiving updates: ask Telegram who the bot
is (a refused token changes nothing), migrate the database, build the production dispatcher
(`bot.factory.create_dispatcher`). Then either

* `start_polling` — aiogram's long polling (the webhook of an earlier webhook run is deleted
  first: Telegram refuses getUpdates while one is set), or
* `start_webhook` — the dispatcher's start-up (people from the plan, outbox, scheduler), the
  school's `Endpoint` on the shared `WebhookServer`, then ``setWebhook`` (its URL, secret,
  the update types the routers use, ``drop_pending_updates=False``: what came while the bot
  was down is delivered now).

`stop` takes no new update, lets those in progress finish (`UPDATE_GRACE_S`), deletes the
webhook (unless other replicas share it: they still receive), runs the dispatcher's shut-down
(scheduler, outbox) and closes the bot's session and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.config import Settings
from bot.config_check import Checked, Problem, example_line
from bot.logs import add_secrets, school_context
from bot.serve.health import database_answers

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.base import BaseSession
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.clock import Clock
    from bot.serve.webhook import Endpoint, WebhookServer

__all__ = [
    "UPDATE_GRACE_S",
    "Options",
    "School",
    "close_webhook",
    "open_webhook",
    "settings_fingerprint",
    "webhook_refused",
]

log = logging.getLogger(__name__)

UPDATE_GRACE_S = 10.0  # as bot.lifecycle: updates in progress get this long to finish


@dataclass
class Options:
    """How schools are built: production's defaults, or a test's."""

    clock: Callable[[Settings], Clock] | None = None  # default: the system clock, school's zone
    session: Callable[[Settings], BaseSession] | None = None  # default: aiohttp to Telegram
    extra: dict[str, Any] = field(default_factory=dict)  # workflow data for the dispatcher
    pool_size: int | None = None  # database connections kept per school (None: 5)
    spread_ticks: bool = False  # each school's minute tick at its own second
    replicas: int = 1  # processes receiving the same bot's updates (WEBHOOK_REPLICAS)

    def updates_at_once(self) -> int | None:
        """Updates handled at a time: with a small pool, fewer than its connections (the pool
        allows `pool_size` more when busy), leaving one for the tick and the outbox; else the
        dispatcher's default (`bot.middlewares.UPDATES_AT_ONCE`)."""
        if self.pool_size is None:
            return None
        return max(1, 2 * self.pool_size - 1)


def settings_fingerprint(settings: Settings) -> dict[str, str]:
    """The settings as comparable text, secrets included (never logged)."""
    values = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        values[name] = repr(value)
    return values


class School:
    """One school's bot, database and dispatcher (see the module notes)."""

    def __init__(self, name: str, checked: Checked, options: Options | None = None) -> None:
        assert checked.plan is not None and checked.calendar is not None
        self.name = name
        self.checked = checked
        self.settings = checked.settings
        self.options = options or Options()
        self.bot: Bot | None = None
        self.engine: AsyncEngine | None = None
        self.dp: Dispatcher | None = None
        self.state = "starting"
        self.endpoint: Endpoint | None = None
        self._server: WebhookServer | None = None
        self._polling: asyncio.Task[None] | None = None
        self._sending = False

    @property
    def label(self) -> str:
        return self.name or "-"

    def same_as(self, checked: Checked) -> bool:
        """True if `checked` (the file read again) would run this school unchanged."""
        return (
            settings_fingerprint(checked.settings) == settings_fingerprint(self.settings)
            and checked.plan == self.checked.plan
            and checked.calendar == self.checked.calendar
        )

    # --- start --------------------------------------------------------------------------------

    async def open(self) -> Problem | None:
        """Bot, database, dispatcher; a `Problem` (and nothing kept) if Telegram refuses the
        token."""
        from bot.factory import create_bot, create_dispatcher
        from bot.main import _token_rejected, _wait_for_telegram
        from db.engine import create_engine, create_session_pool, upgrade_database

        settings = self.settings
        token = settings.bot_token.get_secret_value() if settings.bot_token else ""
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        add_secrets([token, secret])
        with school_context(self.name):
            session = self.options.session(settings) if self.options.session else None
            bot = create_bot(settings, session=session)
            me = await _wait_for_telegram(bot)  # before the database: a refused token changes
            if me is None:  # nothing
                await bot.session.close()
                self.state = "token refused"
                return replace(_token_rejected(self.checked), school=self.name)
            log.info("bot id %s, @%s", me.id, me.username)
            self.bot = bot
            try:
                await asyncio.to_thread(
                    upgrade_database, settings.database_url, schema=settings.database_schema
                )
                self.engine = create_engine(
                    settings.database_url,
                    log_parameters=settings.dev_log_sql,
                    schema=settings.database_schema,
                    pool_size=self.options.pool_size,
                )
            except BaseException:
                await self.close()
                raise
            clock = self._clock()
            pool = create_session_pool(self.engine)
            extra = dict(self.options.extra)
            if self.options.spread_ticks:
                extra.setdefault("tick_second", zlib.crc32(self.name.encode()) % 60)
            self.dp = create_dispatcher(
                settings=settings,
                session_pool=pool,
                plan=self.checked.plan,
                calendar=self.checked.calendar,
                clock=clock,
                reminder_policy=self._policy(),
                updates_at_once=self.options.updates_at_once(),
                replicas=self.options.replicas,
                **extra,
            )
        return None

    def _clock(self) -> Clock:
        if self.options.clock is not None:
            return self.options.clock(self.settings)
        from bot.clock import SystemClock

        return SystemClock(ZoneInfo(self.settings.timezone))

    def _policy(self) -> Any:
        from bot.core.schedule import DEFAULT_POLICY

        return replace(
            DEFAULT_POLICY,
            quiet_start=time(self.settings.quiet_start_hour),
            quiet_end=time(self.settings.quiet_end_hour),
        )

    def _workflow(self) -> dict[str, Any]:
        assert self.dp is not None and self.bot is not None
        return _workflow(self.dp, self.bot)

    async def start_polling(self) -> None:
        """aiogram's long polling for this school, in a task of its own."""
        assert self.dp is not None and self.bot is not None
        bot, dp = self.bot, self.dp
        with school_context(self.name):
            # Telegram refuses getUpdates while a webhook is set (a webhook run before this).
            from bot.retry_after import until_reached

            await until_reached(lambda: bot.delete_webhook(drop_pending_updates=False))
            self._polling = asyncio.create_task(
                dp.start_polling(
                    bot,
                    handle_signals=False,
                    close_bot_session=False,
                    allowed_updates=dp.resolve_used_update_types(),
                ),
                name=f"polling-{self.label}",
            )
        self._polling.add_done_callback(self._polling_ended)
        self.state = "running"

    async def start_sending(self) -> None:
        """Reminders only (`python -m bot send`): the dispatcher's start-up, no updates."""
        assert self.dp is not None
        with school_context(self.name):
            await self.dp.emit_startup(**self._workflow())
        self._sending = True
        self.state = "running"

    def _polling_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.state = "stopped on an error"
            with school_context(self.name):
                log.error("polling stopped on an error", exc_info=task.exception())

    async def start_webhook(self, server: WebhookServer, url: str, secret: str) -> None:
        """Start-up, the endpoint on `server`, then ``setWebhook`` (see the module notes)."""
        assert self.dp is not None and self.bot is not None
        with school_context(self.name):
            self._server = server
            self.endpoint = await open_webhook(server, self.name, self.dp, self.bot, url, secret)
        self.state = "running"

    # --- stop ---------------------------------------------------------------------------------

    async def stop(self) -> None:
        """No new updates, those in progress finished, shut-down, everything closed."""
        self.state = "stopping"
        with school_context(self.name):
            try:
                if self._polling is not None:
                    await self._stop_polling()
                elif self.endpoint is not None:
                    await self._stop_webhook()
                elif self._sending:
                    assert self.dp is not None
                    await self.dp.emit_shutdown(**self._workflow())
            finally:
                await self.close()
            log.info("school stopped")
        self.state = "stopped"

    async def _stop_polling(self) -> None:
        assert self._polling is not None and self.dp is not None
        if not self._polling.done():
            try:
                await self.dp.stop_polling()
            except RuntimeError:  # not started yet: its start-up had not run
                self._polling.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._polling  # an error was logged when it ended

    async def _stop_webhook(self) -> None:
        assert self._server is not None and self.endpoint is not None
        assert self.bot is not None and self.dp is not None
        await close_webhook(
            self._server,
            self.endpoint,
            delete=self.options.replicas == 1,  # several replicas: the others still receive
        )

    async def close(self) -> None:
        """The bot's session and the database (also after a failed start)."""
        if self.bot is not None:
            await self.bot.session.close()
        if self.engine is not None:
            await self.engine.dispose()

    # --- health -------------------------------------------------------------------------------

    async def health(self) -> str:
        if self.state != "running":
            return self.state
        assert self.engine is not None
        return "ok" if await database_answers(self.engine) else "database unreachable"


def _workflow(dp: Dispatcher, bot: Bot) -> dict[str, Any]:
    return {"dispatcher": dp, "bots": [bot], "bot": bot, **dp.workflow_data}


async def open_webhook(
    server: WebhookServer, name: str, dp: Dispatcher, bot: Bot, url: str, secret: str
) -> Endpoint:
    """A school's dispatcher started behind `server` at `url`: its start-up (people from the
    plan, outbox, scheduler), its endpoint taking updates, then ``setWebhook`` (the update types
    its routers use; ``drop_pending_updates=False``: what came while it was down comes now)."""
    from bot.retry_after import until_reached
    from bot.serve.webhook import Endpoint

    await dp.emit_startup(**_workflow(dp, bot))
    endpoint = Endpoint(name, dp, bot, secret)
    server.endpoints[name] = endpoint
    endpoint.accepting = True
    await until_reached(
        lambda: bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
    )
    log.info("webhook set: updates arrive at %s", server.path_of(name))
    return endpoint


async def close_webhook(server: WebhookServer, endpoint: Endpoint, *, delete: bool) -> None:
    """No new update (503: Telegram keeps it for later), the webhook deleted (`delete`; not
    when other replicas share it), the requests in progress finished, then the shut-down
    (updates still running, the scheduler, the outbox)."""
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    endpoint.accepting = False
    if delete:
        try:
            await endpoint.bot.delete_webhook(drop_pending_updates=False)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("could not delete the webhook: %s", exc)
    if endpoint.requests:
        await asyncio.wait(set(endpoint.requests), timeout=UPDATE_GRACE_S)
    try:
        await endpoint.dispatcher.emit_shutdown(**_workflow(endpoint.dispatcher, endpoint.bot))
    finally:
        if server.endpoints.get(endpoint.name) is endpoint:
            del server.endpoints[endpoint.name]


def webhook_refused(settings: Settings, school: str, detail: str) -> Problem:
    """A WEBHOOK_URL that Telegram refused (setWebhook's 400), as a problem line."""
    from bot.config_check import _shown

    return Problem(
        setting="WEBHOOK_URL",
        shown=_shown("webhook_url", settings.webhook_url),
        key="cfg_webhook_refused",
        example=example_line("webhook_url"),
        detail=detail,
        school=school,
    )
