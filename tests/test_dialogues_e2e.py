"""Dialogues are safe: a command typed while the bot waits for a text ends the dialogue and runs
(never saved as a reason, a comment, a name, a date or a note); /cancel works in every state.

Every state of `bot.states` is tested (the list is read from the module, so a new state is
covered the day it is added), through the production dispatcher against the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlmodel import select

from bot import states as states_module
from bot.clock import ManualClock
from bot.scheduler.jobs import AppContext, tick
from bot.scheduler.outbox import Outbox
from db.models import Person, Report, ReportEvent
from fakegram import FakeTelegram
from fakegram.chats import FakeUser
from tests.conftest import TZ
from tests.harness import Kenes, kenes_app


def all_states() -> list[State]:
    found: list[State] = []
    for value in vars(states_module).values():
        if isinstance(value, type) and issubclass(value, StatesGroup) and value is not StatesGroup:
            found.extend(value.__all_states__)
    return found


STATES = all_states()
ALL_ROLES = ["admin", "chair", "social_pedagogue", "class_teacher", "secretary"]
DOC_MENU = {"kk": "Кеңес құжаттары", "ru": "Документы совета"}
CANCELLED = {"kk": "Тоқтатылды.", "ru": "Отменено."}


@pytest.fixture
async def app(fakegram: FakeTelegram, db_url: str, clock: ManualClock) -> AsyncIterator[Kenes]:
    async with kenes_app(fakegram, db_url, clock) as kenes:
        yield kenes


async def everyone(app: Kenes, lang: str) -> FakeUser:
    """The chair, given every role that has a dialogue (so every state's handler could match)."""
    async with app.pool() as session:
        person = (await session.exec(select(Person).where(Person.key == "eshkeeva-at"))).one()
        person.roles = ALL_ROLES
        person.class_name = "7Ә"
        session.add(person)
        await session.commit()
    user = await app.join("eshkeeva-at", "Айнұр", language_code=lang)
    if lang == "ru":
        await user.command("/language")
        await user.next_message()
        await user.tap("Русский")
        await user.next_callback_answer()
    return user


def key_of(app: Kenes, user: FakeUser) -> StorageKey:
    return StorageKey(bot_id=app.bot.id, chat_id=user.id, user_id=user.id)


def test_every_state_is_listed() -> None:
    assert len(STATES) >= 20
    assert states_module.TaskForm.cant in STATES and states_module.TaskForm.comment in STATES


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_command_ends_any_dialogue_and_runs(app: Kenes, lang: str) -> None:
    user = await everyone(app, lang)
    storage = app.dp.fsm.storage
    for state in STATES:
        await storage.set_state(key_of(app, user), state)
        await storage.set_data(key_of(app, user), {"num": 4, "occ": "1.1@2026-09"})
        await user.command("/documents")
        reply = await user.next_message()
        assert DOC_MENU[lang] in reply.text, f"{state.state}: {reply.text!r}"
        assert await storage.get_state(key_of(app, user)) is None, state.state
        assert await storage.get_data(key_of(app, user)) == {}, state.state
    await user.no_message()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_cancel_works_in_every_state(app: Kenes, lang: str) -> None:
    user = await everyone(app, lang)
    storage = app.dp.fsm.storage
    for state in STATES:
        await storage.set_state(key_of(app, user), state)
        await user.command("/cancel")
        assert (await user.next_message()).text == CANCELLED[lang], state.state
        assert await storage.get_state(key_of(app, user)) is None, state.state
    await user.no_message()


def at(m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=TZ)


async def reminder_for(app: Kenes, user: FakeUser, now: datetime) -> None:
    app.clock.set(now)
    ctx = app.dp.workflow_data["app_context"]
    assert isinstance(ctx, AppContext)
    await tick(ctx, now)
    outbox = Outbox(
        app.bot, app.pool, app.clock, rate_per_s=1000, per_chat_interval_s=0, holder="t"
    )
    await outbox.drain()


@pytest.mark.parametrize(
    ("lang", "button", "asked"),
    [
        ("kk", "⛔ Орындай алмаймын", "неге орындай алмайтыныңызды"),
        ("ru", "💬 Комментарий", "напишите комментарий"),
    ],
)
async def test_a_command_typed_instead_of_a_reason_or_comment_runs(
    app: Kenes, lang: str, button: str, asked: str
) -> None:
    """The reported bug: a command typed while the bot waited for a "can't" reason (or a
    comment) became the reason. Now it runs, and nothing is recorded."""
    psych = await app.join("rakhimzhanova-ar", "Айгүл", language_code=lang)
    if lang == "ru":
        await psych.command("/language")
        await psych.next_message()
        await psych.tap("Русский")
        await psych.next_callback_answer()
    await reminder_for(app, psych, at(11, 25, 8, 30))
    reminder = next(m for m in psych.inbox if m.button(button) is not None)
    psych.skip_messages()
    await psych.tap(button, reminder)
    await psych.next_callback_answer()
    assert asked in (await psych.next_message()).text
    await psych.command("/students")
    answer = await psych.next_message()
    assert "🗂" in answer.text  # the card index asks for a name: the command ran
    assert not any(w in answer.text for w in ("Жазылды", "Записано", "записан")), answer.text
    async with app.pool() as session:
        assert (await session.exec(select(ReportEvent))).all() == []
        assert (await session.exec(select(Report))).all() == []
    await psych.command("/cancel")  # out of the card index's dialogue
    await psych.next_message()
    await psych.send("Ауырып қалдым")  # the dialogue is over: this is not a reason either
    await psych.next_message()
    async with app.pool() as session:
        assert (await session.exec(select(ReportEvent))).all() == []
