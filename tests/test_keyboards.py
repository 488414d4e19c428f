"""bot.keyboards: an answered item's buttons come off a message of several items."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CheckinAction, CheckinCb, MomentAction, MomentCb, TaskAction, TaskCb
from bot.keyboards import without_checkin, without_occurrence


def moment() -> InlineKeyboardMarkup:
    def button(text: str, data: str) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(text=text, callback_data=data)]

    return InlineKeyboardMarkup(
        inline_keyboard=[
            button("1.4", TaskCb(action=TaskAction.DONE, occ="1.4@2026-12-01").pack()),
            button("1.8", CheckinCb(action=CHECKIN, ref="1.8", week="2026W49").pack()),
            button("all", MomentCb(action=MomentAction.ALL).pack()),
        ]
    )


CHECKIN = next(iter(CheckinAction))


def labels(markup: InlineKeyboardMarkup | None) -> list[str]:
    assert markup is not None
    return [b.text for row in markup.inline_keyboard for b in row]


def test_a_closed_check_in_leaves_the_task_and_done_all_goes_with_it() -> None:
    assert labels(without_checkin(moment(), "1.8")) == ["1.4"]
    assert labels(without_checkin(moment(), "1.9")) == ["1.4", "1.8", "all"]


def test_an_answered_task_leaves_the_check_in() -> None:
    assert labels(without_occurrence(moment(), "1.4@2026-12-01")) == ["1.8"]
    assert labels(without_occurrence(moment(), "1.4@2026-12-02")) == ["1.4", "1.8", "all"]
