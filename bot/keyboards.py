"""Keyboards as pure functions of what they show."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    CheckinCb,
    LangCb,
    MomentAction,
    MomentCb,
    ReadyCb,
    RsvpCb,
    SessionAction,
    SessionCb,
    StaffAction,
    StaffCb,
    TaskAction,
    TaskCb,
)
from bot.core.roles import Role
from bot.services.staff import StaffRow, StaffState
from bot.texts import role_name, t

STAFF_PAGE_SIZE = 8
# A task's buttons are drawn on every tap of them: built once per language and occurrence
# (aiogram's markups are frozen, so one object can be sent many times).
TASK_KB_CACHE = 1024
ASSIGNABLE_ROLES: tuple[Role, ...] = tuple(Role)


def language_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Қазақша", callback_data=LangCb(lang="kk").pack()),
                InlineKeyboardButton(text="Русский", callback_data=LangCb(lang="ru").pack()),
            ]
        ]
    )


STATE_ICON = {
    StaffState.JOINED: "✅",
    StaffState.INVITED: "✉️",
    StaffState.NEVER: "⏳",
    StaffState.BLOCKED: "⛔",
    StaffState.REVOKED: "🚫",
}


def staff_list_kb(
    lang: str, rows: Sequence[StaffRow], page: int, labels: dict[int, str] | None = None
) -> InlineKeyboardMarkup:
    """The staff, a page at a time; `labels` replaces a row's "icon name" (a vacancy)."""
    builder = InlineKeyboardBuilder()
    pages = max(1, -(-len(rows) // STAFF_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    for row in rows[page * STAFF_PAGE_SIZE : (page + 1) * STAFF_PAGE_SIZE]:
        assert row.person.id is not None
        label = (labels or {}).get(row.person.id)
        builder.button(
            text=(label or f"{STATE_ICON[row.state]} {row.person.name}")[:60],
            callback_data=StaffCb(action=StaffAction.CARD, person=row.person.id, page=page),
        )
    builder.adjust(1)
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                text=t(lang, "btn_prev"),
                callback_data=StaffCb(action=StaffAction.PAGE, page=page - 1).pack(),
            )
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(
                text=t(lang, "btn_next"),
                callback_data=StaffCb(action=StaffAction.PAGE, page=page + 1).pack(),
            )
        )
    if nav:
        builder.row(*nav)
    return builder.as_markup()


def person_card_kb(
    lang: str, person_id: int, state: StaffState, page: int
) -> InlineKeyboardMarkup:
    def cb(action: StaffAction) -> str:
        return StaffCb(action=action, person=person_id, page=page).pack()

    rows: list[list[InlineKeyboardButton]] = []
    if state is StaffState.REVOKED:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_restore"), callback_data=cb(StaffAction.RESTORE)
                )
            ]
        )
    else:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_invite"), callback_data=cb(StaffAction.INVITE)
                )
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_roles"), callback_data=cb(StaffAction.ROLES)
                ),
                InlineKeyboardButton(
                    text=t(lang, "btn_class"), callback_data=cb(StaffAction.CLASS)
                ),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_revoke"), callback_data=cb(StaffAction.REVOKE)
                )
            ]
        )
    rows.append(
        [InlineKeyboardButton(text=t(lang, "btn_back"), callback_data=cb(StaffAction.PAGE))]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def vacancy_kb(lang: str, person_id: int, page: int) -> InlineKeyboardMarkup:
    """A vacancy's card: assign the person who fills it; back to the list."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_fill"),
                    callback_data=StaffCb(
                        action=StaffAction.FILL, person=person_id, page=page
                    ).pack(),
                )
            ],
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_back"),
                    callback_data=StaffCb(action=StaffAction.PAGE, page=page).pack(),
                )
            ],
        ]
    )


def revoke_confirm_kb(lang: str, person_id: int, page: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_yes_revoke"),
                    callback_data=StaffCb(
                        action=StaffAction.REVOKE_OK, person=person_id, page=page
                    ).pack(),
                ),
                InlineKeyboardButton(
                    text=t(lang, "btn_no"),
                    callback_data=StaffCb(
                        action=StaffAction.CARD, person=person_id, page=page
                    ).pack(),
                ),
            ]
        ]
    )


def roles_kb(
    lang: str, person_id: int, selected: Collection[str], page: int
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for role in ASSIGNABLE_ROLES:
        mark = "☑️" if role in selected else "▫️"
        builder.button(
            text=f"{mark} {role_name(lang, role)}",
            callback_data=StaffCb(
                action=StaffAction.TOGGLE, person=person_id, page=page, role=role
            ),
        )
    builder.adjust(2)
    back = (  # to the person's card; a new person (0) has none yet: to the list
        StaffCb(action=StaffAction.CARD, person=person_id, page=page)
        if person_id
        else StaffCb(action=StaffAction.PAGE, page=page)
    )
    builder.row(
        InlineKeyboardButton(text=t(lang, "btn_back"), callback_data=back.pack()),
        InlineKeyboardButton(
            text=t(lang, "btn_save"),
            callback_data=StaffCb(action=StaffAction.SAVE, person=person_id, page=page).pack(),
        ),
    )
    return builder.as_markup()


@lru_cache(maxsize=TASK_KB_CACHE)
def task_kb(lang: str, occ_key: str, *, finished: bool = False) -> InlineKeyboardMarkup:
    """Done · Snooze · Can't · Comment under a task reminder; Comment only once it is done.
    Built once per arguments (`TASK_KB_CACHE`): the markup is shared, never change it."""

    def button(key: str, action: TaskAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=t(lang, key), callback_data=TaskCb(action=action, occ=occ_key).pack()
        )

    if finished:
        return InlineKeyboardMarkup(
            inline_keyboard=[[button("btn_task_comment", TaskAction.COMMENT)]]
        )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("btn_task_done", TaskAction.DONE),
                button("btn_task_snooze", TaskAction.SNOOZE),
            ],
            [
                button("btn_task_cant", TaskAction.CANT),
                button("btn_task_comment", TaskAction.COMMENT),
            ],
        ]
    )


@lru_cache(maxsize=TASK_KB_CACHE)
def task_snooze_kb(lang: str, occ_key: str) -> InlineKeyboardMarkup:
    def button(key: str, action: TaskAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=t(lang, key), callback_data=TaskCb(action=action, occ=occ_key).pack()
        )

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("btn_snooze_hour", TaskAction.SNOOZE_HOUR),
                button("btn_snooze_tomorrow", TaskAction.SNOOZE_TOMORROW),
            ],
            [button("btn_snooze_week", TaskAction.SNOOZE_WEEK)],
            [button("btn_back", TaskAction.BACK)],
        ]
    )


def set_date_kb(lang: str, number: int) -> InlineKeyboardMarkup:
    """On the chair's "set the date of session №N" reminder: opens the /sessions day picker."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_ses_set_date"),
                    callback_data=SessionCb(action=SessionAction.DATE, num=number).pack(),
                )
            ]
        ]
    )


def report_ready_kb(lang: str, number: int) -> InlineKeyboardMarkup:
    """On a session reminder to a reporter: "my report is ready" (the chair sees it in
    /status)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_report_ready"), callback_data=ReadyCb(num=number).pack()
                )
            ]
        ]
    )


def record_prompt_kb(lang: str, number: int) -> InlineKeyboardMarkup:
    """On the secretary's "record session №N" message: opens the recording."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "btn_rec_start", number=number),
                    callback_data=SessionCb(action=SessionAction.RECORD, num=number).pack(),
                )
            ]
        ]
    )


def decisions_kb(lang: str, occ_keys: Sequence[str]) -> InlineKeyboardMarkup:
    """Done / Can't under a decision's owner message; numbered when it lists several."""
    rows = []
    for i, key in enumerate(occ_keys, start=1):
        suffix = f" {i}" if len(occ_keys) > 1 else ""
        rows.append(
            [
                InlineKeyboardButton(
                    text=(t(lang, "btn_task_done") + suffix) if suffix == "" else f"✅{suffix}",
                    callback_data=TaskCb(action=TaskAction.DONE, occ=key).pack(),
                ),
                InlineKeyboardButton(
                    text=(t(lang, "btn_task_cant") + suffix) if suffix == "" else f"⛔{suffix}",
                    callback_data=TaskCb(action=TaskAction.CANT, occ=key).pack(),
                ),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def without_occurrence(markup: InlineKeyboardMarkup, occ_key: str) -> InlineKeyboardMarkup | None:
    """A keyboard listing several items, less the buttons of one that was answered (and less
    "Done all" once fewer than two items are left)."""
    return _without(markup, lambda data: _names_occurrence(data, occ_key))


def without_checkin(markup: InlineKeyboardMarkup, ref: str) -> InlineKeyboardMarkup | None:
    """The same, less the buttons of a routine duty's weekly check-in (`ref`) that was closed."""
    return _without(markup, lambda data: _names_checkin(data, ref))


def _without(
    markup: InlineKeyboardMarkup, drop: Callable[[str], bool]
) -> InlineKeyboardMarkup | None:
    rows = []
    for row in markup.inline_keyboard:
        kept = [button for button in row if not drop(button.callback_data or "")]
        if kept:
            rows.append(kept)
    if sum(1 for row in rows if any(_is_item(b.callback_data or "") for b in row)) < 2:
        rows = [r for r in rows if not any(_is_done_all(b.callback_data or "") for b in r)]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def rsvp_kb(lang: str, number: int, coming: bool | None = None) -> InlineKeyboardMarkup:
    """On a session's reminder: I'll come · I can't; the chosen one ticked."""
    builder = InlineKeyboardBuilder()
    for value, key in ((True, "btn_rsvp_yes"), (False, "btn_rsvp_no")):
        mark = "☑️ " if coming is value else ""
        builder.button(
            text=mark + t(lang, key), callback_data=RsvpCb(num=number, coming=int(value))
        )
    builder.adjust(2)
    return builder.as_markup()


def _names_occurrence(data: str, occ_key: str) -> bool:
    for factory in (TaskCb, MomentCb):
        if data.startswith(factory.__prefix__ + ":"):
            try:
                return bool(factory.unpack(data).occ == occ_key)
            except (TypeError, ValueError):
                return False
    return False


def _names_checkin(data: str, ref: str) -> bool:
    if not data.startswith(CheckinCb.__prefix__ + ":"):
        return False
    try:
        return bool(CheckinCb.unpack(data).ref == ref)
    except (TypeError, ValueError):
        return False


def _is_item(data: str) -> bool:
    return data.startswith((TaskCb.__prefix__ + ":", CheckinCb.__prefix__ + ":"))


def _is_done_all(data: str) -> bool:
    return data == MomentCb(action=MomentAction.ALL).pack()


NAV_PREFIXES = ("b1:b", "t1:b")  # Back to a message with several items, back to /tasks


def keep_nav(
    old: InlineKeyboardMarkup | None, new: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup | None:
    """`new` with the Back row of `old` kept: an item opened from a message with several items
    or from /tasks keeps its way back whatever its own buttons become."""
    if old is None:
        return new
    nav = [
        row
        for row in old.inline_keyboard
        if any((b.callback_data or "").startswith(NAV_PREFIXES) for b in row)
    ]
    if not nav:
        return new
    rows = list(new.inline_keyboard) if new is not None else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *nav])
