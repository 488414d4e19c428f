"""Council sessions end to end: /sessions, setting a date, recording, extraordinary sessions.

Real polling, the strict fake Telegram, the real migrated database; the clock is set by hand
(Tuesday 2026-11-24 09:00 in Aqtobe: session №4 is dated "November" only)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot.scheduler.jobs import tick
from bot.services import tasks
from db.models import (
    AuditLog,
    CouncilSession,
    KeyValue,
)
from db.models import Reminder as OutboxRow
from fakegram.chats import FakeMessage, FakeUser
from tests.conftest import TZ
from tests.harness import Kenes, tap


async def press(user: FakeUser, label: str) -> FakeMessage:
    """Tap `label`, wait for the answer, return the screen it was on (edited in place)."""
    message = user.find_button_message(label)
    await tap(user, label)
    return message


async def _rows(kenes: Kenes, model: type) -> list:
    async with kenes.pool() as session:
        return list((await session.exec(select(model))).all())


async def _audit(kenes: Kenes) -> list[str]:
    return [a.action for a in await _rows(kenes, AuditLog)]


async def test_chair_sets_the_date_of_a_month_only_session(kenes: Kenes) -> None:
    chair = await kenes.join("eshkeeva-at", "Айгүл")
    await chair.command("/sessions")
    listing = await chair.next_message()
    assert "№4: қараша, күнін белгілеу керек" in listing.text
    assert "№1: 29 тамыз" in listing.text
    card = await press(chair, "❓ №4")
    assert "Күн тәртібі" in card.text and "Утешова А.К." in card.text
    picker = await press(chair, "📅 Күнін белгілеу")
    # The plan's own day (the month's last school Thursday) first; past days not offered.
    assert picker.button_labels[0] == "📌 26.11 — жоспар бойынша"
    assert "20.11" not in picker.button_labels and "26.11" not in picker.button_labels
    assert picker.button_labels[-1] == "⬅️ Артқа"
    # Typed: a past day, another month, a weekend, nonsense: clear answers, nothing stored.
    for typed, expected in [
        ("20.11", "өтіп кетті"),
        ("03.12", "қараша айында"),
        ("28.11", "оқу күні емес"),
        ("сәрсенбі", "КК.АА"),
    ]:
        await chair.send(typed)
        assert expected in (await chair.next_message()).text
    assert await _rows(kenes, CouncilSession) == []
    screen = await press(chair, "📌 26.11 — жоспар бойынша")
    assert "уақытын" in screen.text
    await chair.send("25:00")
    assert "СС:ММ" in (await chair.next_message()).text
    await chair.send("15:30")
    assert "орнын" in (await chair.next_message()).text
    await chair.send("Мәжіліс <залы>")
    saved = await chair.next_message()
    assert "26 қараша, бейсенбі, 15:30" in saved.text and "Мәжіліс &lt;залы&gt;" not in saved.text
    assert "Мәжіліс <залы>" in saved.text
    [row] = await _rows(kenes, CouncilSession)
    assert (row.number, row.school_year, row.place) == (4, "2026-2027", "Мәжіліс <залы>")
    assert row.scheduled_at == datetime(2026, 11, 26, 15, 30, tzinfo=TZ)
    assert row.set_by_person_id == (await kenes.person("eshkeeva-at")).id
    # Moved: the same row (upsert), the planner sees the new time.
    await chair.command("/sessions")
    assert "№4: 26 қараша" in (await chair.next_message()).text
    await tap(chair, "📅 №4")
    await tap(chair, "📅 Күнін ауыстыру")
    await tap(chair, "27.11")
    await tap(chair, "14:00")
    screen = await press(chair, "⏭ Өткізу")
    assert "27 қараша, жұма, 14:00, Мәжіліс" in screen.text
    [row] = await _rows(kenes, CouncilSession)
    assert row.scheduled_at == datetime(2026, 11, 27, 14, 0, tzinfo=TZ)
    async with kenes.pool() as session:
        overrides = await tasks.load_overrides(session, kenes.calendar)
    assert overrides.session_times[4] == row.scheduled_at
    assert overrides.session_places[4] == "Мәжіліс <залы>"
    assert (await _audit(kenes)).count("session.set_date") == 2


async def test_a_time_already_past_today_is_refused(kenes: Kenes) -> None:
    chair = await kenes.join("eshkeeva-at", "Айгүл")
    kenes.clock.set(datetime(2026, 11, 30, 14, 30, tzinfo=TZ))
    await chair.command("/sessions")
    await chair.next_message()
    await tap(chair, "❓ №4")
    await tap(chair, "📅 Күнін белгілеу")
    await tap(chair, "30.11")
    answer = await tap(chair, "14:00")
    assert answer and "өтіп кетті" in answer
    await chair.send("16:30")
    assert "орнын" in (await chair.next_message()).text


async def test_a_future_held_date_is_refused(kenes: Kenes) -> None:
    chair = await kenes.join("eshkeeva-at", "Айгүл")
    await chair.command("/sessions")
    await chair.next_message()
    await tap(chair, "❓ №5")
    screen = await press(chair, "📝 Отырысты жазу")
    assert "КК.АА" in screen.text
    await chair.send("10.12")
    assert "әлі келген жоқ" in (await chair.next_message()).text
    assert await _rows(kenes, CouncilSession) == []


async def test_extraordinary_session_is_called_and_members_told(kenes: Kenes) -> None:
    chair = await kenes.join("eshkeeva-at", "Айгүл")
    member = await kenes.join("amangeldi-sm", "Сәуле")
    teacher = await kenes.join("kambarova-kg", "Гүлім")
    await chair.command("/sessions")
    await chair.next_message()
    await tap(chair, "➕ Кезектен тыс отырыс")
    await tap(chair, "27.11")
    await tap(chair, "16:00")
    await chair.send("Директор кабинеті")
    assert "Күн тәртібін" in (await chair.next_message()).text
    await chair.send("9Б сыныбындағы төбелес")
    called = await chair.next_message()
    assert "№11" in called.text and "27 қараша, жұма, 16:00" in called.text
    [row] = await _rows(kenes, CouncilSession)
    assert row.extraordinary and row.number == 11
    assert row.scheduled_at == datetime(2026, 11, 27, 16, 0, tzinfo=TZ)
    agenda = [kv for kv in await _rows(kenes, KeyValue) if kv.key.startswith("session-agenda")]
    assert [(kv.key, kv.value) for kv in agenda] == [
        ("session-agenda:2026-2027:11", "9Б сыныбындағы төбелес")
    ]
    notices = [r for r in await _rows(kenes, OutboxRow) if r.kind == "session_called"]
    assert {r.chat_id for r in notices} == {member.id}  # members only, not the caller
    assert teacher.id not in {r.chat_id for r in notices}
    assert "9Б сыныбындағы төбелес" in notices[0].text
    assert "session.call" in await _audit(kenes)
    # The planner reminds the day before.
    ctx = kenes.dp.workflow_data["app_context"]
    await tick(ctx, datetime(2026, 11, 26, 16, 0, tzinfo=TZ))
    reminders = [
        r for r in await _rows(kenes, OutboxRow) if r.occurrence_key == "council-11@2026-2027"
    ]
    assert member.id in {r.chat_id for r in reminders if r.kind == "day_before"}
    # The next one is №12.
    await chair.command("/sessions")
    assert "№11 (кезектен тыс): 27 қараша" in (await chair.next_message()).text
    await tap(chair, "➕ Кезектен тыс отырыс")
    await chair.send("30.11")
    assert "уақытын" in (await chair.next_message()).text
    await chair.send("08:30")
    assert "орнын" in (await chair.next_message()).text
    await tap(chair, "⏭ Өткізу")
    await chair.send("Тағы бір мәселе")
    assert "№12" in (await chair.next_message()).text


async def test_stale_forged_and_forbidden(kenes: Kenes) -> None:
    chair = await kenes.join("eshkeeva-at", "Айгүл")
    await chair.command("/sessions")
    listing = await chair.next_message()
    for data in [
        "c1:op:99:",  # no such session
        "c1:dd:4:20261126",  # a day without the dialogue
        "c1:tm:4:1500",
        "c1:at:4:1",
        "c1:ow:4:1",
        "c1:nm:4:",
        "c1:ed:4:",  # not recorded yet
        "c1:zz:4:",
        "c0:op:4:",
    ]:
        await chair.tap_data(listing, data)
        answer = await chair.next_callback_answer()
        assert answer.text and "ескірген" in answer.text, data
    await tap(chair, "❓ №4")
    await tap(chair, "📅 Күнін белгілеу")
    await chair.tap_data(listing, "c1:dd:5:20261126")  # another session's day
    assert "ескірген" in ((await chair.next_callback_answer()).text or "")
    await chair.tap_data(listing, "c1:dd:4:20261299")
    assert "ескірген" in ((await chair.next_callback_answer()).text or "")
    await chair.tap_data(listing, "c1:dd:4:20261128")  # a Saturday, forged
    assert "оқу күні емес" in ((await chair.next_callback_answer()).text or "")
    assert await _rows(kenes, CouncilSession) == []
    assert "session.set_date" not in await _audit(kenes)

    teacher = await kenes.join("kambarova-kg", "Гүлім")
    await teacher.command("/sessions")
    assert "рұқсатыңыз жоқ" in (await teacher.next_message()).text
    await teacher.command("/status")
    assert "рұқсатыңыз жоқ" in (await teacher.next_message()).text
    await teacher.tap_data(listing, "c1:op:4:")
    assert "рұқсатыңыз жоқ" in ((await teacher.next_callback_answer()).text or "")
    deputy = await kenes.join("kurmanbaeva-ga", "Гүлнар")
    await deputy.command("/sessions")
    assert "рұқсатыңыз жоқ" in (await deputy.next_message()).text
    await deputy.command("/help")
    help_text = (await deputy.next_message()).text
    assert "/status" in help_text and "/sessions" not in help_text
    await chair.command("/help")
    assert "/sessions" in (await chair.next_message()).text
