"""Incident notes and the register, end to end: real polling, the strict fake Telegram, the real
database, a hand-set clock."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.callbacks import IncidentAction, IncidentCb
from bot.scheduler.outbox import Outbox, telegram_length
from db.models import (
    AuditLog,
    Incident,
    IncidentVersion,
    Person,
    RegisterStatus,
    Reminder,
    Student,
    StudentEvent,
)
from tests.harness import Kenes, tap

NAME = "Сапаров Ерлан"
SECRET = "Ерлан ударил одноклассника на перемене, разбита губа"


async def _students(kenes: Kenes, *rows: tuple[str, str]) -> list[int]:
    async with kenes.pool() as session:
        made = [Student(full_name=n, class_name=c, created_at=kenes.clock.now()) for n, c in rows]
        session.add_all(made)
        await session.commit()
        return [s.id for s in made]  # type: ignore[misc]


async def _class_teacher(kenes: Kenes, klass: str, first_name: str = "Жанар"):  # type: ignore[no-untyped-def]
    async with kenes.pool() as session:
        session.add(
            Person(
                key=f"ct-{klass}",
                name=f"Teacher {klass}",
                roles=["class_teacher"],
                class_name=klass,
            )
        )
        await session.commit()
    return await kenes.join(f"ct-{klass}", first_name, language_code="ru")


async def _drain(kenes: Kenes) -> None:
    outbox = Outbox(
        kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0, holder="t"
    )
    await outbox.drain()


async def test_quick_note_in_four_taps_notifies_without_name_and_never_logs_it(
    kenes: Kenes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _students(kenes, (NAME, "7Ә"), ("Ахметова Дана", "7Ә"), ("Ким Олег", "8Б"))
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    psych = await kenes.join("rakhimzhanova-ar", "Айгүл")
    deputy = await kenes.join("mukanova-azh", "Алма", language_code="ru")
    librarian = await kenes.join("bisenbaeva-gd", "Гүлнар")

    await pedagogue.command("/incident")
    assert "О ком запись" in (await pedagogue.next_message()).text
    taps = 0
    for label in ["7Ә", f"{NAME} · 7Ә", "драка/насилие"]:
        await tap(pedagogue, label)
        taps += 1
    await pedagogue.send(SECRET)
    confirm = await pedagogue.next_message()
    assert (
        NAME in confirm.text
        and "драка/насилие" in confirm.text
        and "сейчас (09:00)" in confirm.text
    )
    await tap(pedagogue, "✅ Сохранить · сейчас")
    taps += 1
    assert taps == 4
    saved = pedagogue.last_bot_message
    assert "Запись №1 сохранена" in saved.text and "2 человека" in saved.text

    async with kenes.pool() as session:
        note = (await session.exec(select(Incident))).one()
        version = (await session.exec(select(IncidentVersion))).one()
        rows = (await session.exec(select(Reminder).order_by(col(Reminder.chat_id)))).all()
    assert note.category == "fight" and version.text == SECRET and version.version == 1
    assert note.occurred_at == kenes.clock.now()
    assert {r.chat_id for r in rows} == {psych.id, deputy.id}  # not the author, not the librarian
    for row in rows:
        assert NAME not in row.text and "Ерлан" not in row.text and "губа" not in row.text

    await _drain(kenes)
    notice = await deputy.next_message()
    assert notice.text == "🔔 Новая запись №1 · драка/насилие · 7Ә"
    psych_notice = await psych.next_message()
    assert psych_notice.text == "🔔 Жаңа жазба №1 · төбелес/зорлық · 7Ә"
    await librarian.no_message()

    await tap(deputy, "Открыть №1")
    opened = deputy.last_bot_message
    assert NAME in opened.text and SECRET in opened.text and "Амангелді" in opened.text
    async with kenes.pool() as session:
        audit = (
            await session.exec(
                select(AuditLog)
                .where(col(AuditLog.action).like("incident.%"))
                .order_by(col(AuditLog.id))
            )
        ).all()
    assert [a.action for a in audit] == ["incident.create", "incident.open"]
    assert all(NAME not in str(a.details) and "Ерлан" not in str(a.details) for a in audit)

    # The librarian forges the button: nothing.
    await librarian.tap_data(
        librarian.chat.visible[-1].message_id,
        IncidentCb(action=IncidentAction.OPEN, id=note.id or 0).pack(),
    )
    assert "нет прав" in ((await librarian.next_callback_answer()).text or "") or "рұқсат" in (
        librarian.callback_answers[-1].text or ""
    )
    await librarian.command("/incident")
    assert "рұқсатыңыз жоқ" in (await librarian.next_message()).text

    # Everything at the production level (INFO and up), and our own and aiogram's debug lines.
    # (aiosqlite's DEBUG lines carry SQL parameters: never run production at DEBUG for it.)
    logged = "\n".join(
        r.getMessage() + (r.exc_text or "")
        for r in caplog.records
        if not r.name.startswith("fakegram")
        and (r.levelno >= logging.INFO or r.name.startswith(("bot", "aiogram")))
    )
    assert logged  # something was logged at all
    for secret in (NAME, "Ерлан", SECRET, "губа"):
        assert secret not in logged


async def test_new_student_bad_class_namesake_html_and_abandoned_dialogue(kenes: Kenes) -> None:
    odd = "<b>Әли</b> 🙂 & Co"
    await _students(kenes, (odd, "5А"))
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await pedagogue.command("/incident")
    await pedagogue.next_message()
    await tap(pedagogue, "➕ Новый ученик")
    await pedagogue.send("Иванов Иван 12Z")
    assert "Такого класса нет" in (await pedagogue.next_message()).text
    await pedagogue.send(f"{odd} 5 а")
    question = await pedagogue.next_message()
    assert f"В классе 5А уже есть «{odd}»" in question.text
    await tap(pedagogue, "➕ Другой ученик, добавить")
    assert odd in pedagogue.last_bot_message.text
    await tap(pedagogue, "другое")
    await pedagogue.send("   ")
    assert "Запись пустая" in (await pedagogue.next_message()).text
    await pedagogue.send("<i>курил</i> за школой")
    await pedagogue.next_message()
    await tap(pedagogue, "📅 Вчера")
    assert "23.11.2026" in pedagogue.last_bot_message.text
    await tap(pedagogue, "✅ Сохранить")
    async with kenes.pool() as session:
        same = (await session.exec(select(Student).where(Student.full_name == odd))).all()
        note = (await session.exec(select(Incident))).one()
        text = (await session.exec(select(IncidentVersion.text))).one()
    assert len(same) == 2 and note.student_id == max(s.id or 0 for s in same)
    assert text == "<i>курил</i> за школой"
    assert note.occurred_at.astimezone(kenes.calendar.tz).day == 23

    # Abandoned half-way: nothing stored; the old confirm button is dead.
    await pedagogue.command("/incident")
    await pedagogue.next_message()
    await tap(pedagogue, "➕ Новый ученик")
    await pedagogue.send("Новенький Ученик 6Б")
    await pedagogue.next_message()
    await tap(pedagogue, "буллинг")
    await pedagogue.send("текст")
    await pedagogue.next_message()
    await pedagogue.command("/cancel")
    assert "Отменено" in (await pedagogue.next_message()).text
    answer = await tap(pedagogue, "✅ Сохранить · сейчас")
    assert answer is not None and "уже завершён" in answer
    async with kenes.pool() as session:
        assert len((await session.exec(select(Student))).all()) == 2
        assert len((await session.exec(select(Incident))).all()) == 1


async def test_long_note_is_stored_whole_and_shown_in_parts(kenes: Kenes) -> None:
    await _students(kenes, (NAME, "7Ә"))
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    reader = await kenes.join("rakhimzhanova-ar", "Айгүл", language_code="ru")
    words = "драка <b>&amp; ссора</b> 🙂 "
    long_text = (words * 400)[:10_000]
    await pedagogue.command("/incident")
    await pedagogue.next_message()
    await tap(pedagogue, "7Ә")
    await tap(pedagogue, f"{NAME} · 7Ә")
    await tap(pedagogue, "буллинг")
    await pedagogue.send(long_text)
    assert "10000 символов" in (await pedagogue.next_message()).text
    await tap(pedagogue, "✅ Сохранить · сейчас")
    async with kenes.pool() as session:
        assert (await session.exec(select(IncidentVersion.text))).one() == long_text
    await _drain(kenes)
    await reader.next_message()
    before = len(reader.inbox)
    await tap(reader, "Открыть №1")
    parts = [m.text for m in reader.inbox[before:] if m.from_bot]
    assert len(parts) == 3
    assert all(telegram_length(p) <= 4096 for p in parts)
    shown = "".join(parts)
    assert (
        shown.replace(" ", "")
        .replace("\n", "")
        .endswith(long_text.replace(" ", "").replace("\n", ""))
    )


async def test_author_corrects_within_24_hours_and_every_version_is_kept(kenes: Kenes) -> None:
    await _students(kenes, (NAME, "7Ә"))
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    deputy = await kenes.join("mukanova-azh", "Алма", language_code="ru")
    await pedagogue.command("/incident")
    await pedagogue.next_message()
    await tap(pedagogue, "7Ә")
    await tap(pedagogue, f"{NAME} · 7Ә")
    await tap(pedagogue, "пропуски/прогулы")
    await pedagogue.send_document("spravka.pdf", b"%PDF-1.4 test", caption="Не был 3 дня")
    await pedagogue.next_message()
    await tap(pedagogue, "✅ Сохранить · сейчас")
    await tap(pedagogue, "✏️ Исправить")
    assert "Прежний сохранится" in (await pedagogue.next_message()).text
    await pedagogue.send("Не был 4 дня, справки нет")
    assert "версия 2" in (await pedagogue.next_message()).text

    # Someone else cannot correct it; nor can the author after 24 hours.
    await _drain(kenes)
    await deputy.next_message()
    await tap(deputy, "Открыть №1")
    assert "Не был 4 дня" in deputy.bot_messages[-2].text
    assert "версия 2" in deputy.bot_messages[-2].text
    document = deputy.last_bot_message
    assert document.document_bytes == b"%PDF-1.4 test"
    assert "✏️ Исправить" not in deputy.bot_messages[-2].button_labels
    kenes.clock.advance(timedelta(hours=25))
    answer = await tap(pedagogue, "✏️ Исправить")
    assert answer is not None and "24" in answer
    async with kenes.pool() as session:
        texts = (
            await session.exec(select(IncidentVersion.text).order_by(col(IncidentVersion.version)))
        ).all()
        note = (await session.exec(select(Incident))).one()
    assert texts == ["Не был 3 дня", "Не был 4 дня, справки нет"]
    assert note.attachment_kind == "document"


async def test_class_teacher_sees_own_class_only_and_card_openings_are_audited(
    kenes: Kenes,
) -> None:
    own, other = await _students(kenes, (NAME, "7Ә"), ("Ким Олег", "8Б"))
    teacher = await _class_teacher(kenes, "7Ә")
    await teacher.command("/incident")
    pick = await teacher.next_message()
    assert pick.button_labels == [f"{NAME} · 7Ә", "➕ Новый ученик"]
    await teacher.send("Ким")
    assert "никого не нашлось" in (await teacher.next_message()).text
    await teacher.command("/students")
    await teacher.next_message()
    await tap(teacher, f"{NAME} · 7Ә")
    assert "Учёт: не состоит" in teacher.last_bot_message.text
    assert "🏷 Учёт" not in teacher.last_bot_message.button_labels  # not a register decision
    # A forged button for the other class's card: refused, and the attempt is audited.
    from bot.callbacks import StudentAction, StudentCb

    await teacher.tap_data(
        teacher.last_bot_message, StudentCb(action=StudentAction.CARD, id=other).pack()
    )
    assert "нет прав" in ((await teacher.next_callback_answer()).text or "")
    async with kenes.pool() as session:
        rows = (
            await session.exec(select(AuditLog).where(col(AuditLog.action).like("student.open%")))
        ).all()
    assert [(r.action, r.target) for r in rows] == [
        ("student.open", f"student:{own}"),
        ("student.open_denied", f"student:{other}"),
    ]


async def test_two_staff_change_one_card_at_once_no_lost_update(kenes: Kenes) -> None:
    (sid,) = await _students(kenes, (NAME, "7Ә"))
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    deputy = await kenes.join("mukanova-azh", "Алма", language_code="ru")
    for user in (pedagogue, deputy):
        await user.command("/students")
        await user.next_message()
        await user.send("сапаров")
        await user.next_message()
        await tap(user, f"{NAME} · 7Ә")
    await tap(pedagogue, "🏷 Учёт")
    await tap(pedagogue, "группа риска")
    await tap(pedagogue, "Без заседания")
    assert "Учёт: группа риска" in pedagogue.last_bot_message.text
    assert "изменение учёта: не состоит → группа риска" in pedagogue.last_bot_message.text
    # The deputy's screen is older: their change is refused, not applied over it.
    answer = await tap(deputy, "🏛 На совет")
    assert answer is not None and "изменил другой сотрудник" in answer
    await tap(deputy, "👪 Семья")
    await deputy.next_message()
    await deputy.send("Неполная семья")
    assert "изменил другой" in (await deputy.next_message()).text
    async with kenes.pool() as session:
        student = await session.get(Student, sid)
        events = (await session.exec(select(StudentEvent))).all()
    assert student is not None
    assert student.register_status is RegisterStatus.RISK_GROUP
    assert student.registered_at is not None and student.registered_at.isoformat() == "2026-11-24"
    assert not student.for_council and student.family_notes is None and student.version == 2
    assert len(events) == 1
    # Reopened, the deputy's change goes through.
    await deputy.command("/students")
    await deputy.next_message()
    await deputy.send("7Ә")
    await deputy.next_message()
    await tap(deputy, f"{NAME} · 7Ә")
    await tap(deputy, "🏛 На совет")
    assert "🏛 Будет рассмотрен на следующем совете" in deputy.last_bot_message.text
