"""Routine duties at work (`bot.core.routine`): the weekly check-in's text and buttons, the
week a check-in is about, and what "Yes" or "Missed days…" records.

A check-in asks one person about one item's open occurrences of one ISO week (1.8: the week's
school days; 3.3: the week). "Yes" records *done* for each; "Save" with missed days records
*done* for the others and *can't* (with the typed note, or a standard reason) for the missed
ones. Every record goes through `bot.services.tasks.record` with idempotency keys of its own,
so a double tap records once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import CheckinAction, CheckinCb
from bot.core import words
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.routine import WEEKLY_CHECKIN
from bot.core.schedule import Occurrence
from bot.escape import quote
from bot.scheduler.planner import FINISHED, Roster, checkin_week
from bot.services import tasks
from bot.texts import t
from db.models import Person, ReportStatus

TITLE_MAX = 90


def short(text: str, width: int = TITLE_MAX) -> str:
    """A title on one line, cut at a word boundary (`bot.core.words.short`)."""
    return words.short(text, width)


def days_words(lang: str, days: Sequence[date]) -> str:
    """ "2–6 қараша", "30 қараша – 4 желтоқсан", "2 қараша"."""
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.day} {t(lang, f'month_gen_{first.month}')}"
    if first.month == last.month:
        return f"{first.day}–{last.day} {t(lang, f'month_gen_{last.month}')}"
    return (
        f"{first.day} {t(lang, f'month_gen_{first.month}')} – "
        f"{last.day} {t(lang, f'month_gen_{last.month}')}"
    )


def _week_code(occ: Occurrence) -> str:
    return checkin_week(occ).replace("-", "")  # "2026W48": short for the callback data


def render_checkin(lang: str, days: Sequence[Occurrence], tz: object) -> str:
    occ = days[0]
    key = "checkin_daily" if occ.rule == "daily" else "checkin_weekly"
    dates = [o.due.astimezone(tz).date() for o in days]  # type: ignore[arg-type]
    if occ.rule != "daily":
        dates = [o.window_start.astimezone(tz).date() for o in days[:1]] + dates[-1:]  # type: ignore[arg-type]
    return t(
        lang, key, ref=quote(occ.ref), title=quote(short(occ.title)), days=days_words(lang, dates)
    )


def checkin_rows(
    lang: str, days: Sequence[Occurrence], *, with_ref: bool
) -> list[list[InlineKeyboardButton]]:
    occ = days[0]
    week = _week_code(occ)
    if with_ref:
        yes = t(lang, "btn_checkin_yes_ref", ref=occ.ref)
        missed = t(lang, "btn_checkin_missed_ref", ref=occ.ref)
    else:
        yes = t(lang, "btn_checkin_yes_daily" if occ.rule == "daily" else "btn_checkin_yes_weekly")
        missed = t(lang, "btn_checkin_missed")
    return [
        [
            InlineKeyboardButton(
                text=yes,
                callback_data=CheckinCb(action=CheckinAction.YES, ref=occ.ref, week=week).pack(),
            ),
            InlineKeyboardButton(
                text=missed,
                callback_data=CheckinCb(
                    action=CheckinAction.MISSED, ref=occ.ref, week=week
                ).pack(),
            ),
        ]
    ]


def pick_kb(
    lang: str, ref: str, week: str, days: Sequence[Occurrence], mask: int, tz: object
) -> InlineKeyboardMarkup:
    """One toggle per open day (☑️ missed), then Save and Back."""
    buttons = []
    for occ in days:
        d = occ.due.astimezone(tz).date()  # type: ignore[arg-type]
        bit = 1 << d.weekday()
        mark = "☑️" if mask & bit else "▫️"
        label = f"{mark} {t(lang, f'wd_short_{d.weekday()}')} {d.day}"
        buttons.append(
            InlineKeyboardButton(
                text=label,
                callback_data=CheckinCb(
                    action=CheckinAction.TOGGLE, ref=ref, week=week, mask=mask ^ bit
                ).pack(),
            )
        )
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append(
        [
            InlineKeyboardButton(
                text=t(lang, "btn_save"),
                callback_data=CheckinCb(
                    action=CheckinAction.SAVE, ref=ref, week=week, mask=mask
                ).pack(),
            ),
            InlineKeyboardButton(
                text=t(lang, "btn_back"),
                callback_data=CheckinCb(action=CheckinAction.BACK, ref=ref, week=week).pack(),
            ),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


@dataclass(frozen=True, slots=True)
class Week:
    """One person's check-in of one item for one week."""

    ref: str
    week: str  # "2026W48"
    days: tuple[Occurrence, ...]  # the week's occurrences they answer for, in order
    open: tuple[Occurrence, ...]  # of those, not answered yet
    roster: Roster


def _parse_week(week: str) -> tuple[int, int] | None:
    year, _, number = week.partition("W")
    if not (year.isdigit() and number.isdigit()):
        return None
    return int(year), int(number)


async def find_week(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    person: Person,
    ref: str,
    week: str,
) -> Week | None:
    """The check-in behind a button, or None (a forged or stale one)."""
    parsed = _parse_week(week)
    if parsed is None or person.id is None:
        return None
    try:
        monday = date.fromisocalendar(parsed[0], parsed[1], 1)
    except ValueError:
        return None
    from bot.services.assignments import effective_plan

    current = await effective_plan(session, plan)
    overrides = await tasks.load_overrides(session, calendar)
    occs = tasks.occurrences_around(current, calendar, overrides, monday)
    roster = await tasks.load_roster(session, current)
    joined = roster.joined.get(person.id)
    days = tuple(
        o
        for o in occs
        if o.ref == ref
        and o.kind == "task"
        and o.routine == WEEKLY_CHECKIN
        and _week_code(o) == week
        and person.id in roster.responsible(o)
        and (joined is None or o.due >= joined)
        and o.key not in overrides.closed
    )
    if not days:
        return None
    reports = await tasks.reports_for(session, [o.key for o in days])
    still = tuple(
        o
        for o in days
        if (r := reports.get((o.key, person.id))) is None or r.status not in FINISHED
    )
    return Week(ref, week, days, still, roster)


async def record_week(
    session: AsyncSession,
    calendar: SchoolCalendar,
    found: Week,
    person: Person,
    *,
    missed_mask: int,
    note: str | None,
    lang: str,
    now: datetime,
) -> tuple[int, int]:
    """Done for the open days not in `missed_mask`, can't for those in it; (done, missed)."""
    assert person.id is not None
    done = missed = 0
    for occ in found.open:
        row = await tasks.ensure_occurrence(session, occ, calendar.year)
        weekday = occ.due.astimezone(calendar.tz).weekday()
        if missed_mask & (1 << weekday):
            await tasks.record(
                session, occurrence=row, person_id=person.id, status=ReportStatus.CANT,
                now=now, idempotency_key=f"checkin-cant|{occ.key}|{person.id}",
                text=note or t(lang, "checkin_missed_reason"),
            )  # fmt: skip
            missed += 1
        else:
            key = await tasks.done_key(session, row, person.id)
            await tasks.record(
                session, occurrence=row, person_id=person.id, status=ReportStatus.DONE,
                now=now, idempotency_key=key,
            )  # fmt: skip
            done += 1
    return done, missed
