"""All callback data factories, in one place. Prefixes are short and versioned (64-byte limit):
change a layout, bump the prefix, and old buttons become stale instead of misread."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class LangCb(CallbackData, prefix="l1"):
    lang: str


class StaffAction(StrEnum):
    PAGE = "pg"
    CARD = "cd"
    INVITE = "in"
    REVOKE = "rv"
    REVOKE_OK = "ro"
    RESTORE = "rs"
    ROLES = "rl"
    TOGGLE = "tg"
    SAVE = "sv"
    CLASS = "cl"


class StaffCb(CallbackData, prefix="s1"):
    action: StaffAction
    person: int = 0  # 0: a new person being added
    page: int = 0
    role: str = ""


class TaskAction(StrEnum):
    DONE = "d"
    SNOOZE = "s"  # opens the snooze choices
    SNOOZE_HOUR = "sh"
    SNOOZE_TOMORROW = "st"
    SNOOZE_WEEK = "sw"
    CANT = "c"
    COMMENT = "m"
    BACK = "b"  # from the snooze choices back to the main buttons


class TaskCb(CallbackData, prefix="k1"):
    """A button on a task reminder. `occ` is the occurrence key ("1.8@2026-09-01")."""

    action: TaskAction
    occ: str
