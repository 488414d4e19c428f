"""The front door and strangers (issue #16), end to end: real polling, the strict fake Telegram,
the real database, a hand-set clock. A stranger is answered from memory after one lookup, gets
one answer per ten minutes, and writes nothing; an invite works on the first try."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.services import staff
from bot.strangers import REFUSAL_WINDOW, REPLICA_LOOKUP_TTL, StrangerBook
from db.models import Account, Language, Person
from tests.harness import ADMIN_ID, Kenes, kenes_app, settled

REFUSAL_KK = "әкімшісінен"  # a piece of the Kazakh refusal


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[Counter[str]]:
    """Counts the SQL statements the bot runs, by their first word (SELECT, INSERT, ...)."""
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen[statement.lstrip().split(None, 1)[0].upper()] += 1

    sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", count)


def writes(seen: Counter[str]) -> int:
    return sum(n for word, n in seen.items() if word not in ("SELECT", "PRAGMA", "WITH"))


async def row_counts(kenes: Kenes) -> dict[str, int]:
    async with kenes.engine.connect() as conn:
        return {
            table.name: (
                await conn.execute(sa.select(sa.func.count()).select_from(table))
            ).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def sent_to(kenes: Kenes, chat_id: int) -> int:
    return sum(1 for call in kenes.fake.calls_to("sendMessage") if call["chat_id"] == chat_id)


async def test_a_stranger_is_refused_once_per_ten_minutes(kenes: Kenes) -> None:
    stranger = kenes.fake.user(first_name="Бөтен", language_code="kk")
    await stranger.command("/start")
    refusal = await stranger.next_message()
    assert REFUSAL_KK in refusal.text
    await stranger.command("/start")  # a second /start within ten minutes: nothing
    await stranger.send("Сәлем?")
    await settled(kenes)
    assert len(stranger.bot_messages) == 1
    # A button in between gets an answer (Telegram requires one), with no text.
    await stranger.tap_data(refusal, "k1:b:1.1@2026-09-01")
    answer = await stranger.next_callback_answer()
    assert answer.text is None and not answer.show_alert
    kenes.clock.advance(REFUSAL_WINDOW - timedelta(seconds=1))
    await stranger.command("/start")
    await settled(kenes)
    assert len(stranger.bot_messages) == 1
    kenes.clock.advance(timedelta(seconds=1))  # the window is over: a refusal again
    await stranger.command("/start")
    assert REFUSAL_KK in (await stranger.next_message()).text
    assert sent_to(kenes, stranger.id) == 2


async def test_a_stranger_s_first_tap_is_the_refusal_as_an_alert(kenes: Kenes) -> None:
    stranger = kenes.fake.user(language_code="ru")
    await stranger.command("/start")
    refusal = await stranger.next_message()
    kenes.clock.advance(REFUSAL_WINDOW)
    await stranger.tap_data(refusal, "l1:kk")
    answer = await stranger.next_callback_answer()
    assert answer.show_alert and "только для сотрудников" in (answer.text or "")
    await stranger.send("ну?")  # the alert was this window's answer
    await settled(kenes)
    assert len(stranger.bot_messages) == 1


async def test_an_invited_user_gets_in_at_once_though_refused_a_minute_before(
    kenes: Kenes,
) -> None:
    user = kenes.fake.user(first_name="Сания", language_code="kk")
    await user.command("/start")
    assert REFUSAL_KK in (await user.next_message()).text
    await user.command("/start", "i_" + "A" * 30)  # a made-up link in the same window
    await settled(kenes)
    assert len(user.bot_messages) == 1
    kenes.clock.advance(timedelta(minutes=1))
    token = await kenes.invite_token("amangeldi-sm")
    await user.command("/start", token)
    assert "Қош келдіңіз" in (await user.next_message()).text
    await user.command("/help")  # in at once: the book forgot them when the invite was redeemed
    assert "/tasks" in (await user.next_message()).text


async def test_a_flood_from_one_stranger_sends_one_message_and_writes_nothing(
    kenes: Kenes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.strangers")
    stranger = kenes.fake.user(first_name="Спамер", language_code="kk")
    before = await row_counts(kenes)
    with statements(kenes.engine) as seen:
        await stranger.command("/start")
        refusal = await stranger.next_message()
        for i in range(999):
            match i % 5:
                case 0:
                    await stranger.command("/start")
                case 1:
                    await stranger.send(f"hello {i}")
                case 2:
                    await stranger.command("/help")
                case 3:
                    await stranger.tap_data(refusal, "k1:d:1.1@2026-09-01")
                case _:
                    await stranger.command("/start", "made-up" if i % 2 else "i_" + "B" * 30)
        await settled(kenes)
    assert sent_to(kenes, stranger.id) == 1
    taps = stranger.chat.bot.callback_queries.values()
    assert len(taps) == 200 and all(q.answered and q.answer.text is None for q in taps)  # type: ignore[union-attr]
    assert writes(seen) == 0, seen
    # One account lookup, one dialogue-state read, one read per well-formed invite code.
    assert seen["SELECT"] <= 2 + 100, seen
    assert await row_counts(kenes) == before
    assert not caplog.records  # the metric line: at most once a minute
    kenes.clock.advance(timedelta(minutes=1))
    await stranger.send("still here")
    await settled(kenes)
    [line] = [r.getMessage() for r in caplog.records]
    assert "1001 stranger updates from 1 users" in line, line
    assert str(stranger.id) in line and "Спамер" not in line


async def test_a_group_is_told_once_then_nothing_is_read_or_written(kenes: Kenes) -> None:
    alice = kenes.fake.user(first_name="Әлия")
    group = kenes.fake.group("9Ә ата-аналар", members=[alice])
    await group.command(alice, "help", mention=True)
    assert "жеке" in (await group.next_message()).text
    with statements(kenes.engine) as seen:
        for _ in range(20):
            await group.command(alice, "start", mention=True)
        await settled(kenes)
    assert len(group.chat.bot_messages) == 1
    assert sum(seen.values()) == 0, seen


async def test_the_book_forgets_on_invites_accounts_and_admins(kenes: Kenes) -> None:
    book: StrangerBook = kenes.dp["strangers"]
    now = kenes.clock.now()
    book.looked_up(7001, now)
    book.looked_up(7002, now)
    assert book.may_refuse(7001, now)
    assert book.known(7001, now) and book.known(7002, now)
    async with kenes.pool() as session:  # an invite is created: everyone is looked up again
        person = await kenes.person("amangeldi-sm")
        await staff.create_invite(session, person, by=None, now=now)
    assert not book.known(7001, now) and not book.known(7002, now)
    assert not book.may_refuse(7001, now)  # still refused once per window
    book.looked_up(7001, now)
    async with kenes.pool() as session:  # an account for 7001: forgotten entirely
        person = Person(key="p-new", name="Жаңа", roles=["teacher"])
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(
            Account(
                person_id=person.id,
                telegram_user_id=7001,
                chat_id=7001,
                language=Language.KK,
                joined_at=now,
            )
        )
        await session.commit()
    assert not book.known(7001, now) and book.may_refuse(7001, now)
    # An ADMIN_IDS user is never taken for a stranger, even if the book had them.
    book.looked_up(ADMIN_ID, now)
    admin = kenes.fake.user(id=ADMIN_ID, language_code="kk")
    await admin.command("/help")
    assert "/staff" in (await admin.next_message()).text


def test_the_book_is_bounded() -> None:
    from datetime import UTC, datetime

    book = StrangerBook(size=3)
    now = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    for uid in range(10):
        book.looked_up(uid, now)
        book.remember_group(-uid)
    assert [uid for uid in range(10) if book.known(uid, now)] == [7, 8, 9]
    assert [uid for uid in range(10) if book.group_noticed(-uid)] == [7, 8, 9]


async def test_with_replicas_an_account_written_by_another_is_seen_within_seconds(
    fakegram: Any, db_url: str, clock: Any
) -> None:
    """Several webhook replicas on one database: an invite redeemed on another replica writes
    the account there, and this replica's book does not hear of it; it trusts a "not staff"
    lookup only `REPLICA_LOOKUP_TTL`, not ten minutes."""
    async with kenes_app(fakegram, db_url, clock, replicas=2) as kenes:
        assert kenes.dp.storage.cache is False  # the dialogue state is read from the database
        user = kenes.fake.user(first_name="Сания", language_code="kk")
        await user.command("/start")
        assert REFUSAL_KK in (await user.next_message()).text
        now = kenes.clock.now()
        person = Person(key="p-other", name="Басқа", roles=["teacher"], created_at=now)
        async with kenes.engine.begin() as conn:  # Core, as another process: no Session hooks
            person_id = (
                await conn.execute(
                    sa.insert(Person.__table__)  # type: ignore[arg-type]
                    .values(**person.model_dump(exclude={"id"}))
                    .returning(Person.__table__.c.id)  # type: ignore[attr-defined]
                )
            ).scalar_one()
            account = Account(
                person_id=person_id,
                telegram_user_id=user.id,
                chat_id=user.id,
                language=Language.KK,
                joined_at=now,
            )
            await conn.execute(
                sa.insert(Account.__table__).values(  # type: ignore[arg-type]
                    **account.model_dump(exclude={"id"})
                )
            )
        await user.command("/help")  # still trusted as a stranger: nothing
        await settled(kenes)
        assert len(user.bot_messages) == 1
        kenes.clock.advance(REPLICA_LOOKUP_TTL)
        await user.command("/help")
        assert "/tasks" in (await user.next_message()).text


async def test_a_book_hears_only_its_own_school_s_database(kenes: Kenes, tmp_path: Any) -> None:
    """Many schools in one process: an account written in one school's database does not make
    another school's book look its strangers up again."""
    from db.engine import create_engine

    other_engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'other-school.db'}")
    other = StrangerBook(bind=other_engine)
    ours: StrangerBook = kenes.dp["strangers"]
    now = kenes.clock.now()
    for book in (ours, other):
        book.looked_up(7001, now)
    async with kenes.pool() as session:
        person = Person(key="p-new", name="Жаңа", roles=["teacher"])
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(
            Account(
                person_id=person.id,
                telegram_user_id=7001,
                chat_id=7001,
                language=Language.KK,
                joined_at=now,
            )
        )
        await session.commit()
    assert not ours.known(7001, now) and other.known(7001, now)
    await other_engine.dispose()
