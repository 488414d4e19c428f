"""Fair first contact (#12): a person who joins in November is greeted with what the bot will
send and when, asked only about what falls due from then on, never told "the bot was down" for
what came before, and not named in the overdue summary for it; the admin sees that work in
/plan ("before people joined"). Routine duties' modes are changed in /plan too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.services import staff
from db.models import AuditLog, PlanOverride
from fakegram import FakeTelegram
from tests.conftest import TZ
from tests.harness import Kenes, kenes_app, tap, tick_and_send, unread

LATE = {"kk": "кешігіп", "ru": "с опозданием"}


def at(m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
async def app(fakegram: FakeTelegram, db_url: str, clock: ManualClock) -> AsyncIterator[Kenes]:
    clock.set(at(9, 1, 9))
    async with kenes_app(fakegram, db_url, clock) as kenes:
        yield kenes


step = tick_and_send


fresh = unread


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_november_joiner_gets_a_welcome_and_only_what_is_due_from_then(
    app: Kenes, lang: str
) -> None:
    chair = await app.join("eshkeeva-at", "Айнұр")  # there since September
    async with app.pool() as session:
        teacher_row = await staff.add_person(
            session, "Жаңа Мұғалім", ["class_teacher"], by=None, now=app.clock.now(),
            class_name="5Б",
        )  # fmt: skip
        await session.commit()
    await step(app, at(9, 1, 9, 1))
    # Two months go by before she joins (the bot runs; she is not there).
    for moment in (at(10, 1, 8, 30), at(11, 2, 8, 30), at(11, 13, 9, 0)):
        await step(app, moment)
    app.clock.set(at(11, 16, 10))
    teacher = app.fake.user(first_name="Жаңа", language_code=lang)
    await teacher.command("/start", await app.invite_token(teacher_row.key))
    welcome = (await teacher.next_message()).text  # one message: who she is, what comes when
    assert "14:00" in welcome and "1.8" in welcome
    if lang == "kk":
        assert "Қош келдіңіз" in welcome and "дүйсенбі таңертең" in welcome
        assert "аптаның соңғы оқу күні" in welcome
    else:
        assert "Добро пожаловать" in welcome and "в понедельник утром" in welcome
        assert "последний учебный день недели" in welcome
    # The ticks after she joined: nothing "late", nothing due before she came.
    for moment in (at(11, 16, 10, 1), at(11, 17, 8, 30), at(11, 20, 14, 0), at(11, 23, 8, 30)):
        await step(app, moment)
    got = fresh(teacher)
    assert got, teacher.transcript()
    assert not [m for m in got if LATE[lang] in m.text]
    assert not [m for m in got if any(old in m.text for old in ("1.1", "2.7", "1.11"))]
    checkin = next(m for m in got if "1.8" in m.text)
    assert ("16–20 қараша" if lang == "kk" else "16–20 ноября") in checkin.text
    # The overdue summary names her for nothing that was due before she joined.
    await step(app, at(11, 24, 9, 0))
    await step(app, at(11, 25, 9, 0))
    summaries = [m.text for m in chair.bot_messages if "Мерзімі өткен" in m.text]
    assert not [s for s in summaries if "Жаңа Мұғалім" in s]


async def test_the_admin_sees_work_due_before_people_joined(app: Kenes) -> None:
    async with app.pool() as session:
        late = await staff.add_person(
            session, "Кеш Келген", ["class_teacher"], by=None, now=app.clock.now(), class_name="6А"
        )
        await session.commit()
    app.clock.set(at(11, 16, 10))
    newcomer = app.fake.user(first_name="Кеш")
    await newcomer.command("/start", await app.invite_token(late.key))
    await newcomer.next_message()
    admin = await app.admin(language_code="ru")
    await admin.command("/plan")
    screen = await admin.next_message()
    label = next(b for b in screen.button_labels if b.startswith("🗂 До подключения людей"))
    await tap(admin, label)
    history = admin.chat.get(screen.message_id)
    assert history is not None and "Что было к сроку до подключения людей" in history.text
    assert "Кеш Келген" in history.text and "1.1" in history.text  # September's class work
    await tap(admin, "⬅️ Назад")
    back = admin.chat.get(screen.message_id)
    assert back is not None and label in back.button_labels


async def test_an_admin_makes_the_daily_duty_a_daily_card_then_silent(app: Kenes) -> None:
    async with app.pool() as session:
        row = await staff.add_person(
            session, "Сынып Жетекші", ["class_teacher"], by=None, now=app.clock.now(),
            class_name="7А",
        )  # fmt: skip
        await session.commit()
    teacher = app.fake.user(first_name="Сынып")
    await teacher.command("/start", await app.invite_token(row.key))
    await teacher.next_message()
    await step(app, at(9, 2, 8, 30))
    assert not [m for m in fresh(teacher) if "1.8" in m.text]  # default: the weekly check-in
    admin = await app.admin()
    await admin.command("/plan")
    screen = await admin.next_message()
    await tap(admin, "🔁 Күнделікті міндеттер")
    listing = admin.chat.get(screen.message_id)
    assert listing is not None
    assert "1.8" in listing.text and "аптасына бір сұрақ (жұма) (әдепкі)" in listing.text
    await tap(admin, "1.8")
    choice = admin.chat.get(screen.message_id)
    assert choice is not None and "☑️ аптасына бір сұрақ (жұма)" in choice.button_labels
    await tap(admin, "әр жолы еске салу")
    listing = admin.chat.get(screen.message_id)
    assert listing is not None and "1.8" in listing.text
    await step(app, at(9, 3, 8, 30))
    daily = [m for m in fresh(teacher) if "1.8" in m.text]
    assert len(daily) == 1 and "✅ Орындалды" in daily[0].button_labels
    await tap(admin, "1.8")
    await tap(admin, "хабарсыз, тек есепке")
    await step(app, at(9, 4, 8, 30))
    await step(app, at(9, 4, 14, 0))
    assert not [m for m in fresh(teacher) if "1.8" in m.text]
    async with app.pool() as session:
        rows = (await session.exec(select(PlanOverride))).all()
        audit = (
            await session.exec(select(AuditLog).where(AuditLog.action == "plan.routine"))
        ).all()
    assert [(r.ref, r.kind, r.value) for r in rows] == [("1.8", "routine", ["silent"])]
    assert len(audit) == 2
    # A forged mode changes nothing.
    await admin.tap_data(screen, "p1:rs:1.8:loud:0")
    assert "ескірген" in ((await admin.next_callback_answer()).text or "")
