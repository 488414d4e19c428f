"""The sender's lease: which one process may send the outbox, among several on one database.

Telegram's flood limit (about 30 messages a second) is per bot, not per process: two replicas
sending at once would share it, so one paced sender is the right shape, and a second replica
is a stand-by. The lease is one `Lease` row named ``"outbox"``:

* taken or renewed by an upsert that applies only if this process holds it or it has run out
  (``INSERT … ON CONFLICT (name) DO UPDATE … WHERE holder = me OR expires_at <= now``: atomic
  on SQLite and PostgreSQL alike, `db.dialect.upsert`);
* renewed every third of its time to live by the sender's heartbeat (`Outbox.run_forever`), so
  a live sender keeps it however long one HTTP call takes;
* checked again inside every claim (`fence`): a process whose lease has run out, say after a
  stall, claims nothing more, even before it learns it has lost the lease;
* released on a clean stop, so a restarted process need not wait.

When the holder dies (kill -9, power loss) its lease runs out after at most `ttl`; a stand-by
that finds it expired takes it over (`bench/bench_replicas.py` measures how fast).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from db.dialect import upsert
from db.models import Lease

__all__ = ["DEFAULT_LEASE_TTL_S", "LEASE_NAME", "SenderLease"]

LEASE_NAME: Final = "outbox"
# A stand-by takes over within this time after the sender dies. The heartbeat renews every
# third of it, so a renewal may be up to 4 s late (a busy database) before the lease lapses.
DEFAULT_LEASE_TTL_S: Final = 6.0


class SenderLease:
    """This process's view of the ``outbox`` lease (see the module docstring)."""

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        holder: str,
        ttl_s: float = DEFAULT_LEASE_TTL_S,
        name: str = LEASE_NAME,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError("the lease's time to live must be positive")
        self.session_pool = session_pool
        self.clock = clock
        self.holder = holder
        self.name = name
        self.ttl = timedelta(seconds=ttl_s)
        self.renew_every = self.ttl / 3
        self._until: datetime | None = None  # when our lease runs out, as far as we know
        self._renew_at: datetime | None = None

    @property
    def held(self) -> bool:
        """This process holds a lease that has not run out (by its own clock)."""
        return self._until is not None and self.clock.now() < self._until

    async def acquire(self) -> bool:
        """Take the lease, or renew it; False if another holder's lease is live."""
        now = self.clock.now()
        async with self.session_pool() as session:
            taken = await upsert(
                session,
                Lease,
                {"name": self.name, "holder": self.holder, "expires_at": now + self.ttl},
                key=["name"],
                update=["holder", "expires_at"],
                where=sa.or_(col(Lease.holder) == self.holder, col(Lease.expires_at) <= now),
            )
            await session.commit()
        if taken:
            self._until, self._renew_at = now + self.ttl, now + self.renew_every
        else:
            self._until = self._renew_at = None
        return taken

    async def keep(self) -> bool:
        """Renew the lease if a third of its time has passed; False if it is lost."""
        if self._renew_at is not None and self.clock.now() < self._renew_at:
            return True
        return await self.acquire()

    def fence(self, now: datetime) -> sa.ColumnElement[bool]:
        """SQL for "this process holds a live lease at `now`", for a claim's WHERE clause."""
        return sa.exists().where(
            col(Lease.name) == self.name,
            col(Lease.holder) == self.holder,
            col(Lease.expires_at) > now,
        )

    async def expires_at(self) -> datetime | None:
        """When the current lease (anyone's) runs out; None if nobody holds one."""
        async with self.session_pool() as session:
            lease = await session.get(Lease, self.name)
        return lease.expires_at if lease is not None else None

    async def release(self) -> None:
        """Give the lease up (on a clean stop), if this process holds it."""
        async with self.session_pool() as session:
            await session.exec(
                sa.delete(Lease).where(
                    col(Lease.name) == self.name, col(Lease.holder) == self.holder
                )
            )
            await session.commit()
        self._until = self._renew_at = None
