"""A dialogue survives kill -9: the real process (`python -m bot run`) against the strict fake
Telegram, on the suite's database. A social pedagogue is half-way through an incident note when
the process is killed; a new process starts, and she carries on where she was."""

from __future__ import annotations

import signal
from datetime import UTC, datetime

from sqlmodel import col, select

from bot.services import staff
from bot.states import IncidentForm
from db.engine import create_engine, create_session_pool
from db.models import FsmState, Incident, IncidentVersion, Person, Student
from fakegram import FakeTelegram, FakeUser
from fakegram.chats import FakeMessage
from tests.harness import seed_plan
from tests.process import BotProcesses

NAME = "Сапаров Ерлан"
SECRET = "Ерлан ударил одноклассника на перемене, разбита губа"
WAIT_S = 30.0  # the first answers of a freshly started process on a busy machine


async def prepare(db_url: str) -> str:
    """The plan's people, two students, and an invite for the social pedagogue."""
    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            await staff.sync_people(session, seed_plan())
            session.add_all(
                [
                    Student(full_name=NAME, class_name="7Ә"),
                    Student(full_name="Ахметова Дана", class_name="7Ә"),
                ]
            )
            await session.commit()
            pedagogue = (
                await session.exec(select(Person).where(Person.key == "amangeldi-sm"))
            ).one()
            return await staff.create_invite(session, pedagogue, by=None, now=datetime.now(UTC))
    finally:
        await engine.dispose()


async def said(user: FakeUser, fragment: str) -> FakeMessage:
    """The bot's next message to `user` containing `fragment` (a reminder may come between:
    this process runs on the real clock, with its scheduler)."""
    while True:
        message = await user.next_message(timeout=WAIT_S)
        if fragment in (message.text or ""):
            return message


async def tap(user: FakeUser, label: str) -> None:
    await user.tap(label)
    await user.next_callback_answer(timeout=WAIT_S)


async def test_kill_9_in_the_middle_of_a_note_and_the_user_carries_on(
    fakegram: FakeTelegram, db_url: str, bot_processes: BotProcesses
) -> None:
    # The killed process's long poll is still open when the new one polls: the server ends it
    # with Telegram's 409 (nobody is there to read it).
    fakegram.allow("terminated by other getUpdates request")
    token = await prepare(db_url)
    state = fakegram.bots[fakegram.token]
    first = await bot_processes.start("run", db_url=db_url)

    pedagogue = fakegram.user(first_name="Сания", language_code="ru")
    await pedagogue.command("/start", token)
    await said(pedagogue, "Амангелді")
    await pedagogue.command("/incident")
    await said(pedagogue, "О ком запись")
    for label in ["7Ә", f"{NAME} · 7Ә", "драка/насилие"]:
        await tap(pedagogue, label)
    # The tap is handled and its update confirmed (the process polls on), then: kill -9.
    await fakegram.wait_until(lambda: not state.updates, WAIT_S)
    assert await first.kill() == -signal.SIGKILL

    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            saved = (
                await session.exec(select(FsmState).where(FsmState.user_id == pedagogue.id))
            ).one()
    finally:
        await engine.dispose()
    assert saved.state == IncidentForm.text.state
    assert '"category":"fight"' in saved.data

    second = await bot_processes.start("run", db_url=db_url)
    await pedagogue.send(SECRET)  # the note's text: the step she was at
    confirm = await said(pedagogue, "драка/насилие")
    assert NAME in (confirm.text or "")
    await tap(pedagogue, "✅ Сохранить · сейчас")
    assert "Запись №1 сохранена" in (pedagogue.last_bot_message.text or "")
    assert await second.stop() == 0

    engine = create_engine(db_url)
    try:
        async with create_session_pool(engine)() as session:
            note = (await session.exec(select(Incident))).one()
            version = (await session.exec(select(IncidentVersion))).one()
            left = await session.exec(select(FsmState).where(col(FsmState.state).is_not(None)))
            assert left.all() == []  # the finished dialogue left no state behind
    finally:
        await engine.dispose()
    assert note.category == "fight" and version.text == SECRET

    for process in (first, second):
        output = process.output()
        assert "Traceback" not in output, output
        for secret in (NAME, "Ерлан", SECRET, token):
            assert secret not in output
