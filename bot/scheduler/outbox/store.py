"""The outbox's database side: which rows are due, claiming one, recording each outcome.

Every method opens its own short session and commits: no transaction is ever open across an
HTTP call. Log lines carry ids, keys and error texts only, never a message's text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from aiogram import html as aiogram_html
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.clock import Clock
from bot.scheduler.outbox.lease import SenderLease
from bot.scheduler.outbox.rows import PART_RE, enqueue
from db.dialect import has_prefix
from db.models import Account, AccountState, Person, Reminder, ReminderState

__all__ = ["KIND_FAILED_ADMIN", "KIND_UNREACHABLE_ADMIN", "OutboxStore", "Row"]

logger = logging.getLogger(__name__)

KIND_UNREACHABLE_ADMIN: Final = "unreachable_admin"
KIND_FAILED_ADMIN: Final = "delivery_failed_admin"
_ADMIN_KINDS: Final = frozenset({KIND_UNREACHABLE_ADMIN, KIND_FAILED_ADMIN})


@dataclass(frozen=True, slots=True)
class Row:
    """What the sender needs of a due row (read once; the row itself stays in the database)."""

    id: int
    dedup_key: str
    person_id: int | None
    kind: str
    chat_id: int
    text: str
    reply_markup: str | None
    attempts: int
    next_attempt_at: datetime


class OutboxStore:
    """The outbox rows as the sender sees them."""

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        lease: SenderLease,
        *,
        max_attempts: int,
        backoff: Sequence[float],
        batch_size: int,
    ) -> None:
        self.session_pool = session_pool
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = tuple(backoff)
        self.batch_size = batch_size

    async def fetch_due(self) -> list[Row]:
        async with self.session_pool() as session:
            reminders = (
                await session.exec(
                    select(Reminder)
                    .where(
                        col(Reminder.state) == ReminderState.PENDING,
                        col(Reminder.next_attempt_at) <= self.clock.now(),
                    )
                    .order_by(col(Reminder.next_attempt_at), col(Reminder.id))
                    .limit(self.batch_size)
                )
            ).all()
        return [
            Row(
                id=r.id or 0,
                dedup_key=r.dedup_key,
                person_id=r.person_id,
                kind=r.kind,
                chat_id=r.chat_id,
                text=r.text,
                reply_markup=r.reply_markup,
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at,
            )
            for r in reminders
        ]

    async def claim(self, row: Row) -> bool:
        """pending → sending, committed, if the row is still due and this process still holds
        the lease: atomic on both databases (on PostgreSQL a concurrent claim of the row waits
        for this one and then finds it no longer pending)."""
        now = self.clock.now()
        async with self.session_pool() as session:
            result = await session.exec(
                sa.update(Reminder)
                .where(
                    col(Reminder.id) == row.id,
                    col(Reminder.state) == ReminderState.PENDING,
                    col(Reminder.next_attempt_at) <= now,
                    self.lease.fence(now),
                )
                .values(state=ReminderState.SENDING)
            )
            await session.commit()
        return result.rowcount == 1

    async def _update_row(self, row: Row, **values: Any) -> None:
        """One UPDATE of a claimed row in its own commit; a busy database is retried."""
        for attempt in range(3):
            try:
                async with self.session_pool() as session:
                    await session.exec(
                        sa.update(Reminder).where(col(Reminder.id) == row.id).values(**values)
                    )
                    await session.commit()
                return
            except OperationalError:
                if attempt == 2:
                    raise
                logger.warning("outbox: database busy recording reminder %d; retrying", row.id)
                await asyncio.sleep(0.05 * (attempt + 1))  # real time: the DB is real

    async def record_sent(self, row: Row, message_id: int) -> None:
        await self._update_row(
            row,
            state=ReminderState.SENT,
            sent_at=self.clock.now(),
            telegram_message_id=message_id,
        )
        logger.debug("outbox: reminder %d sent as message %d", row.id, message_id)

    async def record_transient(self, row: Row, error: str) -> bool:
        """attempts+1 and back to pending after the backoff; False if it is now failed."""
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            await self.record_failed(row, error, attempts=attempts, tell_admins=True)
            logger.error(
                "outbox: reminder %d (%s) failed after %d attempts: %s",
                row.id,
                row.dedup_key,
                attempts,
                error,
            )
            return False
        delay = self.backoff[min(attempts - 1, len(self.backoff) - 1)]
        retry_at = self.clock.now() + timedelta(seconds=delay)
        async with self.session_pool() as session:
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.id) == row.id)
                .values(
                    state=ReminderState.PENDING,
                    attempts=attempts,
                    next_attempt_at=retry_at,
                    last_error=error,
                )
            )
            await self._hold_later_parts(session, row, retry_at)
            await session.commit()
        logger.warning(
            "outbox: reminder %d attempt %d failed (%s); retry in %.0f s",
            row.id,
            attempts,
            error,
            delay,
        )
        return True

    async def _hold_later_parts(self, session: AsyncSession, row: Row, until: datetime) -> None:
        """Keep parts i+1.. of a split message behind part i when part i is put back."""
        match = PART_RE.match(row.dedup_key)
        base, index = (match["base"], int(match["i"])) if match else (row.dedup_key, 1)
        later = (
            await session.exec(
                select(Reminder.id, Reminder.dedup_key).where(
                    has_prefix(Reminder.dedup_key, f"{base}#"),
                    col(Reminder.state) == ReminderState.PENDING,
                    col(Reminder.next_attempt_at) < until,
                )
            )
        ).all()
        ids = [
            rid
            for rid, key in later
            if (m := PART_RE.match(key)) and m["base"] == base and int(m["i"]) > index
        ]
        if ids:
            await session.exec(
                sa.update(Reminder).where(col(Reminder.id).in_(ids)).values(next_attempt_at=until)
            )

    async def record_failed(
        self, row: Row, error: str, *, attempts: int, tell_admins: bool = False
    ) -> None:
        now = self.clock.now()
        async with self.session_pool() as session:
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.id) == row.id)
                .values(state=ReminderState.FAILED, attempts=attempts, last_error=error)
            )
            await self._carried_parts_follow(session, row, ReminderState.FAILED, error)
            if tell_admins and row.person_id is not None and row.kind not in _ADMIN_KINDS:
                await self._tell_admins(
                    session,
                    person_id=row.person_id,
                    kind=KIND_FAILED_ADMIN,
                    key=f"failed:{row.person_id}:{now.date().isoformat()}",
                    now=now,
                )
            await session.commit()

    async def _carried_parts_follow(
        self, session: AsyncSession, row: Row, state: ReminderState, error: str
    ) -> None:
        """The parts a message carried (one message per moment, `bot.scheduler.moments`: rows
        in state ``merged``, planned with it in the same tick for the same chat) take the
        message's fate when it fails or cannot be delivered: never sent on their own, never
        counted as delivered."""
        created = select(Reminder.created_at).where(col(Reminder.id) == row.id).scalar_subquery()
        await session.exec(
            sa.update(Reminder)
            .where(
                col(Reminder.state) == ReminderState.MERGED,
                col(Reminder.chat_id) == row.chat_id,
                col(Reminder.created_at) == created,
            )
            .values(state=state, last_error=f"carried by reminder {row.id}: {error}")
        )

    async def record_unreachable(self, row: Row, error: str) -> tuple[int, int]:
        """Mark the row, the chat's other pending rows and the account; tell admins once.

        Returns (rows marked unreachable, admin notices enqueued)."""
        now = self.clock.now()
        async with self.session_pool() as session:
            # Write first: the transaction takes SQLite's write lock before reading.
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.id) == row.id)
                .values(state=ReminderState.UNREACHABLE, last_error=error)
            )
            await self._carried_parts_follow(session, row, ReminderState.UNREACHABLE, error)
            others = await session.exec(
                sa.update(Reminder)
                .where(
                    col(Reminder.chat_id) == row.chat_id,
                    col(Reminder.state) == ReminderState.PENDING,
                )
                .values(
                    state=ReminderState.UNREACHABLE,
                    last_error=f"chat unreachable (reminder {row.id}): {error}",
                )
            )
            account_query = select(Account).where(
                col(Account.person_id) == row.person_id
                if row.person_id is not None
                else col(Account.chat_id) == row.chat_id
            )
            account = (await session.exec(account_query)).first()
            notices = 0
            if account is not None:
                if account.unreachable_since is None:
                    account.unreachable_since = now
                    account.unreachable_notified = False
                if "blocked by the user" in error and account.state == AccountState.JOINED:
                    account.state = AccountState.BLOCKED
                if not account.unreachable_notified:
                    since = account.unreachable_since.astimezone(UTC).isoformat(timespec="seconds")
                    notices = await self._tell_admins(
                        session,
                        person_id=account.person_id,
                        kind=KIND_UNREACHABLE_ADMIN,
                        key=f"unreachable:{account.person_id}:{since}",
                        now=now,
                    )
                    account.unreachable_notified = True
                session.add(account)
            await session.commit()
        logger.warning(
            "outbox: chat %d unreachable (reminder %d, person %s, %d more rows): %s; "
            "%d admin notices",
            row.chat_id,
            row.id,
            row.person_id,
            others.rowcount,
            error,
            notices,
        )
        return 1 + others.rowcount, notices

    async def _tell_admins(
        self, session: AsyncSession, *, person_id: int, kind: str, key: str, now: datetime
    ) -> int:
        """Enqueue `kind` (a text with {name}) to every joined admin but the person; new rows."""
        if kind not in texts.TEXTS:
            logger.error(
                "outbox: no %r text in the catalogue; admins not told about person %d",
                kind,
                person_id,
            )
            return 0
        person = await session.get(Person, person_id)
        if person is None:
            return 0
        admins = (
            await session.exec(
                select(Person, Account)
                .join(Account, col(Account.person_id) == col(Person.id))
                .where(
                    col(Account.state) == AccountState.JOINED,
                    col(Person.active).is_(True),
                    col(Person.id) != person_id,
                )
            )
        ).all()
        created = 0
        for admin, admin_account in admins:
            if "admin" not in admin.roles:
                continue
            created += await enqueue(
                session,
                dedup_key=f"{key}|admin:{admin.id}",
                chat_id=admin_account.chat_id,
                text=texts.t(
                    str(admin_account.language),
                    kind,
                    name=aiogram_html.quote(person.name),
                ),
                kind=kind,
                due_at=now,
                now=now,
                person_id=admin.id,
            )
        return created

    async def recover(self) -> int:
        """Put rows left in ``sending`` by a crash back (late), or fail those out of attempts."""
        now = self.clock.now()
        async with self.session_pool() as session:
            stuck = (
                await session.exec(
                    select(Reminder.id, Reminder.attempts).where(
                        col(Reminder.state) == ReminderState.SENDING
                    )
                )
            ).all()
            if not stuck:
                return 0
            spent = [rid for rid, attempts in stuck if attempts + 1 >= self.max_attempts]
            error = "interrupted while sending (process stopped)"
            await session.exec(
                sa.update(Reminder)
                .where(col(Reminder.state) == ReminderState.SENDING)
                .values(
                    state=ReminderState.PENDING,
                    attempts=col(Reminder.attempts) + 1,
                    next_attempt_at=now,
                    late=True,
                    last_error=f"{error}; resent",
                )
            )
            if spent:
                await session.exec(
                    sa.update(Reminder)
                    .where(col(Reminder.id).in_(spent))
                    .values(state=ReminderState.FAILED, last_error=f"{error}; out of attempts")
                )
            await session.commit()
        logger.warning(
            "outbox: recovered %d reminders left in 'sending' by a crash (ids %s); %d failed",
            len(stuck),
            ",".join(str(rid) for rid, _ in stuck[:20]),
            len(spent),
        )
        return len(stuck)

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending row is due (None: nothing pending)."""
        async with self.session_pool() as session:
            return (
                await session.exec(
                    select(sa.func.min(Reminder.next_attempt_at)).where(
                        col(Reminder.state) == ReminderState.PENDING
                    )
                )
            ).one()
