"""Outer middlewares: updates in flight, one database session per update, and the front door.

The front door lets in only registered staff, in private chats. A stranger gets a polite
refusal in their language once per ten minutes and nothing else (`bot.strangers`); in a group
the bot says once that it works in private messages, and is silent there after that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access_cache import AccessCache
from bot.config import Settings
from bot.permissions import Perm, can
from bot.services import staff
from bot.strangers import StrangerBook
from bot.texts import normalize_language, t
from db.models import Account, AccountState, KeyValue, Person

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


UPDATES_AT_ONCE = 8  # below the connection pool's 5 + 10: the tick and the outbox need some


class InFlightUpdates(BaseMiddleware):
    """Knows the tasks handling an update right now, so that a stop can let them finish.

    aiogram handles each polled update in its own task and, on stop, closes the bot's HTTP
    session without waiting for them: an answer in the middle of being sent was cut off, the
    user saw nothing and the error handler failed too. `drain` (a shutdown handler, before the
    session closes) waits for them. The whole task is tracked, not just this middleware's part,
    so the error handler's apology, which runs outside it, is waited for as well.
    """

    def __init__(self, at_once: int = UPDATES_AT_ONCE) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.draining = asyncio.Event()  # set when a stop starts waiting
        # At most this many updates are handled at a time (the others wait their turn): each
        # may hold a database connection, and a burst (a hundred taps in a second) would
        # otherwise wait out the connection pool's timeout and fail.
        self._turns = asyncio.Semaphore(at_once)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        if task is not None and task not in self.tasks:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        async with self._turns:
            return await handler(event, data)

    async def drain(self, timeout: float) -> int:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for the updates in flight; cancel any still running.
        Returns how many were cancelled."""
        self.draining.set()
        waiting = self.tasks - {asyncio.current_task()}
        if not waiting:
            return 0
        _done, stuck = await asyncio.wait(waiting, timeout=timeout)
        for task in stuck:
            task.cancel()
        if stuck:
            await asyncio.wait(stuck)
            log.warning(
                "stop: %d updates still running after %.0f s were cancelled", len(stuck), timeout
            )
        return len(stuck)


# The update being handled's session, for code that aiogram calls without it: the dialogue
# storage (bot.fsm_storage) works inside the update's own transaction when it is already open,
# so one update never holds two connections at once (a burst of updates each holding one and
# waiting for a second exhausted the pool; on SQLite the second would wait on the first's
# write lock).
CURRENT_SESSION: ContextVar[LazySession | None] = ContextVar("kenes_update_session", default=None)


class LazySession:
    """The update's database session, opened on first use: most updates never need it (the
    front door's cache answers who the user is), and opening and closing one per update was
    a measurable part of the per-update cost (bench/bench_updates.py)."""

    __slots__ = ("_pool", "_session")

    def __init__(self, pool: async_sessionmaker[AsyncSession]) -> None:
        self._pool = pool
        self._session: AsyncSession | None = None

    def __getattr__(self, name: str) -> Any:
        if self._session is None:
            self._session = self._pool()
        return getattr(self._session, name)

    async def release(self) -> None:
        """End the read transaction, if any, so its connection goes back to the pool while the
        update talks to Telegram (objects stay readable: the pool does not expire on commit)."""
        if self._session is not None and self._session.in_transaction():
            await self._session.commit()

    @property
    def opened(self) -> AsyncSession | None:
        """The session if this update has already opened it, else None (nothing is opened)."""
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        self.session_pool = session_pool

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        session = LazySession(self.session_pool)
        data["session"] = session
        token = CURRENT_SESSION.set(session)
        try:
            return await handler(event, data)
        finally:
            CURRENT_SESSION.reset(token)
            await session.aclose()


def _cacheable(account: Account, person: Person) -> bool:
    """Only the everyday state is cached; anything the front door may change is read fresh."""
    return (
        person.active
        and account.state is AccountState.JOINED
        and account.unreachable_since is None
    )


def _start_payload(update: Update) -> str | None:
    message = update.message
    if message is None or not message.text:
        return None
    command, _, payload = message.text.partition(" ")
    if command.split("@")[0] != "/start":
        return None
    return payload.strip()


class AccessMiddleware(BaseMiddleware):
    """Resolves `person`, `account` and `lang` for the handlers, or answers and stops.

    Staff are answered from `AccessCache`, strangers from `StrangerBook` (`bot.strangers`):
    after the first lookup a stranger costs no database read, no dialogue state (this runs
    before aiogram's FSM middleware, `bot.factory`) and, but once per window, no message.
    """

    def __init__(
        self, cache: AccessCache | None = None, strangers: StrangerBook | None = None
    ) -> None:
        self.cache = cache or AccessCache()
        self.strangers = strangers or StrangerBook()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        guess = normalize_language(user.language_code if user else None)
        data["lang"] = guess
        data["person"] = None
        data["account"] = None

        if chat is not None and chat.type != ChatType.PRIVATE:
            return await self._group(event, chat, data["session"], guess, data)
        if user is None or user.is_bot:
            return None

        found = self.cache.get(user.id)
        if found is None or not can(found[1].roles, Perm.USE_BOT):
            return await self._uncached(handler, event, data, user, chat, guess)
        account, person = found
        data["lang"] = str(account.language)
        data["person"] = person
        data["account"] = account
        return await handler(event, data)

    async def _uncached(
        self,
        handler: Handler,
        event: Update,
        data: dict[str, Any],
        user: User,
        chat: Chat | None,
        guess: str,
    ) -> Any:
        session: AsyncSession = data["session"]
        settings: Settings = data["settings"]
        now = data["clock"].now()
        admin = user.id in settings.admin_ids
        payload = _start_payload(event)
        if not admin and self.strangers.known(user.id, now):
            # Known not to be staff: no lookup. A /start with an invite code goes on to the
            # invite handler (the invite is checked in the database): it works at once.
            if payload:
                return await handler(event, data)
            return await self._refuse(event, guess, "stranger", user.id, now)
        if event.my_chat_member is not None:
            return await handler(event, data)  # blocked / unblocked: handled by its router

        found = await staff.account_of(session, user.id)
        if found is not None and _cacheable(*found):
            self.cache.put(user.id, *found)
        if found is None and admin:
            found = await staff.ensure_admin(
                session,
                telegram_user_id=user.id,
                chat_id=chat.id if chat else user.id,
                full_name=user.full_name,
                username=user.username,
                language=guess,
                now=now,
            )
        if isinstance(session, LazySession):
            await session.release()  # the lookup is done: no connection held while answering
        if found is not None:
            account, person = found
            data["lang"] = str(account.language)
            active = person.active and account.state is not AccountState.REVOKED
            if active and can(person.roles, Perm.USE_BOT):
                if account.state is AccountState.BLOCKED or account.unreachable_since:
                    # They write to us, so they can be reached again.
                    account.state = AccountState.JOINED
                    account.unreachable_since = None
                    account.unreachable_notified = False
                    await session.commit()
                data["person"] = person
                data["account"] = account
                return await handler(event, data)
            if payload:
                return await handler(event, data)  # a fresh invite may restore access
            return await self._refuse(event, data["lang"], "revoked_user", user.id, now)

        self.strangers.looked_up(user.id, now)
        if payload:
            return await handler(event, data)  # the invite handler decides
        return await self._refuse(event, guess, "stranger", user.id, now)

    async def _refuse(
        self, event: Update, lang: str, key: str, user_id: int, now: datetime
    ) -> None:
        """The refusal, once per window (`bot.strangers.REFUSAL_WINDOW`); in between a button
        gets a bare answer (Telegram wants one) and anything else nothing."""
        message, query = event.message, event.callback_query
        if (message is not None or query is not None) and self.strangers.may_refuse(user_id, now):
            text = t(lang, key)
            if message is not None:
                await message.answer(text)
            elif query is not None:
                await query.answer(text[:200], show_alert=True)
        elif query is not None:
            self.strangers.silent(user_id, "button")
            await query.answer()
        else:
            self.strangers.silent(user_id, "dropped")
        self.strangers.report(now)

    async def _group(
        self, event: Update, chat: Chat, session: AsyncSession, lang: str, data: dict[str, Any]
    ) -> None:
        """Say once per group that the bot works in private messages; then stay silent, and
        read or write nothing more for that group."""
        if event.callback_query is not None:
            await event.callback_query.answer(t(lang, "group_private_only")[:200])
            return
        if self.strangers.group_noticed(chat.id):
            return
        message: Message | CallbackQuery | None = event.message
        joined = (
            event.my_chat_member is not None
            and event.my_chat_member.new_chat_member.status
            in (
                "member",
                "administrator",
            )
        )
        if message is None and not joined:
            return
        key = f"group_notice:{chat.id}"
        if await session.get(KeyValue, key) is not None:
            self.strangers.remember_group(chat.id)
            return
        session.add(KeyValue(key=key, value="1"))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            self.strangers.remember_group(chat.id)
            return  # another update of this group got there first
        self.strangers.remember_group(chat.id)
        bot = data["bot"]
        await bot.send_message(chat.id, t(lang, "group_private_only"))


def is_command(text: str | None) -> bool:
    """A typed command: "/tasks", "/help@KenesBot args"."""
    return bool(text) and text.startswith("/") and len(text) > 1 and not text[1].isspace()  # type: ignore[union-attr]


class CommandEndsDialogue(BaseMiddleware):
    """Any command typed in the middle of a dialogue ends the dialogue and runs as a command:
    "/tasks" while the bot waits for a reason, a comment, a date or a note is never saved as
    that text. One place for every state of `bot.states`. /cancel is left to its handler
    (it says what it cancelled)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message) and is_command(event.text):
            state = data.get("state")
            name = (event.text or "").split()[0][1:].split("@")[0].lower()
            if state is not None and data.get("raw_state") is not None and name != "cancel":
                await state.clear()
                data["raw_state"] = None
        return await handler(event, data)
