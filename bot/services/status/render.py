"""/status as screens: the main one (under `MAIN_MAX` characters: a bar per section, who is
behind, the next session and its unready reports, reach), a page per section ("Details"), an
item's full title and who has not done it, and who cannot be reached. Pure: a `Status` in, text
and buttons out. Titles are shortened at word boundaries; a count of zero is never shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import StatusAction, StatusCb
from bot.core.calendar import SchoolCalendar
from bot.core.words import short
from bot.escape import quote
from bot.scheduler.outbox import split_message, telegram_length
from bot.services.status.compute import COMING, ItemLine, SectionStatus, Status
from bot.services.tasks import fmt_when
from bot.texts import t, tp

MAIN_MAX = 900
BAR_CELLS = 6
SECTION_TITLE = 34
ITEM_TITLE = 40
SECTION_LINES = 8  # overdue and coming lines on a section's page, each
NAMES_MAX = 5


def bar(done: int, total: int) -> str:
    """`▓▓▓▓░░` for 4 of 6: filled cells in proportion (at least one once anything is done)."""
    if total <= 0:
        return "░" * BAR_CELLS
    filled = round(BAR_CELLS * done / total)
    if done and not filled:
        filled = 1
    if done < total and filled == BAR_CELLS:
        filled -= 1
    return "▓" * filled + "░" * (BAR_CELLS - filled)


def _ddmm(moment: datetime, calendar: SchoolCalendar) -> str:
    return moment.astimezone(calendar.tz).strftime("%d.%m")


def _cb(action: StatusAction, num: int = 0, key: str = "") -> str:
    return StatusCb(action=action, num=num, key=key).pack()


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def main_screen(lang: str, status: Status) -> tuple[str, InlineKeyboardMarkup]:
    """The one screen: fits `MAIN_MAX` characters (names are dropped before it would not)."""
    lines = [t(lang, "z_head", date=fmt_when(lang, status.now, clock=False))]
    for s in status.sections:
        title = quote(short(s.title, SECTION_TITLE))
        if s.counted:
            overdue = t(lang, "z_overdue", n=len(s.overdue)) if s.overdue else ""
            lines.append(
                t(
                    lang, "z_section", number=s.number, title=title, bar=bar(s.done, s.counted),
                    done=s.done, total=s.counted, overdue=overdue,
                )
            )  # fmt: skip
        else:
            lines.append(t(lang, "z_section_nothing", number=s.number, title=title))
    tail = _tail(lang, status, NAMES_MAX)
    text = "\n".join(lines) + "\n\n" + "\n".join(tail)
    names = NAMES_MAX
    while telegram_length(text) > MAIN_MAX and names > 1:
        names -= 1
        text = "\n".join(lines) + "\n\n" + "\n".join(_tail(lang, status, names))
    rows = [
        [_button(t(lang, "btn_z_section", number=s.number), _cb(StatusAction.SECTION, s.number))
         for s in status.sections]
    ]  # fmt: skip
    if status.blocked or status.never_joined:
        rows.append([_button(t(lang, "btn_z_reach"), _cb(StatusAction.REACH))])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def _names(names: Sequence[str], limit: int) -> str:
    shown = ", ".join(quote(n) for n in names[:limit])
    return shown + (f" +{len(names) - limit}" if len(names) > limit else "")


def _tail(lang: str, status: Status, limit: int) -> list[str]:
    out = []
    if status.behind:
        shown = ", ".join(f"{quote(name)} ({n})" for name, n in status.behind[:limit])
        out.append(t(lang, "z_behind", names=shown))
    elif not any(s.overdue for s in status.sections):
        out.append(t(lang, "z_behind_none"))
    nxt = status.next_session
    if nxt is None:
        out.append(t(lang, "st_next_none"))
    else:
        if nxt.when is not None:
            out.append(t(lang, "z_next", number=nxt.number, when=fmt_when(lang, nxt.when)))
        else:
            month = t(lang, f"ses_month_{nxt.month}") if nxt.month else "?"
            out.append(t(lang, "z_next_unset", number=nxt.number, month=month))
        waiting = list(dict.fromkeys(r.name for r in nxt.reporters if not r.ready))
        if waiting:
            out.append(t(lang, "z_unready", names=_names(waiting, limit)))
        elif nxt.reporters:
            out.append(t(lang, "z_ready_all"))
    planned_held = len(status.held) - status.extraordinary_held
    extra = (
        t(lang, "st_sessions_extra", n=status.extraordinary_held)
        if status.extraordinary_held
        else ""
    )
    out.append(t(lang, "z_sessions", held=planned_held, total=status.planned_total, extra=extra))
    if status.blocked or status.never_joined:
        out.append(t(lang, "z_reach", blocked=len(status.blocked), never=len(status.never_joined)))
    return out


def section_screen(
    lang: str, status: Status, number: int, calendar: SchoolCalendar
) -> tuple[str, InlineKeyboardMarkup] | None:
    """A section's page: its overdue and coming items, undated and silent ones."""
    section = next((s for s in status.sections if s.number == number), None)
    if section is None:
        return None
    lines = [
        t(lang, "z_sec_head", number=section.number, title=quote(section.title),
          bar=bar(section.done, section.counted), done=section.done, total=section.counted)
    ]  # fmt: skip
    rows: list[list[InlineKeyboardButton]] = []
    buttons: list[InlineKeyboardButton] = []
    n = 0
    for head, items in (
        (t(lang, "z_sec_overdue"), _folded(section.overdue)),
        (t(lang, "z_sec_coming", days=tp(lang, "n_days", COMING.days)), _folded(section.coming)),
    ):
        if not items:
            continue
        lines += ["", head]
        for item, more in items[:SECTION_LINES]:
            n += 1
            lines.append(_item_line(lang, n, item, calendar, more))
            buttons.append(
                _button(f"{n}. {item.ref}", _cb(StatusAction.ITEM, section.number, item.key))
            )
        if len(items) > SECTION_LINES:
            lines.append(t(lang, "z_more", n=len(items) - SECTION_LINES))
    extra = [
        t(lang, "st_undated_line", ref=quote(ref), title=quote(short(title, ITEM_TITLE)))
        for ref, title in section.undated
    ] + [
        t(lang, "z_sec_silent", ref=quote(ref), title=quote(short(title, ITEM_TITLE)))
        for ref, title in section.silent
    ]
    if extra:
        lines += ["", *extra]
    if n:
        lines += ["", t(lang, "z_sec_hint")]
    elif not extra:
        lines += ["", t(lang, "z_sec_nothing")]
    rows += [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([_button(t(lang, "btn_back"), _cb(StatusAction.MAIN))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _folded(items: Sequence[ItemLine]) -> list[tuple[ItemLine, int]]:
    """A daily duty's weeks as one line (the first of them, and how many more)."""
    out: list[tuple[ItemLine, int]] = []
    seen: dict[str, int] = {}
    for item in items:
        if item.week and item.ref in seen:
            first, more = out[seen[item.ref]]
            out[seen[item.ref]] = (first, more + 1)
            continue
        if item.week:
            seen[item.ref] = len(out)
        out.append((item, 0))
    return out


def _item_line(lang: str, n: int, item: ItemLine, calendar: SchoolCalendar, more: int = 0) -> str:
    text = t(
        lang, "z_sec_line", n=n, ref=quote(item.ref), title=quote(short(item.title, ITEM_TITLE)),
        date=_ddmm(item.due, calendar), done=item.done, total=item.total,
    )  # fmt: skip
    return text + (t(lang, "z_weeks_more", n=more) if more else "")


def item_screen(lang: str, status: Status, key: str) -> tuple[str, InlineKeyboardMarkup] | None:
    """An item's full title, its due, and who has not done it."""
    found = status.line(key)
    if found is None:
        return None
    section, item = found
    lines = [
        t(lang, "z_item", ref=quote(item.ref), title=quote(" ".join(item.title.split())),
          due=fmt_when(lang, item.due), done=item.done, total=item.total)
    ]  # fmt: skip
    if item.week:
        lines.append(t(lang, "z_item_week", days=key.rsplit("@", 1)[-1]))
    if item.waiting:
        lines.append(t(lang, "z_item_waiting", names=quote(", ".join(item.waiting))))
    back = _cb(StatusAction.SECTION, section.number)
    markup = InlineKeyboardMarkup(inline_keyboard=[[_button(t(lang, "btn_back"), back)]])
    return "\n".join(lines), markup


def reach_screen(lang: str, status: Status) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t(lang, "st_reach_head")]
    if status.blocked:
        lines.append(t(lang, "st_blocked", names=quote(", ".join(status.blocked))))
    if status.never_joined:
        lines.append(t(lang, "st_never", names=quote(", ".join(status.never_joined))))
    if not status.blocked and not status.never_joined:
        lines.append(t(lang, "st_reach_all"))
    back = _button(t(lang, "btn_back"), _cb(StatusAction.MAIN))
    text = "\n".join(lines)
    return split_message(text, 4000)[0], InlineKeyboardMarkup(inline_keyboard=[[back]])


def render_status(
    lang: str, status: Status, calendar: SchoolCalendar, limit: int = 4096
) -> list[str]:
    """The /status message: the main screen, one message (kept for the CLI and the year
    simulation, which count its length)."""
    del calendar, limit
    return [main_screen(lang, status)[0]]


def pack(blocks: Sequence[str], limit: int = 4096) -> list[str]:
    """Blocks joined by blank lines into messages of at most `limit` characters; a block too
    long for one message is split between lines (`split_message`), never cut."""
    out: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n\n{block}" if current else block
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            out.append(current)
        parts = split_message(block, limit) if len(block) > limit else [block]
        out.extend(parts[:-1])
        current = parts[-1]
    if current:
        out.append(current)
    return out


__all__ = [
    "MAIN_MAX",
    "SectionStatus",
    "bar",
    "item_screen",
    "main_screen",
    "pack",
    "reach_screen",
    "render_status",
    "section_screen",
]
