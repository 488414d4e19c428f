"""The keyboards of /sessions, as pure functions of what they show."""

from __future__ import annotations

from datetime import date

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import SessionAction, SessionCb
from bot.handlers.sessions.common import icon
from bot.services import sessions as svc
from bot.texts import t

A = SessionAction


def _cb(action: SessionAction, num: int = 0, arg: str = "") -> str:
    return SessionCb(action=action, num=num, arg=arg).pack()


def list_kb(lang: str, views: list[svc.SessionView]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for v in views:
        builder.button(text=f"{icon(v)} №{v.number}", callback_data=_cb(A.OPEN, v.number))
    builder.button(text=t(lang, "btn_ses_extra"), callback_data=_cb(A.EXTRA))
    sizes = [5] * (len(views) // 5) + ([len(views) % 5] if len(views) % 5 else []) + [1]
    builder.adjust(*sizes)
    return builder.as_markup()


def card_kb(lang: str, view: svc.SessionView) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if not view.held:
        key = "btn_ses_move" if view.scheduled_at is not None else "btn_ses_set_date"
        builder.button(text=t(lang, key), callback_data=_cb(A.DATE, view.number))
    builder.button(text=t(lang, "btn_ses_record"), callback_data=_cb(A.RECORD, view.number))
    builder.button(text=t(lang, "btn_back"), callback_data=_cb(A.LIST))
    builder.adjust(1)
    return builder.as_markup()


def recorded_kb(lang: str, view: svc.SessionView) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, "btn_ses_edit"), callback_data=_cb(A.EDIT, view.number))
    builder.button(text=t(lang, "btn_back"), callback_data=_cb(A.LIST))
    builder.adjust(1)
    return builder.as_markup()


def back_kb(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, "btn_back"), callback_data=_cb(A.LIST))
    return builder.as_markup()


def _back(builder: InlineKeyboardBuilder, lang: str, num: int) -> None:
    """⬅️ Back to the session's card (an extraordinary session being called: to the list)."""
    builder.button(
        text=t(lang, "btn_back"), callback_data=_cb(A.OPEN, num) if num else _cb(A.LIST)
    )


def day_kb(
    lang: str, num: int, days: list[date], plan_day: date | None = None
) -> InlineKeyboardMarkup:
    """The school days to pick from; the plan's own day first, marked, on a row of its own."""
    builder = InlineKeyboardBuilder()
    rest = [d for d in days if d != plan_day]
    if plan_day is not None:
        builder.button(
            text=t(lang, "btn_ses_plan_day", date=plan_day.strftime("%d.%m")),
            callback_data=_cb(A.DAY, num, plan_day.strftime("%Y%m%d")),
        )
    for d in rest:
        builder.button(
            text=d.strftime("%d.%m"), callback_data=_cb(A.DAY, num, d.strftime("%Y%m%d"))
        )
    _back(builder, lang, num)
    sizes = ([1] if plan_day is not None else []) + [4] * (len(rest) // 4)
    sizes += ([len(rest) % 4] if len(rest) % 4 else []) + [1]
    builder.adjust(*sizes)
    return builder.as_markup()


def time_kb(lang: str, num: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for choice in svc.TIME_CHOICES:
        builder.button(text=choice, callback_data=_cb(A.TIME, num, choice.replace(":", "")))
    _back(builder, lang, num)
    builder.adjust(3, 1)
    return builder.as_markup()


def skip_kb(lang: str, num: int, action: SessionAction) -> InlineKeyboardMarkup:
    key = "btn_ses_skip"
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, key), callback_data=_cb(action, num))
    _back(builder, lang, num)
    builder.adjust(1)
    return builder.as_markup()


def _two_columns(count: int, tail: int) -> list[int]:
    return [2] * (count // 2) + [1] * (count % 2) + [1] * tail


def attend_kb(
    lang: str, num: int, people: list[tuple[int, str]], present: list[int]
) -> InlineKeyboardMarkup:
    """Everyone expected, ticked when present; "all present" when someone is unticked."""
    builder = InlineKeyboardBuilder()
    for pid, name in people:
        mark = "☑️" if pid in present else "▫️"
        builder.button(text=f"{mark} {name}"[:60], callback_data=_cb(A.ATTEND, num, str(pid)))
    tail = 1
    if any(pid not in present for pid, _ in people):
        builder.button(text=t(lang, "btn_rec_all"), callback_data=_cb(A.ALL, num))
        tail += 1
    builder.button(text=t(lang, "btn_ses_attend_ok"), callback_data=_cb(A.ATTEND_OK, num))
    builder.adjust(*_two_columns(len(people), tail))
    return builder.as_markup()


def item_kb(lang: str, num: int, index: int, last: bool, decisions: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t(lang, "btn_rec_reporters"), callback_data=_cb(A.REPORTERS, num, str(index))
    )
    builder.button(text=t(lang, "btn_rec_spoke"), callback_data=_cb(A.SPOKE, num, str(index)))
    sizes = [2]
    if decisions:
        builder.button(text=t(lang, "btn_rec_undo"), callback_data=_cb(A.UNDO, num, str(index)))
        sizes.append(1)
    builder.button(text=t(lang, "btn_rec_prev"), callback_data=_cb(A.ITEM_BACK, num, str(index)))
    key = "btn_rec_review" if last else "btn_rec_next_item"
    builder.button(text=t(lang, key), callback_data=_cb(A.ITEM_NEXT, num, str(index)))
    sizes.append(2)
    builder.adjust(*sizes)
    return builder.as_markup()


def owner_kb(
    lang: str,
    num: int,
    people: list[tuple[int, str]],
    roles: list[tuple[str, str]],
    due_kind: str,
    next_label: str | None,
) -> InlineKeyboardMarkup:
    """The due date (a choice, or a typed DD.MM) and then who answers: one tap ends it."""
    builder = InlineKeyboardBuilder()
    dues = []
    if next_label is not None:
        dues.append(("next_session", next_label))
    dues.append(("quarter_end", t(lang, "btn_rec_due_quarter")))
    for kind, label in dues:
        mark = "🔘 " if kind == due_kind else ""
        builder.button(text=mark + label, callback_data=_cb(A.DUE, num, kind))
    for pid, name in people:
        builder.button(text=name[:40], callback_data=_cb(A.OWNER, num, f"p{pid}"))
    for role, label in roles:
        builder.button(text=f"👥 {label}"[:40], callback_data=_cb(A.OWNER, num, f"r{role}"))
    builder.button(text=t(lang, "btn_ses_no_owner"), callback_data=_cb(A.OWNER, num, "0"))
    builder.adjust(len(dues), *_two_columns(len(people) + len(roles), 1))
    return builder.as_markup()


def pick_kb(
    lang: str, num: int, people: list[tuple[int, str]], chosen: list[str], index: int
) -> InlineKeyboardMarkup:
    """Reporters of an item: toggles by name, then Done."""
    builder = InlineKeyboardBuilder()
    for pid, name in people:
        mark = "☑️" if name in chosen else "▫️"
        builder.button(text=f"{mark} {name}"[:60], callback_data=_cb(A.REPORTER, num, str(pid)))
    builder.button(
        text=t(lang, "btn_rec_done"), callback_data=_cb(A.REPORTERS_OK, num, str(index))
    )
    builder.adjust(*_two_columns(len(people), 1))
    return builder.as_markup()


def skip_spoke_kb(lang: str, num: int, index: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t(lang, "btn_rec_nobody"), callback_data=_cb(A.REPORTERS_OK, num, str(index))
    )
    return builder.as_markup()


def review_kb(lang: str, num: int, last_index: int, appendix: bool | None) -> InlineKeyboardMarkup:
    """Back to the last item, the closed appendix (chair, when there are cases), save."""
    builder = InlineKeyboardBuilder()
    sizes = []
    if appendix is not None:
        key = "btn_rec_appendix_on" if appendix else "btn_rec_appendix_off"
        builder.button(text=t(lang, key), callback_data=_cb(A.APPENDIX, num))
        sizes.append(1)
    builder.button(
        text=t(lang, "btn_rec_prev"), callback_data=_cb(A.ITEM_BACK, num, str(last_index + 1))
    )
    builder.button(text=t(lang, "btn_rec_save"), callback_data=_cb(A.SAVE, num))
    sizes.append(2)
    builder.adjust(*sizes)
    return builder.as_markup()
