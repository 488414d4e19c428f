"""Invites, accounts and revocation at the database level."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import ManualClock
from bot.core.school_class import normalize_class
from bot.services import staff
from bot.services.staff import RedeemStatus, StaffState
from db.models import Account, AccountState, AuditLog, Invite, Person


async def _person(pool: async_sessionmaker[AsyncSession], name: str = "Амангелді С.М.") -> Person:
    async with pool() as session:
        person = Person(key="amangeldi-sm", name=name, roles=["social_pedagogue"])
        session.add(person)
        await session.commit()
        return person


async def _redeem(pool, token: str, clock: ManualClock, tg: int = 5001):
    async with pool() as session:
        return await staff.redeem_invite(
            session,
            token,
            telegram_user_id=tg,
            chat_id=tg,
            username=None,
            language="kk",
            now=clock.now(),
        )


async def test_invite_is_stored_hashed_and_redeems_once(session_pool, clock) -> None:
    person = await _person(session_pool)
    async with session_pool() as session:
        token = await staff.create_invite(session, person, by=None, now=clock.now())
        stored = (await session.exec(select(Invite))).one()
    assert token not in stored.token_hash and stored.token_hash == staff.hash_token(token)
    first = await _redeem(session_pool, token, clock)
    assert first.status is RedeemStatus.OK and first.person is not None
    assert first.person.key == "amangeldi-sm"
    again_same_user = await _redeem(session_pool, token, clock)
    assert again_same_user.status is RedeemStatus.ALREADY_MEMBER
    other_user = await _redeem(session_pool, token, clock, tg=6002)
    assert other_user.status is RedeemStatus.USED
    async with session_pool() as session:
        accounts = (await session.exec(select(Account))).all()
    assert [a.telegram_user_id for a in accounts] == [5001]


async def test_two_simultaneous_redemptions_link_one_account(session_pool, clock) -> None:
    person = await _person(session_pool)
    async with session_pool() as session:
        token = await staff.create_invite(session, person, by=None, now=clock.now())
    results = await asyncio.gather(
        _redeem(session_pool, token, clock, tg=7001),
        _redeem(session_pool, token, clock, tg=7002),
        return_exceptions=True,
    )
    statuses = sorted(r.status.value for r in results if not isinstance(r, BaseException))
    assert statuses.count("ok") == 1
    async with session_pool() as session:
        assert len((await session.exec(select(Account))).all()) == 1


async def test_expired_revoked_and_made_up_tokens(session_pool, clock) -> None:
    person = await _person(session_pool)
    async with session_pool() as session:
        old = await staff.create_invite(session, person, by=None, now=clock.now())
        newer = await staff.create_invite(session, person, by=None, now=clock.now())
    assert (await _redeem(session_pool, old, clock)).status is RedeemStatus.REVOKED
    clock.advance(timedelta(days=7, seconds=1))
    assert (await _redeem(session_pool, newer, clock)).status is RedeemStatus.EXPIRED
    for junk in ["", "hello", "i_" + "x" * 24, "i_<b>bad</b>", "' OR 1=1 --"]:
        assert (await _redeem(session_pool, junk, clock)).status is RedeemStatus.INVALID
    async with session_pool() as session:
        assert (await session.exec(select(Account))).all() == []


async def test_revoke_ends_access_and_cancels_invites(session_pool, clock) -> None:
    person = await _person(session_pool)
    async with session_pool() as session:
        token = await staff.create_invite(session, person, by=None, now=clock.now())
    assert (await _redeem(session_pool, token, clock)).status is RedeemStatus.OK
    async with session_pool() as session:
        pending = await staff.create_invite(
            session, await session.get(Person, person.id), by=None, now=clock.now()
        )
        target = await session.get(Person, person.id)
        await staff.revoke_person(session, target, by=None, now=clock.now())
    async with session_pool() as session:
        account = (await session.exec(select(Account))).one()
        rows = await staff.list_staff(session, clock.now())
        actions = [a.action for a in (await session.exec(select(AuditLog))).all()]
    assert account.state is AccountState.REVOKED
    assert rows[0].state is StaffState.REVOKED
    assert "person.revoke" in actions
    assert (await _redeem(session_pool, pending, clock, tg=9)).status is RedeemStatus.REVOKED


def test_normalize_class() -> None:
    assert normalize_class("7ә") == "7Ә"
    assert normalize_class(" 11 a ") == "11А"
    assert normalize_class("12А") is None
    assert normalize_class("0Б") is None
    assert normalize_class("7<b>") is None


async def test_state_of_one_person_agrees_with_the_list(session_pool, clock) -> None:
    person = await _person(session_pool)

    async def both() -> tuple[StaffState, StaffState]:
        async with session_pool() as session:
            fresh = await session.get(Person, person.id)
            assert fresh is not None
            row = next(
                r for r in await staff.list_staff(session, clock.now()) if r.person.id == person.id
            )
            return await staff.state_of(session, fresh, clock.now()), row.state

    assert await both() == (StaffState.NEVER, StaffState.NEVER)
    async with session_pool() as session:
        token = await staff.create_invite(session, person, by=None, now=clock.now())
    assert await both() == (StaffState.INVITED, StaffState.INVITED)
    await _redeem(session_pool, token, clock)
    assert await both() == (StaffState.JOINED, StaffState.JOINED)
    async with session_pool() as session:
        account = (await session.exec(select(Account))).one()
        account.state = AccountState.BLOCKED
        await session.commit()
    assert await both() == (StaffState.BLOCKED, StaffState.BLOCKED)
