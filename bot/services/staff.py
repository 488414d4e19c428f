"""Staff: people from the plan, their Telegram accounts, invites, roles, and the audit log.

Invite tokens are random, shown once, and stored only as a sha256 digest. Redeeming one is a
single conditional UPDATE, so two taps on the same link cannot both win.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.plan import Plan, Responsible
from bot.core.roles import Role
from db.dialect import insert_ignore
from db.models import Account, AccountState, AuditLog, Invite, Language, Person, utcnow

INVITE_TTL = timedelta(days=7)
INVITE_PREFIX = "i_"
_TOKEN_RE = re.compile(r"^i_[A-Za-z0-9_-]{20,40}$")


class StaffState(StrEnum):
    JOINED = "joined"
    INVITED = "invited"
    NEVER = "never"
    BLOCKED = "blocked"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class StaffRow:
    person: Person
    account: Account | None
    state: StaffState


class RedeemStatus(StrEnum):
    OK = "ok"
    ALREADY_MEMBER = "already_member"
    INVALID = "invalid"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    TAKEN = "taken"  # the person is already linked to another Telegram account


@dataclass(frozen=True, slots=True)
class Redeemed:
    status: RedeemStatus
    person: Person | None = None
    account: Account | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def audit(
    session: AsyncSession,
    *,
    actor: Person | None,
    action: str,
    target: str,
    now: datetime,
    actor_telegram_id: int | None = None,
    **details: Any,
) -> None:
    """Write one audit row. Never pass a child's name or a note's text in `details`."""
    session.add(
        AuditLog(
            at=now,
            actor_person_id=actor.id if actor else None,
            actor_telegram_id=actor_telegram_id,
            action=action,
            target=target,
            details=details,
        )
    )


async def sync_people(session: AsyncSession, plan: Plan) -> int:
    """Insert the plan's people that the database does not know yet. Returns how many.

    The database is the truth after the first start: roles and classes edited by an admin are
    not overwritten by the plan file.
    """
    known = set((await session.exec(select(Person.key))).all())
    added = 0
    for person in plan.people:
        if person.key in known:
            continue
        # Insert-or-ignore: two replicas starting at once on one PostgreSQL both add the plan.
        added += await insert_ignore(
            session,
            Person,
            {
                "key": person.key,
                "name": person.name,
                "position": person.position,
                "roles": [str(role) for role in person.roles],
                "class_name": person.class_name,
                "vacancy": person.vacancy,
                "active": True,
                "created_at": utcnow(),
            },
            key=["key"],
        )
    # A plan's vacancy the database knew before it was marked one: a vacancy still while
    # nobody was named for it (its name is the plan's) and nobody joined with it.
    vacant = {p.key: p.name for p in plan.people if p.vacancy}
    if vacant:
        rows = (
            await session.exec(
                select(Person).where(col(Person.key).in_(list(vacant)), ~col(Person.vacancy))
            )
        ).all()
        joined = set(
            (
                await session.exec(
                    select(Account.person_id).where(
                        col(Account.person_id).in_([r.id for r in rows])
                    )
                )
            ).all()
        )
        for row in rows:
            if row.name == vacant[row.key] and row.id not in joined:
                row.vacancy = True
    await session.commit()
    return added


async def fill_vacancy(
    session: AsyncSession, person: Person, name: str, *, by: Person | None, now: datetime
) -> None:
    """The admin names the real person for a vacancy ("Медиатор" → "Серікова А.Б."); audited
    (the names are not: ids only)."""
    person.name = name
    person.vacancy = False
    session.add(person)
    await audit(session, actor=by, action="person.fill_vacancy", target=f"person:{person.id}",
                now=now)  # fmt: skip
    await session.commit()


async def account_of(
    session: AsyncSession, telegram_user_id: int
) -> tuple[Account, Person] | None:
    row = (
        await session.exec(
            select(Account, Person)
            .join(Person, col(Person.id) == col(Account.person_id))
            .where(Account.telegram_user_id == telegram_user_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def ensure_admin(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    chat_id: int,
    full_name: str,
    username: str | None,
    language: str,
    now: datetime,
) -> tuple[Account, Person]:
    """An ADMIN_IDS user who writes for the first time becomes an admin account."""
    found = await account_of(session, telegram_user_id)
    if found is not None:
        account, person = found
        if Role.ADMIN not in person.roles:
            person.roles = [*person.roles, str(Role.ADMIN)]
        if account.state is AccountState.REVOKED:
            account.state = AccountState.JOINED
        await session.commit()
        return account, person
    person = Person(
        key=f"admin-{telegram_user_id}",
        name=full_name[:80] or f"Admin {telegram_user_id}",
        roles=[str(Role.ADMIN)],
    )
    session.add(person)
    await session.flush()
    assert person.id is not None
    account = Account(
        person_id=person.id,
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        username=username,
        language=Language(language),
        joined_at=now,
    )
    session.add(account)
    await audit(
        session,
        actor=person,
        action="admin.bootstrap",
        target=f"person:{person.id}",
        now=now,
        actor_telegram_id=telegram_user_id,
    )
    await session.commit()
    return account, person


async def create_invite(
    session: AsyncSession,
    person: Person,
    *,
    by: Person | None,
    now: datetime,
    ttl: timedelta = INVITE_TTL,
) -> str:
    """A new one-time token for `person` (earlier unused ones are revoked). Returns the token."""
    assert person.id is not None
    await session.exec(  # type: ignore[call-overload]
        update(Invite)
        .where(
            col(Invite.person_id) == person.id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    token = INVITE_PREFIX + secrets.token_urlsafe(18)
    session.add(
        Invite(
            person_id=person.id,
            token_hash=hash_token(token),
            created_by_person_id=by.id if by else None,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await audit(
        session,
        actor=by,
        action="invite.create",
        target=f"person:{person.id}",
        now=now,
        expires_at=(now + ttl).isoformat(),
    )
    await session.commit()
    return token


async def redeem_invite(
    session: AsyncSession,
    token: str,
    *,
    telegram_user_id: int,
    chat_id: int,
    username: str | None,
    language: str,
    now: datetime,
) -> Redeemed:
    if not _TOKEN_RE.match(token):
        return Redeemed(RedeemStatus.INVALID)
    invite = (
        await session.exec(select(Invite).where(Invite.token_hash == hash_token(token)))
    ).first()
    if invite is None:
        return Redeemed(RedeemStatus.INVALID)
    person = await session.get(Person, invite.person_id)
    if person is None or not person.active:
        return Redeemed(RedeemStatus.REVOKED)
    existing = await account_of(session, telegram_user_id)
    if invite.used_at is not None:
        if (
            existing is not None
            and existing[1].id == person.id
            and invite.used_by_telegram_id == telegram_user_id
        ):
            return Redeemed(RedeemStatus.ALREADY_MEMBER, person, existing[0])
        return Redeemed(RedeemStatus.USED)
    if invite.revoked_at is not None:
        return Redeemed(RedeemStatus.REVOKED)
    if invite.expires_at <= now:
        return Redeemed(RedeemStatus.EXPIRED)
    if existing is not None and existing[1].id != person.id:
        # One Telegram account, one person: an account already linked elsewhere is refused.
        return Redeemed(RedeemStatus.TAKEN)
    linked = (await session.exec(select(Account).where(Account.person_id == person.id))).first()
    if linked is not None and linked.telegram_user_id != telegram_user_id:
        if linked.state is not AccountState.REVOKED:
            return Redeemed(RedeemStatus.TAKEN)
        await session.delete(linked)  # a revoked person re-invited may join from a new phone
        await session.flush()
        linked = None
    claimed = await session.exec(  # type: ignore[call-overload]
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by_telegram_id=telegram_user_id)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        return Redeemed(RedeemStatus.USED)
    if linked is None:
        linked = Account(
            person_id=person.id,  # type: ignore[arg-type]
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            username=username,
            language=Language(language),
            joined_at=now,
        )
        session.add(linked)
    else:
        linked.state = AccountState.JOINED
        linked.chat_id = chat_id
        linked.username = username
        linked.unreachable_since = None
        linked.unreachable_notified = False
    await audit(
        session,
        actor=person,
        action="invite.redeem",
        target=f"person:{person.id}",
        now=now,
        actor_telegram_id=telegram_user_id,
    )
    await session.commit()
    return Redeemed(RedeemStatus.OK, person, linked)


def _open_invites(now: datetime) -> Any:
    return select(Invite.person_id).where(
        col(Invite.used_at).is_(None),
        col(Invite.revoked_at).is_(None),
        col(Invite.expires_at) > now,
    )


async def list_staff(session: AsyncSession, now: datetime) -> list[StaffRow]:
    people = (await session.exec(select(Person).order_by(col(Person.name)))).all()
    accounts = {a.person_id: a for a in (await session.exec(select(Account))).all()}
    open_invites = set((await session.exec(_open_invites(now))).all())
    rows = []
    for person in people:
        if Role.EXTERNAL in person.roles and person.id not in accounts:
            continue  # police, doctor: named in the plan, not staff of the bot
        account = accounts.get(person.id)  # type: ignore[arg-type]
        rows.append(
            StaffRow(person, account, staff_state(person, account, person.id in open_invites))
        )
    return rows


async def school_staff(session: AsyncSession) -> list[Person]:
    """The active people of the school (not the external ones), by name: whom an item can be
    given to."""
    people = (
        await session.exec(select(Person).where(col(Person.active)).order_by(col(Person.name)))
    ).all()
    return [p for p in people if Role.EXTERNAL not in p.roles and not p.vacancy]


async def state_of(session: AsyncSession, person: Person, now: datetime) -> StaffState:
    """One person's state, without reading the whole staff list."""
    account = (await session.exec(select(Account).where(Account.person_id == person.id))).first()
    invited = (
        await session.exec(_open_invites(now).where(col(Invite.person_id) == person.id))
    ).first() is not None
    return staff_state(person, account, invited)


def staff_state(person: Person, account: Account | None, invited: bool) -> StaffState:
    if not person.active or (account is not None and account.state is AccountState.REVOKED):
        return StaffState.REVOKED
    if account is not None:
        if account.state is AccountState.BLOCKED or account.unreachable_since is not None:
            return StaffState.BLOCKED
        return StaffState.JOINED
    return StaffState.INVITED if invited else StaffState.NEVER


async def revoke_person(
    session: AsyncSession, person: Person, *, by: Person | None, now: datetime
) -> Account | None:
    """Access ends at once: the account is revoked and unused invites are cancelled."""
    assert person.id is not None
    person.active = False
    account = (await session.exec(select(Account).where(Account.person_id == person.id))).first()
    if account is not None:
        account.state = AccountState.REVOKED
    await session.exec(  # type: ignore[call-overload]
        update(Invite)
        .where(
            col(Invite.person_id) == person.id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    await audit(session, actor=by, action="person.revoke", target=f"person:{person.id}", now=now)
    await session.commit()
    return account


async def restore_person(
    session: AsyncSession, person: Person, *, by: Person | None, now: datetime
) -> None:
    person.active = True
    await audit(session, actor=by, action="person.restore", target=f"person:{person.id}", now=now)
    await session.commit()


async def set_roles(
    session: AsyncSession,
    person: Person,
    roles: Sequence[str],
    *,
    by: Person | None,
    now: datetime,
) -> None:
    before = list(person.roles)
    person.roles = [str(Role(r)) for r in roles]
    if Role.SECRETARY.value in person.roles and Role.SECRETARY.value not in before:
        # The council has one secretary: whoever had the role gives it up.
        for other in (await session.exec(select(Person).where(Person.id != person.id))).all():
            if Role.SECRETARY.value in other.roles:
                other.roles = [r for r in other.roles if r != Role.SECRETARY.value]
                await audit(
                    session, actor=by, action="person.roles", target=f"person:{other.id}",
                    now=now, before=[*other.roles, Role.SECRETARY.value], after=list(other.roles),
                )  # fmt: skip
    await audit(
        session,
        actor=by,
        action="person.roles",
        target=f"person:{person.id}",
        now=now,
        before=before,
        after=list(person.roles),
    )
    await session.commit()


async def set_class(
    session: AsyncSession,
    person: Person,
    class_name: str | None,
    *,
    by: Person | None,
    now: datetime,
) -> None:
    before = person.class_name
    person.class_name = class_name
    await audit(
        session,
        actor=by,
        action="person.class",
        target=f"person:{person.id}",
        now=now,
        before=before,
        after=class_name,
    )
    await session.commit()


async def add_person(
    session: AsyncSession,
    name: str,
    roles: Sequence[str],
    *,
    by: Person | None,
    now: datetime,
    class_name: str | None = None,
) -> Person:
    key = f"p-{secrets.token_hex(4)}"
    person = Person(key=key, name=name, roles=[str(Role(r)) for r in roles], class_name=class_name)
    session.add(person)
    await session.flush()
    await audit(
        session,
        actor=by,
        action="person.add",
        target=f"person:{person.id}",
        now=now,
        roles=list(person.roles),
    )
    await session.commit()
    return person


def members_of(responsible: Responsible, plan: Plan, people: Iterable[Person]) -> list[Person]:
    """The active database people answering for `responsible`: named people and group members.

    External groups (parents' committee, school parliament, police) resolve to nobody, and so
    does a vacancy (a position the plan names without a person, until the admin assigns one).
    """
    by_key = {p.key: p for p in people if p.active and not p.vacancy}
    chosen: dict[str, Person] = {}
    for key in responsible.people:
        if key in by_key:
            chosen[key] = by_key[key]
    groups = {g.key: g for g in plan.groups}
    for gkey in responsible.groups:
        group = groups.get(gkey)
        if group is None or group.external:
            continue
        for key in group.members:
            if key in by_key:
                chosen[key] = by_key[key]
        wanted = {str(r) for r in group.roles}
        for person in by_key.values():
            if wanted.intersection(person.roles):
                chosen[person.key] = person
    return [p for p in chosen.values() if Role.EXTERNAL not in p.roles]
