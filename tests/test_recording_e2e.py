"""Recording a held session, end to end: the secretary's prompt, attendance with everyone
ticked, guests, decisions per item (owner: a person or a role; due: next session, end of
quarter, a typed date), the quorum, ten taps for ten present and three decisions, the owners'
one message each with Done / Can't, the minutes as a file at once, the flagged cases, and a
draft that survives a restart.

Real polling against the strict fake Telegram, the real migrated database, a hand-set clock
(Tuesday 2026-11-24; session №4 is set for Thursday 26.11 at 15:00)."""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from sqlmodel import select

from bot.clock import ManualClock
from bot.scheduler.jobs import tick
from bot.scheduler.outbox import Outbox
from bot.services import staff, students
from db.models import (
    AuditLog,
    CouncilSession,
    Decision,
    Person,
    SessionAttendance,
    SessionDraft,
    SessionGuest,
    Student,
)
from db.models import Reminder as OutboxRow
from fakegram import FakeTelegram
from fakegram.chats import FakeUser
from tests.conftest import TZ
from tests.harness import Kenes, kenes_app, tap

SECRETARY = "Серікова А.Б."


class Taps:
    """Taps counted, as the issue counts them (typing is not a tap)."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.count = 0

    async def __call__(self, label: str) -> str | None:
        self.count += 1
        return await tap(self.user, label)


async def _rows(kenes: Kenes, model: type) -> list:
    async with kenes.pool() as session:
        return list((await session.exec(select(model))).all())


async def _secretary(kenes: Kenes, *, member: bool = True, lang: str = "kk") -> FakeUser:
    roles = ["secretary", "council_member"] if member else ["secretary", "teacher"]
    async with kenes.pool() as session:
        person = await staff.add_person(session, SECRETARY, roles, by=None, now=kenes.clock.now())
    return await kenes.join(person.key, "Айгерім", language_code=lang)


async def _set_date(kenes: Kenes) -> FakeUser:
    chair = await kenes.join("eshkeeva-at", "Айгүл")
    await chair.command("/sessions")
    await chair.next_message()
    await tap(chair, "❓ №4")
    await tap(chair, "📅 Күнін белгілеу")
    await tap(chair, "📌 26.11 — жоспар бойынша")
    await tap(chair, "15:00")
    await tap(chair, "⏭ Өткізу")
    return chair


async def _drain(kenes: Kenes) -> None:
    outbox = Outbox(
        kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0, holder="t"
    )
    await outbox.drain()


def _docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


async def test_ten_taps_for_ten_present_and_three_decisions(kenes: Kenes) -> None:
    secretary = await _secretary(kenes)
    uteshova = await kenes.join("uteshova-ak", "Айнұр")
    await _set_date(kenes)

    # An hour after the session the secretary is asked to record it (once).
    kenes.clock.set(datetime(2026, 11, 26, 16, 5, tzinfo=TZ))
    ctx = kenes.dp.workflow_data["app_context"]
    await tick(ctx, kenes.clock.now())
    await tick(ctx, kenes.clock.now())
    prompts = [r for r in await _rows(kenes, OutboxRow) if r.kind == "record"]
    assert [r.chat_id for r in prompts] == [secretary.id]
    await _drain(kenes)
    prompt = await secretary.next_message()
    assert "№4" in prompt.text and "📝 №4 отырысты жазу" in prompt.button_labels

    taps = Taps(secretary)
    await taps("📝 №4 отырысты жазу")
    screen = secretary.last_bot_message
    assert screen is not None and "Қатысты: 10 / 10" in screen.text
    await secretary.send("Жұмабаев Е.С., ювеналдық полиция инспекторы\nАта-ана Ахметова Г.")
    screen = await secretary.next_message()
    assert "Жұмабаев Е.С. — ювеналдық полиция инспекторы" in screen.text
    await taps("➡️ Әрі қарай")
    # Item 1: the plan's reporter by default; a decision, owner Утешова, due: next session.
    await secretary.send("Ата-аналармен жиналыс өткізу")
    owner_screen = await secretary.next_message()
    assert "Кім жауапты" in owner_screen.text and "Утешова А.К." in owner_screen.button_labels
    await taps("Утешова А.К.")
    await taps("➡️ Келесі мәселе")
    # Item 2: due at the end of the quarter, owned by a role.
    await secretary.send("Сауалнама нәтижесін сынып жетекшілеріне жеткізу")
    await secretary.next_message()
    await taps("Тоқсан соңы")
    await taps("👥 сынып жетекшісі")
    await taps("➡️ Келесі мәселе")
    # Item 3: a typed date.
    await secretary.send("ПАС туралы дәріс ұйымдастыру")
    await secretary.next_message()
    await secretary.send("25.12")
    assert "25.12.2026" in (await secretary.next_message()).text
    await taps("Кайепова Г.Е.")
    await taps("➡️ Қорытынды")
    review = secretary.last_bot_message
    assert review is not None and "Кворум бар" in review.text and "шешімдер: 3" in review.text
    await taps("💾 Сақтау")
    assert taps.count <= 10, taps.count
    document = await secretary.next_message()  # the minutes, at once

    # Stored: held, all ten present, two guests, three decisions as tasks.
    [row] = await _rows(kenes, CouncilSession)
    assert row.held_at == datetime(2026, 11, 26, 15, 0, tzinfo=TZ) and row.quorum is True
    assert len(await _rows(kenes, SessionAttendance)) == 10
    assert [(g.name, g.post) for g in await _rows(kenes, SessionGuest)] == [
        ("Жұмабаев Е.С.", "ювеналдық полиция инспекторы"),
        ("Ата-ана Ахметова Г.", None),
    ]
    d1, d2, d3 = sorted(await _rows(kenes, Decision), key=lambda d: d.id)
    assert (d1.item_number, d2.item_number, d3.item_number) == (1, 2, 3)
    assert d1.owner_person_id == (await kenes.person("uteshova-ak")).id
    assert d1.due_kind == "next_session" and d1.deadline is not None
    assert d1.deadline.astimezone(TZ).date().isoformat() == "2026-12-24"  # №5: last Thursday
    assert (d2.owner_role, d2.due_kind) == ("class_teacher", "quarter_end")
    assert d2.deadline == datetime(2026, 12, 28, 18, 0, tzinfo=TZ)
    assert d3.deadline == datetime(2026, 12, 25, 18, 0, tzinfo=TZ) and d3.due_kind == "date"
    assert all(d.occurrence_key == f"decision-{d.id}@2026-2027" for d in (d1, d2, d3))
    assert await _rows(kenes, SessionDraft) == []
    assert "session.record" in [a.action for a in await _rows(kenes, AuditLog)]

    # The minutes came at once, as a Word file with the Kazakh headings and the real names.
    [call] = kenes.fake.calls_to("sendDocument")
    assert call["chat_id"] in (secretary.id, str(secretary.id))
    assert not call.get("protect_content")  # counts only: no child's name
    assert document.document is not None
    text = _docx_text(document.document_bytes or b"")
    for heading in ("ХАТТАМА № 4", "КҮН ТӘРТІБІ:", "ТЫҢДАЛДЫ:", "ҚАУЛЫ ЕТТІ:", "Кеңес төрағасы"):
        assert heading in text, heading
    assert "Кворум бар (9/9)" in text
    assert "Серікова А.Б." in text and "Кайепова Г.Е." in text and "Ешкеева А.Т." in text
    assert "Жұмабаев Е.С. — ювеналдық полиция инспекторы" in text
    assert "1.1. Ата-аналармен жиналыс өткізу. Жауапты: Утешова А.К., мерзімі: 24.12.2026." in text
    assert (
        "2.1. Сауалнама нәтижесін сынып жетекшілеріне жеткізу. Жауапты: сынып жетекшілері" in text
    )
    assert "Кайепова Г.Е., мерзімі: 25.12.2026" in text

    # Each owner one message with Done / Can't; Done is recorded for the decision's task.
    owner_rows = [r for r in await _rows(kenes, OutboxRow) if r.kind == "decision_assigned"]
    assert [r.chat_id for r in owner_rows] == [uteshova.id]
    await _drain(kenes)
    notice = await uteshova.next_message()
    assert "Ата-аналармен жиналыс өткізу" in notice.text and "№4" in notice.text
    assert notice.button_labels == ["✅ Орындалды", "⛔ Орындай алмаймын"]
    answer = await tap(uteshova, "✅ Орындалды")
    assert answer == "Жазылды."


async def test_absent_members_break_the_quorum_and_the_minutes_say_so(kenes: Kenes) -> None:
    secretary = await _secretary(kenes, lang="ru")
    await _set_date(kenes)
    kenes.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=TZ))
    await secretary.command("/sessions")
    await secretary.next_message()
    await tap(secretary, "📅 №4")
    await tap(secretary, "📝 Записать заседание")
    for name in ("Ильясова С.М.", "Муканова А.Ж.", "Нугиманова М.К.", "Бердалина М.Н."):
        await tap(secretary, f"☑️ {name}")
    screen = secretary.find_button_message("➡️ Далее")
    assert "Кворума нет" in screen.text and "Присутствуют: 6 из 10" in screen.text
    assert "✅ Все присутствуют" in screen.button_labels
    await tap(secretary, "➡️ Далее")
    for _ in range(3):
        await tap(secretary, "➡️ Следующий вопрос" if _ < 2 else "➡️ Итог")
    await tap(secretary, "💾 Сохранить")
    document = await secretary.next_message()
    [row] = await _rows(kenes, CouncilSession)
    assert row.quorum is False
    text = _docx_text(document.document_bytes or b"")
    assert "ПРОТОКОЛ № 4" in text and "СЛУШАЛИ:" in text and "ПОСТАНОВИЛИ:" in text
    assert "Кворума нет" in text
    assert "Отсутствовали: Бердалина М.Н., Ильясова С.М., Муканова А.Ж., Нугиманова М.К." in text
    assert "Информацию принять к сведению." in text
    assert "Секретарь" in text and "Председатель совета" in text


async def test_flagged_cases_are_an_item_counted_and_named_only_in_the_closed_appendix(
    kenes: Kenes,
) -> None:
    async with kenes.pool() as session:
        for name, klass in (("Сапаров Ерлан", "7Ә"), ("Ким Олег", "9Б")):
            session.add(Student(full_name=name, class_name=klass, for_council=True))
        await session.commit()
    user = await _set_date(kenes)
    kenes.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=TZ))
    # The chair recorded it herself (no secretary): the cases are item 4; she asks for names.
    async with kenes.pool() as session:
        cases = await students.council_cases(session)
    assert len(cases) == 2
    await user.command("/sessions")
    await user.next_message()
    await tap(user, "📅 №4")
    screen = user.last_bot_message
    assert screen is not None and "4. Кеңеске ұсынылған жағдайлар (3.5): 2 оқушы" in screen.text
    await tap(user, "📝 Отырысты жазу")
    await tap(user, "➡️ Әрі қарай")
    for _ in range(3):
        await tap(user, "➡️ Келесі мәселе")
    cases_item = user.last_bot_message
    assert cases_item is not None and "2 оқушы" in cases_item.text
    assert "Сапаров" not in cases_item.text
    await user.send("Сапаров Е. мектепішілік есепке алынсын")
    await user.next_message()
    await tap(user, "👥 директор орынбасары")
    await tap(user, "➡️ Қорытынды")
    await tap(user, "🔒 Жабық қосымша (аты-жөндер): жоқ")
    await tap(user, "💾 Сақтау")
    document = await user.next_message()
    [call] = kenes.fake.calls_to("sendDocument")
    assert call.get("protect_content") in (True, "true")  # names: protected
    text = _docx_text(document.document_bytes or b"")
    body, appendix = text.split("ЖАБЫҚ ҚОСЫМША")
    assert "2 оқушы (7Ә — 1, 9Б — 1)" in body
    assert "Сапаров Ерлан" not in body and "Ким Олег" not in body
    assert "Сапаров Ерлан" in appendix and "Ким Олег" in appendix
    # The reviewed cases leave the agenda.
    async with kenes.pool() as session:
        assert await students.council_cases(session) == []


async def test_a_draft_survives_a_restart(
    fakegram: FakeTelegram, db_url: str, clock: ManualClock
) -> None:
    async with kenes_app(fakegram, db_url, clock) as kenes:
        secretary = await _secretary(kenes)
        await _set_date(kenes)
        kenes.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=TZ))
        await secretary.command("/sessions")
        await secretary.next_message()
        await tap(secretary, "📅 №4")
        await tap(secretary, "📝 Отырысты жазу")
        await tap(secretary, "☑️ Ильясова С.М.")
        await tap(secretary, "➡️ Әрі қарай")
        await secretary.send("Бірінші шешім")
        await secretary.next_message()
        await tap(secretary, "Утешова А.К.")
    [draft] = await _draft_rows(db_url)
    assert draft.data["step"] == "item" and len(draft.data["items"][0]["decisions"]) == 1

    # A new process on the same database: typed text and the old buttons go on.
    async with kenes_app(fakegram, db_url, clock) as kenes:
        await secretary.send("Екінші шешім")
        owner = await secretary.next_message()
        assert "Екінші шешім" in owner.text and "Кім жауапты" in owner.text
        await tap(secretary, "— Жауапсыз")
        await tap(secretary, "➡️ Келесі мәселе")
        await tap(secretary, "➡️ Келесі мәселе")
        await tap(secretary, "➡️ Қорытынды")
        await tap(secretary, "💾 Сақтау")
        await secretary.next_message()  # the minutes
        decisions = sorted(await _rows(kenes, Decision), key=lambda d: d.id)
        assert [d.text for d in decisions] == ["Бірінші шешім", "Екінші шешім"]
        attended = {a.person_id for a in await _rows(kenes, SessionAttendance)}
        assert (await kenes.person("ilyasova-sm")).id not in attended
        assert len(attended) == 9


async def _draft_rows(db_url: str) -> list[SessionDraft]:
    from db.engine import create_engine, create_session_pool

    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            return list((await session.exec(select(SessionDraft))).all())
    finally:
        await engine.dispose()


async def test_a_recorded_session_can_be_edited_and_a_stale_step_is_refused(kenes: Kenes) -> None:
    secretary = await _secretary(kenes)
    await _set_date(kenes)
    kenes.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=TZ))
    await secretary.command("/sessions")
    await secretary.next_message()
    await tap(secretary, "📅 №4")
    await tap(secretary, "📝 Отырысты жазу")
    listing = secretary.find_button_message("➡️ Әрі қарай")
    await tap(secretary, "➡️ Әрі қарай")
    # A button of an earlier step: stale, nothing changes.
    await secretary.tap_data(listing, "c1:ao:4:")
    assert "ескірген" in ((await secretary.next_callback_answer()).text or "")
    await secretary.send("Шешім")
    await secretary.next_message()
    await tap(secretary, "Утешова А.К.")
    for label in ("➡️ Келесі мәселе", "➡️ Келесі мәселе", "➡️ Қорытынды", "💾 Сақтау"):
        await tap(secretary, label)
    await secretary.next_message()
    await tap(secretary, "✏️ Өзгерту")
    await tap(secretary, "☑️ Утешова А.К.")
    await tap(secretary, "➡️ Әрі қарай")
    for label in ("➡️ Келесі мәселе", "➡️ Келесі мәселе", "➡️ Қорытынды", "💾 Сақтау"):
        await tap(secretary, label)
    await secretary.next_message()
    assert len(await _rows(kenes, Decision)) == 1  # kept, not taken twice
    assert len(await _rows(kenes, SessionAttendance)) == 9
    assert "session.edit" in [a.action for a in await _rows(kenes, AuditLog)]
    people = {p.id: p.name for p in await _rows(kenes, Person)}
    assert "Утешова А.К." not in {
        people[a.person_id] for a in await _rows(kenes, SessionAttendance)
    }
