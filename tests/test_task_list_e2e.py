"""/tasks and /today: one message, paged, grouped; an item opens in place, Back returns (#12)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.clock import ManualClock
from fakegram import FakeTelegram
from tests.conftest import TZ
from tests.harness import Kenes, kenes_app, tap

SP = "amangeldi-sm"
KAZAKH = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")  # letters Russian does not have
HEAD = {"kk": "Ашық жұмыстарыңыз", "ru": "Ваши открытые задачи"}
DONE = {"kk": "✅ Орындалды", "ru": "✅ Выполнено"}
BACK = {"kk": "⬅️ Артқа", "ru": "⬅️ Назад"}
GROUPS = {
    "kk": ("Мерзімі өтті", "Осы апта", "Кейін"),
    "ru": ("Просрочено", "На этой неделе", "Позже"),
}


@pytest.fixture
async def app(fakegram: FakeTelegram, db_url: str, clock: ManualClock) -> AsyncIterator[Kenes]:
    clock.set(datetime(2026, 12, 1, 10, tzinfo=TZ))
    async with kenes_app(fakegram, db_url, clock) as kenes:
        yield kenes


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_tasks_is_one_message_paged_with_items_opening_in_place(
    app: Kenes, lang: str
) -> None:
    sp = await app.join(SP, "Сания", language_code=lang)
    app.clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=TZ))
    await sp.command("/tasks")
    listing = await sp.next_message()
    assert HEAD[lang] in listing.text
    count = int(listing.text.split("(")[1].split()[0])
    assert count > 6, listing.text  # the half-year's work: more than a page
    assert listing.buttons[-1][1] == f"1/{-(-count // 6)}"
    numbered = [label for row in listing.buttons[:-1] for label in row]
    assert numbered[0].startswith("1. ") and len(numbered) == 6
    assert any(group in listing.text for group in GROUPS[lang])
    await sp.no_message()  # one message, not one per task
    if lang == "ru":  # the Russian screen is all Russian: the plan's titles too
        assert not KAZAKH.findall(listing.text + str(listing.buttons)), listing.text
    # ▶ turns the page in the same message.
    await tap(sp, "▶️")
    second = sp.chat.get(listing.message_id)
    assert second is not None and second.buttons[-1][1] == f"2/{-(-count // 6)}"
    assert second.button_labels[0].startswith("7. ")
    await tap(sp, "◀️")
    # An item opens in the message; Done; Back shows the list without it.
    await tap(sp, numbered[0])
    card = sp.chat.get(listing.message_id)
    assert (
        card is not None and card.buttons[-1] == [BACK[lang]] and DONE[lang] in card.button_labels
    )
    await tap(sp, DONE[lang])
    card = sp.chat.get(listing.message_id)
    assert card is not None and card.buttons[-1] == [BACK[lang]]
    await tap(sp, BACK[lang])
    again = sp.chat.get(listing.message_id)
    assert again is not None and f"({count - 1} " in again.text
    await sp.no_message()


async def test_today_in_russian_and_nothing_open(app: Kenes) -> None:
    teacher = await app.join("kambarova-kg", "Гүлім", language_code="ru")
    app.clock.set(datetime(2026, 12, 1, 11, 0, tzinfo=TZ))
    await teacher.command("/today")
    assert (await teacher.next_message()).text == "На сегодня задач нет. Все задачи: /tasks"
