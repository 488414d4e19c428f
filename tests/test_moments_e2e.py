"""One message per moment, the weekly check-in of routine duties, replies in words (#12).

The production dispatcher polling the strict fake Telegram, the real database, the seed plan, a
hand-set clock; `tick` is called directly and the outbox drained by hand. In Kazakh and Russian.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.services import staff
from db.models import (
    Evidence,
    MessageItem,
    Reminder,
    ReminderState,
    Report,
    ReportEvent,
    ReportStatus,
)
from db.models import Occurrence as OccurrenceRow
from fakegram import FakeTelegram
from fakegram.chats import FakeMessage, FakeUser
from tests.conftest import TZ
from tests.harness import Kenes, kenes_app, tap, tick_and_send, unread

SP = "amangeldi-sm"  # the social pedagogue: many "all year" items
PSYCH = "rakhimzhanova-ar"

WORDS = {
    "kk": {
        "done_all": "✅ Барлығы орындалды",
        "all_marked": "Барлығы орындалды деп белгіленді",
        "yes": "✅ Иә, күн сайын",
        "missed": "📝 Өткізілген күндер…",
        "save": "💾 Сақтау",
        "back": "⬅️ Артқа",
        "tue": "▫️ сс 24",
        "wed": "▫️ ср 25",
        "undo": "↩️ Болдырмау",
        "done_word": "дайын",
        "mark_done": "✅ Орындалды деп белгілеу",
        "saved": "Жазылды.",
    },
    "ru": {
        "done_all": "✅ Всё выполнено",
        "all_marked": "Всё отмечено выполненным",
        "yes": "✅ Да, каждый день",
        "missed": "📝 Пропущенные дни…",
        "save": "💾 Сохранить",
        "back": "⬅️ Назад",
        "tue": "▫️ вт 24",
        "wed": "▫️ ср 25",
        "undo": "↩️ Отменить",
        "done_word": "Сделано",
        "mark_done": "✅ Отметить выполненным",
        "saved": "Записано.",
    },
}


KAZAKH = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")  # letters Russian does not have


def at(m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026 if m >= 8 else 2027, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
async def app(fakegram: FakeTelegram, db_url: str, clock: ManualClock) -> AsyncIterator[Kenes]:
    async with kenes_app(fakegram, db_url, clock) as kenes:
        yield kenes


step = tick_and_send


async def join_at(kenes: Kenes, key: str, when: datetime, lang: str) -> FakeUser:
    kenes.clock.set(when)
    user = await kenes.join(key, "Staff", language_code=lang)  # ru: the bot speaks Russian
    user.skip_messages()
    return user


async def class_teacher(kenes: Kenes, when: datetime, lang: str) -> tuple[FakeUser, int]:
    async with kenes.pool() as session:
        person = await staff.add_person(
            session, "Сейткалиева Б.Қ.", ["class_teacher"], by=None, now=when, class_name="7Ә"
        )
        await session.commit()
    assert person.id is not None
    return await join_at(kenes, person.key, when, lang), person.id


fresh = unread


def rows(message: FakeMessage) -> list[list[str]]:
    return message.buttons


# --- one message per moment -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_half_year_week_is_one_message_with_a_row_per_item(
    app: Kenes, lang: str
) -> None:
    w = WORDS[lang]
    sp = await join_at(app, SP, at(12, 1, 10), lang)
    await step(app, at(12, 18, 9))  # whatever was due before goes now
    sp.skip_messages()
    # Monday 21 December 08:30: the half-year's "all year" items, before session №5 reviews
    # them, and the week's digest - for her, one message.
    assert await step(app, at(12, 21, 8, 30)) == 1
    (message,) = fresh(sp)
    items = [r for r in rows(message) if r[0].startswith("✅ ") and r != [w["done_all"]]]
    assert len(items) >= 5, message.render()
    assert rows(message)[-1] == [w["done_all"]]
    assert all(len(r) == 2 and r[1].startswith(("⋯ ", "📝 ")) for r in items), message.render()
    assert message.text.count("\n1. ") == 1 and "2. " in message.text
    if lang == "ru":  # the Russian screen is all Russian: titles and labels too
        assert not KAZAKH.findall(message.text + str(message.buttons)), message.render()
    # Each part is planned once under its own key (state merged), the message under one more.
    async with app.pool() as session:
        person = await app.person(SP)
        mine = (await session.exec(select(Reminder).where(Reminder.person_id == person.id))).all()
        merged = [
            r
            for r in mine
            if r.state is ReminderState.MERGED and r.created_at == at(12, 21, 8, 30)
        ]
        sent = [r for r in mine if r.telegram_message_id == message.message_id]
        links = (
            await session.exec(select(MessageItem).where(MessageItem.reminder_id == sent[0].id))
        ).all()
    assert len(sent) == 1 and sent[0].dedup_key.startswith("moment:")
    assert len(merged) >= len(items) and len(links) >= len(items)  # a check-in: its days
    assert len({r.dedup_key for r in merged}) == len(merged)
    # The clock ticks on, the bot restarts: nothing is planned twice.
    assert await step(app, at(12, 21, 8, 31)) == 0
    assert await step(app, at(12, 21, 12, 0)) == 0
    await sp.no_message()
    # One tap marks them all; the message says so and keeps no buttons.
    assert await tap(sp, w["done_all"]) == w["saved"]
    edited = sp.chat.get(message.message_id)
    assert edited is not None and w["all_marked"] in edited.text and not edited.buttons
    async with app.pool() as session:
        done = (
            await session.exec(
                select(OccurrenceRow.key)
                .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
                .where(Report.person_id == person.id, Report.status == ReportStatus.DONE)
            )
        ).all()
    assert {link.occurrence_key for link in links} <= set(done)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_item_opens_in_the_message_and_back_returns_without_what_was_done(
    app: Kenes, lang: str
) -> None:
    w = WORDS[lang]
    sp = await join_at(app, SP, at(12, 1, 10), lang)
    await step(app, at(12, 18, 9))
    sp.skip_messages()
    await step(app, at(12, 21, 8, 30))
    (message,) = fresh(sp)
    text, count = message.text, len(message.buttons)  # (the fake message changes with edits)
    first = next(r for r in rows(message) if r[1].startswith("⋯ "))
    ref = first[0].removeprefix("✅ ")
    await tap(sp, first[1])  # ⋯ 1.2: its card in the same message
    card = sp.chat.get(message.message_id)
    assert card is not None and f"{ref}." in card.text and card.buttons[-1] == [w["back"]]
    done_label = "✅ Орындалды" if lang == "kk" else "✅ Выполнено"
    assert await tap(sp, done_label) == w["saved"]
    card = sp.chat.get(message.message_id)
    assert card is not None and card.buttons[-1] == [w["back"]]  # the way back stays
    await tap(sp, w["back"])
    again = sp.chat.get(message.message_id)
    assert again is not None and again.text == text
    assert [f"✅ {ref}", f"⋯ {ref}"] not in again.buttons
    assert len(again.buttons) == count - 1


# --- the weekly check-in of a routine duty ------------------------------------------------------


async def test_a_daily_duty_is_one_friday_question_and_yes_records_the_week(app: Kenes) -> None:
    w = WORDS["kk"]
    teacher, pid = await class_teacher(app, at(11, 21, 10), "kk")  # a Saturday
    for day in (23, 24, 25, 26):  # 1.8 is daily: no card on any morning
        await step(app, at(11, day, 8, 30))
    assert not [m for m in fresh(teacher) if "1.8" in m.text]
    assert await step(app, at(11, 27, 14, 0)) == 1  # Friday 14:00
    (question,) = fresh(teacher)
    assert "1.8" in question.text and "күн сайын орындалды ма?" in question.text
    assert "23–27 қараша" in question.text
    assert question.buttons == [[w["yes"], w["missed"]]]
    yes = question.button(w["yes"])
    assert yes is not None
    await teacher.tap_data(question, yes["callback_data"])
    assert (await teacher.next_callback_answer()).text == w["saved"]
    await teacher.tap_data(question, yes["callback_data"])  # a double tap: nothing more
    assert (await teacher.next_callback_answer()).text == "Бұл бұрын жазылған."
    async with app.pool() as session:
        events = (
            await session.exec(
                select(OccurrenceRow.key)
                .join(ReportEvent, col(ReportEvent.occurrence_id) == col(OccurrenceRow.id))
                .where(ReportEvent.person_id == pid, ReportEvent.status == ReportStatus.DONE)
            )
        ).all()
    assert sorted(events) == [f"1.8@2026-11-{d}" for d in range(23, 28)]
    answered = teacher.chat.get(question.message_id)
    assert answered is not None and not answered.buttons and "апта бойы орындалды" in answered.text
    assert await step(app, at(11, 30, 8, 30)) <= 1  # Monday: the week is not asked again
    assert not [m for m in fresh(teacher) if "1.8" in m.text]


async def test_missed_days_are_ticked_with_a_reason_typed_in_russian(app: Kenes) -> None:
    w = WORDS["ru"]
    teacher, pid = await class_teacher(app, at(11, 21, 10), "ru")
    await step(app, at(11, 27, 14, 0))
    (question,) = [m for m in fresh(teacher) if "1.8" in m.text]
    assert "выполнялась каждый день?" in question.text
    assert "Контроль посещаемости" in question.text  # the duty's Russian title
    assert not KAZAKH.findall(question.text + str(question.buttons)), question.text
    await tap(teacher, w["missed"])
    pick = teacher.chat.get(question.message_id)
    assert pick is not None and "В какие дни не выполнялось?" in pick.text
    assert not KAZAKH.findall(pick.text), pick.text
    assert pick.buttons[0][:2] == ["▫️ пн 23", w["tue"]]
    await tap(teacher, w["tue"])
    await tap(teacher, w["wed"])
    pick = teacher.chat.get(question.message_id)
    assert pick is not None and "☑️ вт 24" in pick.button_labels and "☑️ ср 25" in pick.button_labels
    await teacher.send("Болела <два дня>")
    assert "Записал" in (await teacher.next_message()).text
    await tap(teacher, w["save"])
    async with app.pool() as session:
        reports = (
            await session.exec(
                select(OccurrenceRow.key, Report)
                .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
                .where(Report.person_id == pid)
            )
        ).all()
    status = {key: (r.status, r.reason) for key, r in reports}
    assert status["1.8@2026-11-24"] == (ReportStatus.CANT, "Болела <два дня>")
    assert status["1.8@2026-11-25"] == (ReportStatus.CANT, "Болела <два дня>")
    assert {status[f"1.8@2026-11-{d}"][0] for d in (23, 26, 27)} == {ReportStatus.DONE}
    saved = teacher.chat.get(question.message_id)
    assert saved is not None and "выполнено дней — 3, пропущено — 2" in saved.text
    assert not KAZAKH.findall(saved.text), saved.text


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_command_while_the_check_in_waits_for_a_reason_ends_it_and_runs(
    app: Kenes, lang: str
) -> None:
    """CommandEndsDialogue: "/tasks" typed at the missed days' reason is never the reason."""
    w = WORDS[lang]
    teacher, pid = await class_teacher(app, at(11, 21, 10), lang)
    await step(app, at(11, 27, 14, 0))
    (question,) = [m for m in fresh(teacher) if "1.8" in m.text]
    await tap(teacher, w["missed"])
    await tap(teacher, w["tue"])
    await teacher.command("/tasks")
    listing = await teacher.next_message()
    assert ("Ашық жұмыстарыңыз" if lang == "kk" else "задач") in listing.text, listing.text
    assert listing.message_id != question.message_id
    await teacher.send("Болела")  # no dialogue now: free text gets the short help
    assert "/tasks" in (await teacher.next_message()).text
    async with app.pool() as session:
        events = (await session.exec(select(ReportEvent))).all()
    assert all(e.text != "/tasks" for e in events)
    assert not [e for e in events if e.person_id == pid]  # nothing recorded for the week


# --- replies in words ------------------------------------------------------------------------


async def psych_card(kenes: Kenes, lang: str) -> tuple[FakeUser, FakeMessage]:
    """The psychologist's Monday card for her weekly talks (3.3), alone."""
    psych = await join_at(kenes, PSYCH, at(11, 20, 10), lang)
    await step(kenes, at(11, 23, 8, 30))
    cards = [m for m in fresh(psych) if "3.3" in m.text and m.buttons]
    assert len(cards) == 1, psych.transcript()
    return psych, cards[0]


async def report_of(kenes: Kenes, key: str, occ: str) -> Report | None:
    person = await kenes.person(key)
    async with kenes.pool() as session:
        return (
            await session.exec(
                select(Report)
                .join(OccurrenceRow, col(Report.occurrence_id) == col(OccurrenceRow.id))
                .where(OccurrenceRow.key == occ, Report.person_id == person.id)
            )
        ).first()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_worded_reply_marks_done_and_undo_takes_it_back(app: Kenes, lang: str) -> None:
    w = WORDS[lang]
    psych, card = await psych_card(app, lang)
    psych.skip_messages()
    await psych.send(w["done_word"], reply_to=card)
    answer = await psych.next_message()
    assert "3.3" in answer.text and answer.buttons == [[w["undo"]]]
    report = await report_of(app, PSYCH, "3.3@2026-W48")
    assert report is not None and report.status is ReportStatus.DONE
    shown = psych.chat.get(card.message_id)
    assert shown is not None and len(shown.button_labels) == 1  # only Comment is left
    await tap(psych, w["undo"])
    report = await report_of(app, PSYCH, "3.3@2026-W48")
    assert report is not None and report.status is ReportStatus.UNDONE
    shown = psych.chat.get(card.message_id)
    assert shown is not None and len(shown.button_labels) == 4  # Done is back
    # Done again (a new round: recorded, not "already done").
    await psych.send("👍🏻", reply_to=card)
    assert "3.3" in (await psych.next_message()).text
    report = await report_of(app, PSYCH, "3.3@2026-W48")
    assert report is not None and report.status is ReportStatus.DONE


async def test_other_replies_are_comments_and_files_are_evidence(app: Kenes) -> None:
    w = WORDS["ru"]
    psych, card = await psych_card(app, "ru")
    psych.skip_messages()
    await psych.send("Провела две беседы, третья в пятницу", reply_to=card)
    assert "Записал как комментарий" in (await psych.next_message()).text
    async with app.pool() as session:
        comments = (
            await session.exec(
                select(ReportEvent).where(ReportEvent.status == ReportStatus.COMMENT)
            )
        ).all()
    assert [c.text for c in comments] == ["Провела две беседы, третья в пятницу"]
    report = await report_of(app, PSYCH, "3.3@2026-W48")
    assert report is not None and report.status is ReportStatus.COMMENT  # still open
    await psych.send_photo(b"\xff\xd8 a photo", caption="список класса", reply_to=card)
    attached = await psych.next_message()
    assert "Фото прикреплено" in attached.text and attached.buttons == [[w["mark_done"]]]
    await psych.send_voice(b"OggS voice", reply_to=card)
    voice = await psych.next_message()
    assert "Голосовое сообщение прикреплено" in voice.text
    await psych.tap(w["mark_done"], attached)  # the photo's "Mark done"
    assert (await psych.next_callback_answer()).text == w["saved"]
    report = await report_of(app, PSYCH, "3.3@2026-W48")
    assert report is not None and report.status is ReportStatus.DONE
    async with app.pool() as session:
        files = (await session.exec(select(Evidence).order_by(col(Evidence.id)))).all()
    assert [(f.kind, f.occurrence_key, f.caption) for f in files] == [
        ("photo", "3.3@2026-W48", "список класса"),
        ("voice", "3.3@2026-W48", None),
    ]
    assert all(f.file_id for f in files)
    # Kept by the school like a note's file: in the attachment store, by its sha256.
    store = app.dp["attachment_store"]
    assert [store.read(f.sha256) for f in files] == [b"\xff\xd8 a photo", b"OggS voice"]
    assert [f.size for f in files] == [len(b"\xff\xd8 a photo"), len(b"OggS voice")]


async def test_a_reply_to_a_message_of_several_items_asks_which_one(app: Kenes) -> None:
    sp = await join_at(app, SP, at(12, 1, 10), "kk")
    await step(app, at(12, 18, 9))
    sp.skip_messages()
    await step(app, at(12, 21, 8, 30))
    (message,) = fresh(sp)
    await sp.send("Сынып жетекшілерімен кездестім", reply_to=message)
    which = await sp.next_message()
    assert "Қайсысына" in which.text and len(which.buttons) >= 5
    label = which.buttons[0][0]
    await tap(sp, label)
    assert "Пікір ретінде жазылды" in (await sp.next_message()).text
    async with app.pool() as session:
        comments = (
            await session.exec(
                select(ReportEvent).where(ReportEvent.status == ReportStatus.COMMENT)
            )
        ).all()
    assert [c.text for c in comments] == ["Сынып жетекшілерімен кездестім"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_free_text_gets_the_three_likeliest_actions(app: Kenes, lang: str) -> None:
    chair = await join_at(app, "eshkeeva-at", at(11, 20, 10), lang)
    await chair.send("Сәлеметсіз бе" if lang == "kk" else "Здравствуйте")
    text = (await chair.next_message()).text
    commands = [line.split()[0] for line in text.splitlines() if line.startswith("/")]
    assert commands == ["/status", "/tasks", "/incident"]
    assert ("Еркін мәтінді" if lang == "kk" else "Свободный текст") in text
    assert "/help" in text


async def test_a_check_in_among_other_items_answers_in_place(app: Kenes) -> None:
    """The Monday message carries last week's 1.8 check-in (Friday's tick did not run): its
    "days…" opens the toggles in the message, Back shows the whole message again, "yes"
    records the week and takes just that row away."""
    sp = await join_at(app, SP, at(12, 1, 10), "kk")
    await step(app, at(12, 18, 9))
    fresh(sp)
    await step(app, at(12, 21, 8, 30))
    (message,) = fresh(sp)
    count = len(message.buttons)
    assert ["✅ 1.8: иә", "📝 1.8: күндер…"] in message.buttons
    await tap(sp, "📝 1.8: күндер…")
    pick = sp.chat.get(message.message_id)
    assert pick is not None and "Қай күндері орындалмады?" in pick.text
    await tap(sp, "⬅️ Артқа")
    again = sp.chat.get(message.message_id)
    assert again is not None and len(again.buttons) == count
    assert await tap(sp, "✅ 1.8: иә") == "Жазылды."
    after = sp.chat.get(message.message_id)
    assert after is not None and len(after.buttons) == count - 1
    assert ["✅ 1.8: иә", "📝 1.8: күндер…"] not in after.buttons
    person = await app.person(SP)
    async with app.pool() as session:
        days = (
            await session.exec(
                select(OccurrenceRow.key)
                .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
                .where(Report.person_id == person.id, Report.status == ReportStatus.DONE)
            )
        ).all()
    # (16 December, Independence Day, is no school day: no duty that day)
    assert {f"1.8@2026-12-{d}" for d in (14, 15, 17, 18)} <= set(days), sorted(days)
