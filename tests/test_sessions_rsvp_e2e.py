"""Sessions, end to end: members answer "I'll come / I can't" on the reminder and the chair sees
the count; a month-only session's date is asked again 7 and 3 days before while it is not set;
every screen of setting a date has a way back; Russian readers read Russian agendas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlmodel import select

from bot.callbacks import SessionAction, SessionCb
from bot.clock import ManualClock
from bot.scheduler.jobs import AppContext, tick
from bot.scheduler.outbox import Outbox
from db.models import CouncilSession, Reminder, SessionRsvp
from fakegram import FakeTelegram
from tests.conftest import TZ
from tests.harness import Kenes, kenes_app, tap


def at(m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026 if m >= 8 else 2027, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
async def app(fakegram: FakeTelegram, db_url: str, clock: ManualClock) -> AsyncIterator[Kenes]:
    async with kenes_app(fakegram, db_url, clock) as kenes:
        yield kenes


async def step(kenes: Kenes, now: datetime) -> None:
    kenes.clock.set(now)
    ctx = kenes.dp.workflow_data["app_context"]
    assert isinstance(ctx, AppContext)
    await tick(ctx, now)
    outbox = Outbox(
        kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0, holder="t"
    )
    await outbox.drain()


async def test_members_answer_the_reminder_and_the_chair_counts_them(app: Kenes) -> None:
    chair = await app.join("eshkeeva-at", "Айнұр")
    member = await app.join("nugimanova-mk", "Мәдина", language_code="ru")
    psych = await app.join("rakhimzhanova-ar", "Айгүл")
    async with app.pool() as session:
        session.add(CouncilSession(school_year="2026-2027", number=5, scheduled_at=at(12, 17, 15)))
        await session.commit()
    await step(app, at(12, 10, 16))  # a week before
    reminder = next(m for m in member.bot_messages if "№5" in m.text)
    assert reminder.button_labels == ["✅ Приду", "❌ Не смогу"]
    assert "Отчёт классных руководителей о работе с детьми группы риска" in reminder.text
    await tap(member, "❌ Не смогу")
    assert member.chat.get(reminder.message_id).button_labels == ["✅ Приду", "☑️ ❌ Не смогу"]  # type: ignore[union-attr]
    await tap(member, "✅ Приду")  # changed her mind: one answer, the last
    yes = next(m for m in psych.bot_messages if "№5" in m.text)
    assert "Келемін" in yes.button_labels[0]
    no = yes.button("❌ Келе алмаймын")
    assert no is not None
    for _ in range(2):  # a double tap: still one answer
        await psych.tap_data(yes, no["callback_data"])
        assert (
            await psych.next_callback_answer()
        ).text == "Жазылды: келе алмайсыз. Төраға мұны көреді."
    async with app.pool() as session:
        rows = (await session.exec(select(SessionRsvp))).all()
    assert sorted(r.coming for r in rows) == [False, True]
    await chair.command("/sessions")
    listing = await chair.next_message()
    await chair.tap_data(listing, SessionCb(action=SessionAction.OPEN, num=5).pack())
    await chair.next_callback_answer()
    card = chair.chat.get(listing.message_id)
    assert card is not None and "Жауап бергендер: ✅ келеді — 1, ❌ келе алмайды — 1" in card.text


async def test_an_answer_to_a_held_or_unknown_session_changes_nothing(app: Kenes) -> None:
    member = await app.join("nugimanova-mk", "Мәдина")
    async with app.pool() as session:
        session.add(CouncilSession(school_year="2026-2027", number=3, held_at=at(10, 22, 15)))
        await session.commit()
    await member.command("/help")
    message = await member.next_message()
    await member.tap_data(message, "v1:3:1")
    assert "өтіп қойған" in (await member.next_callback_answer()).text  # type: ignore[operator]
    await member.tap_data(message, "v1:99:1")
    assert "ескірген" in (await member.next_callback_answer()).text  # type: ignore[operator]
    async with app.pool() as session:
        assert (await session.exec(select(SessionRsvp))).all() == []


async def test_the_chair_is_asked_again_7_and_3_days_before_while_the_date_is_not_set(
    app: Kenes,
) -> None:
    """№4 is dated "қараша" only; its default day is Thursday 26 November."""
    chair = await app.join("eshkeeva-at", "Айнұр", language_code="ru")
    await step(app, at(11, 2, 9))  # the month's first school day: the first ask
    await step(app, at(11, 19, 9))  # 7 days before
    await step(app, at(11, 20, 9))  # nothing new
    await step(app, at(11, 23, 9))  # 3 days before
    asks = [m for m in chair.bot_messages if "№4" in m.text]
    assert len(asks) == 3
    assert "дата ещё не назначена" in asks[0].text
    assert "осталось 7 дней" in asks[1].text and "осталось 3 дня" in asks[2].text
    assert all(a.button_labels == ["📅 Назначить дату"] for a in asks)
    async with app.pool() as session:
        kinds = sorted(
            r.kind
            for r in (await session.exec(select(Reminder))).all()
            if r.occurrence_key and r.occurrence_key.startswith("council-4")
        )
    assert kinds == ["set_date", "set_date_3", "set_date_7"]


async def test_a_date_set_in_time_stops_the_asking(app: Kenes) -> None:
    chair = await app.join("eshkeeva-at", "Айнұр")
    await step(app, at(11, 2, 9))
    assert len([m for m in chair.bot_messages if "№4" in m.text]) == 1
    before = len(chair.bot_messages)
    async with app.pool() as session:
        session.add(CouncilSession(school_year="2026-2027", number=4, scheduled_at=at(11, 25, 15)))
        await session.commit()
    await step(app, at(11, 19, 9))
    await step(app, at(11, 23, 9))
    later = [m.text for m in chair.bot_messages[before:]]
    assert not [x for x in later if "белгіленбеген" in x]  # set in time: not asked again
    assert any("№4 келесі аптада" in x for x in later)  # the date's own reminders instead


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_every_screen_of_setting_a_date_has_a_way_back(app: Kenes, lang: str) -> None:
    back = {"kk": "⬅️ Артқа", "ru": "⬅️ Назад"}[lang]
    chair = await app.join("eshkeeva-at", "Айнұр", language_code=lang)
    await chair.command("/sessions")
    listing = await chair.next_message()
    await chair.tap_data(listing, SessionCb(action=SessionAction.OPEN, num=4).pack())
    await chair.next_callback_answer()
    await tap(chair, {"kk": "📅 Күнін белгілеу", "ru": "📅 Назначить дату"}[lang])
    picker = chair.chat.get(listing.message_id)
    assert picker is not None and picker.button_labels[-1] == back
    await tap(chair, back)  # the day picker → the session's card
    card = chair.chat.get(listing.message_id)
    assert card is not None and "№4" in card.text and back in card.button_labels
    await tap(chair, {"kk": "📅 Күнін белгілеу", "ru": "📅 Назначить дату"}[lang])
    await tap(chair, "27.11")
    times = chair.chat.get(listing.message_id)
    assert times is not None and times.button_labels == ["14:00", "15:00", "16:00", back]
    await tap(chair, back)  # the time → the card; nothing stored
    async with app.pool() as session:
        assert (await session.exec(select(CouncilSession))).all() == []
    await tap(chair, back)  # the card → the list
    again = chair.chat.get(listing.message_id)
    assert again is not None and "❓ №4" in again.button_labels
