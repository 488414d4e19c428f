"""The student card, end to end: talks and home visits in the chronology, the date of birth and
the responsible person, who may do it, and a stale card refused."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from bot.callbacks import StudentAction, StudentCb
from db.models import AuditLog, Person, Student, StudentEvent, StudentEventKind
from tests.harness import Kenes, tap

NAME = "Сапаров Ерлан"


async def _student(kenes: Kenes, klass: str = "7Ә", name: str = NAME) -> int:
    async with kenes.pool() as session:
        student = Student(full_name=name, class_name=klass, created_at=kenes.clock.now())
        session.add(student)
        await session.commit()
        assert student.id is not None
        return student.id


async def _class_teacher(kenes: Kenes, klass: str):  # type: ignore[no-untyped-def]
    async with kenes.pool() as session:
        session.add(
            Person(
                key=f"ct-{klass}", name=f"Teacher {klass}", roles=["class_teacher"],
                class_name=klass,
            )
        )  # fmt: skip
        await session.commit()
    return await kenes.join(f"ct-{klass}", "Жанар", language_code="ru")


async def _open(user, sid: int) -> None:  # type: ignore[no-untyped-def]
    await user.command("/students")
    await user.next_message()
    await user.send("сапаров")
    await user.next_message()
    await tap(user, f"{NAME} · 7Ә")


async def _audit(kenes: Kenes) -> list[AuditLog]:
    async with kenes.pool() as session:
        rows = await session.exec(
            select(AuditLog)
            .where(col(AuditLog.action).in_(["student.event", "student.update"]))
            .order_by(col(AuditLog.id))
        )
        return list(rows.all())


async def test_talk_and_home_visit_go_into_the_chronology(kenes: Kenes) -> None:
    sid = await _student(kenes)
    teacher = await _class_teacher(kenes, "7Ә")  # reads their own class's card
    await _open(teacher, sid)
    await tap(teacher, "💬 Беседа")
    assert "беседа" in (await teacher.next_message()).text
    await teacher.send("   ")
    assert "пустой" in (await teacher.next_message()).text
    await teacher.send("Поговорили о пропусках <b>и</b> о режиме дня")
    assert (await teacher.next_message()).button_labels == ["📅 Сегодня", "📅 Вчера"]
    await tap(teacher, "📅 Вчера")
    assert "Добавлено в хронологию: беседа, 23.11.2026" in teacher.last_bot_message.text
    card = await teacher.next_message()
    # Shown as typed: the strict fake Telegram would have parsed unescaped tags away.
    assert "23.11.2026 · беседа: Поговорили о пропусках <b>и</b> о режиме дня" in card.text

    await tap(teacher, "🏠 Посещение на дому")
    await teacher.next_message()
    await teacher.send("Мама дома, условия удовлетворительные")
    await teacher.next_message()
    await teacher.send("31.02")
    assert "Дата не понята" in (await teacher.next_message()).text
    await teacher.send("20.11")
    assert "посещение на дому, 20.11.2026" in (await teacher.next_message()).text
    card = await teacher.next_message()
    assert "20.11.2026 · посещение на дому: Мама дома" in card.text
    assert card.text.index("беседа") < card.text.index("посещение на дому")  # newest first

    # The day buttons of a finished dialogue do nothing.
    answer = await tap(teacher, "📅 Сегодня")
    assert answer is not None and "устарела" in answer

    async with kenes.pool() as session:
        events = (await session.exec(select(StudentEvent).order_by(col(StudentEvent.at)))).all()
        author = await kenes.person("ct-7Ә")
    assert [(e.kind, e.at.date(), e.author_person_id) for e in events] == [
        (StudentEventKind.HOME_VISIT, date(2026, 11, 20), author.id),
        (StudentEventKind.TALK, date(2026, 11, 23), author.id),
    ]
    assert events[1].text == "Поговорили о пропусках <b>и</b> о режиме дня"
    audit = await _audit(kenes)
    assert [(a.action, a.target, a.details["kind"]) for a in audit] == [
        ("student.event", f"student:{sid}", "talk"),
        ("student.event", f"student:{sid}", "home_visit"),
    ]
    assert all("Ерлан" not in str(a.details) and "Мама" not in str(a.details) for a in audit)


async def test_date_of_birth_is_checked_and_responsible_picked(kenes: Kenes) -> None:
    sid = await _student(kenes)
    await _class_teacher(kenes, "7Ә")
    await _class_teacher(kenes, "8Б")
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await _open(pedagogue, sid)
    await tap(pedagogue, "🎂 Дата рождения")
    assert "ДД.ММ.ГГГГ" in (await pedagogue.next_message()).text
    for bad in ("05.03", "31.02.2014", "01.01.2024", "01.01.1990", "завтра"):
        await pedagogue.send(bad)
        assert "не принята" in (await pedagogue.next_message()).text, bad
    async with kenes.pool() as session:
        student = await session.get(Student, sid)
        assert student is not None and student.birth_date is None and student.version == 1
    await pedagogue.send("05.03.2013")
    assert (await pedagogue.next_message()).text == "Сохранено."
    card = await pedagogue.next_message()
    assert "Дата рождения: 05.03.2013" in card.text

    await tap(pedagogue, "👤 Ответственный")
    labels = pedagogue.last_bot_message.button_labels
    assert "Teacher 7Ә" in labels and "Teacher 8Б" not in labels  # their own class's teacher
    assert "Амангелді С.М." in labels and "Рахимжанова А.Р." in labels
    await tap(pedagogue, "Рахимжанова А.Р.")
    assert "Ответственный: Рахимжанова А.Р." in pedagogue.last_bot_message.text
    async with kenes.pool() as session:
        student = await session.get(Student, sid)
        psych = await kenes.person("rakhimzhanova-ar")
    assert student is not None
    assert student.birth_date == date(2013, 3, 5) and student.responsible_person_id == psych.id
    assert student.version == 3
    audit = await _audit(kenes)
    assert [(a.action, a.details["fields"]) for a in audit] == [
        ("student.update", ["birth_date"]),
        ("student.update", ["responsible_person_id"]),
    ]
    # A forged choice of someone who may not answer for the student: nothing changes.
    other = await kenes.person("ct-8Б")
    await pedagogue.tap_data(
        pedagogue.last_bot_message,
        StudentCb(action=StudentAction.RESPONSIBLE_SET, id=sid, ver=3, id2=other.id or 0).pack(),
    )
    await pedagogue.next_callback_answer()
    async with kenes.pool() as session:
        student = await session.get(Student, sid)
    assert student is not None and student.responsible_person_id == psych.id


async def test_a_stale_card_is_refused(kenes: Kenes) -> None:
    sid = await _student(kenes)
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    deputy = await kenes.join("mukanova-azh", "Алма", language_code="ru")
    for user in (pedagogue, deputy):
        await _open(user, sid)
    await tap(pedagogue, "🏛 На совет")  # the card moves on to version 2
    answer = await tap(deputy, "🎂 Дата рождения")
    assert answer is not None and "изменил другой сотрудник" in answer
    answer = await tap(deputy, "👤 Ответственный")
    assert answer is not None and "изменил другой сотрудник" in answer
    # A menu opened on the old card, then the card changes: the choice is refused.
    await _open(deputy, sid)
    await tap(deputy, "👤 Ответственный")
    await tap(pedagogue, "🏛 Снять с совета")
    answer = await tap(deputy, "Рахимжанова А.Р.")
    assert answer is not None and "изменил другой сотрудник" in answer
    # Typed after the card changed: refused too.
    await _open(deputy, sid)
    await tap(deputy, "🎂 Дата рождения")
    await deputy.next_message()
    await tap(pedagogue, "🏛 На совет")
    await deputy.send("05.03.2013")
    assert "изменил другой" in (await deputy.next_message()).text
    async with kenes.pool() as session:
        student = await session.get(Student, sid)
    assert student is not None
    assert student.birth_date is None and student.responsible_person_id is None
    assert [a.action for a in await _audit(kenes)] == ["student.update"] * 3  # the flags only


async def test_a_class_teacher_of_another_class_can_do_none_of_it(kenes: Kenes) -> None:
    sid = await _student(kenes)
    teacher = await _class_teacher(kenes, "8Б")
    await teacher.command("/students")
    await teacher.next_message()
    screen = teacher.last_bot_message
    for action in (StudentAction.TALK, StudentAction.VISIT, StudentAction.BIRTH,
                   StudentAction.RESPONSIBLE):  # fmt: skip
        await teacher.tap_data(screen, StudentCb(action=action, id=sid, ver=1).pack())
        assert "нет прав" in ((await teacher.next_callback_answer()).text or ""), action
    psych = await kenes.person("rakhimzhanova-ar")
    await teacher.tap_data(
        screen,
        StudentCb(action=StudentAction.RESPONSIBLE_SET, id=sid, ver=1, id2=psych.id or 0).pack(),
    )
    assert "нет прав" in ((await teacher.next_callback_answer()).text or "")
    await teacher.no_message()
    async with kenes.pool() as session:
        student = await session.get(Student, sid)
        events = (await session.exec(select(StudentEvent))).all()
    assert student is not None and student.version == 1 and student.responsible_person_id is None
    assert events == [] and await _audit(kenes) == []
