"""What each step of recording a session shows: a pure-ish rendering of the draft (names and
the next session's date are read from the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.types import CallbackQuery, Message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.escape import quote
from bot.handlers.sessions import keyboards as kb
from bot.handlers.sessions.common import show_screen
from bot.permissions import Perm, can
from bot.services import recording as rec
from bot.services.tasks import load_overrides
from bot.texts import role_name, t
from db.models import Person

Where = CallbackQuery | Message


async def names_of(session: AsyncSession) -> dict[int, str]:
    return {p.id: p.name for p in (await session.exec(select(Person))).all() if p.id is not None}


def _ddmm(iso: str | None, calendar: SchoolCalendar) -> str:
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(calendar.tz).strftime("%d.%m.%Y")


def _owner_label(lang: str, d: dict[str, Any], names: dict[int, str]) -> str:
    if d.get("owner_id"):
        return names.get(d["owner_id"], "?")
    if d.get("owner_role"):
        return role_name(lang, d["owner_role"])
    return t(lang, "dash")


async def next_session(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar, data: dict[str, Any]
) -> datetime | None:
    if not data.get("held_at"):
        return None
    overrides = await load_overrides(session, calendar)
    held = datetime.fromisoformat(data["held_at"])
    return rec.next_session_at(plan, calendar, dict(overrides.session_times), held, data["num"])


async def render(
    where: Where,
    data: dict[str, Any],
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    lang: str,
    person: Person,
) -> None:
    """Show the draft's current step."""
    num, step = data["num"], data["step"]
    names = await names_of(session)
    if step == "held":
        await show_screen(where, t(lang, "ses_ask_held_typed", number=num))
        return
    head = t(lang, "rec_head", number=num, date=_ddmm(data.get("held_at"), calendar))
    if step == "attend":
        people = [(pid, names[pid]) for pid in data["candidates"] if pid in names]
        present = data["present"]
        guests = "; ".join(f"{n} — {p}" if p else n for n, p in data["guests"]) or t(lang, "dash")
        quorum = rec.has_quorum(present, data["members"])
        text = "\n".join(
            [
                head,
                t(lang, "rec_ask_attend"),
                t(lang, "rec_present", n=len(present), total=len(people)),
                t(lang, "rec_guests", guests=quote(guests)),
                "" if quorum else t(lang, "rec_no_quorum"),
            ]
        ).rstrip()
        await show_screen(where, text, kb.attend_kb(lang, num, people, present))
        return
    items = data["items"]
    index = min(data.get("cursor", 0), len(items) - 1)
    if step in ("item", "spoke", "reporters"):
        item = items[index]
        lines = [
            head,
            t(lang, "rec_item", i=index + 1, n=len(items), title=quote(item["title"])),
            t(lang, "rec_reporters", names=quote(", ".join(item["reporters"]) or t(lang, "dash"))),
        ]
        if item.get("spoke"):
            lines.append(t(lang, "rec_spoke", names=quote(item["spoke"])))
        if item.get("cases"):
            lines.append(t(lang, "rec_cases", count=len(item["cases"])))
        for k, d in enumerate(item["decisions"], start=1):
            lines.append(
                t(lang, "rec_decision", n=k, text=quote(d["text"]),
                  owner=quote(_owner_label(lang, d, names)), due=_ddmm(d.get("due"), calendar))
            )  # fmt: skip
        if step == "spoke":
            lines += ["", t(lang, "rec_ask_spoke")]
            await show_screen(where, "\n".join(lines), kb.skip_spoke_kb(lang, num, index))
            return
        if step == "reporters":
            lines += ["", t(lang, "rec_ask_reporters")]
            people = [(pid, names[pid]) for pid in data["candidates"] if pid in names]
            await show_screen(
                where, "\n".join(lines), kb.pick_kb(lang, num, people, item["reporters"], index)
            )
            return
        lines += ["", t(lang, "rec_ask_decision")]
        last = index == len(items) - 1
        await show_screen(
            where, "\n".join(lines), kb.item_kb(lang, num, index, last, len(item["decisions"]))
        )
        return
    if step == "owner":
        pending = data["pending"][0]
        next_at = await next_session(session, plan, calendar, data)
        next_label = (
            t(lang, "btn_rec_due_next", date=next_at.astimezone(calendar.tz).strftime("%d.%m"))
            if next_at
            else None
        )
        text = "\n".join(
            [
                t(lang, "rec_ask_owner", text=quote(pending["text"])),
                t(lang, "rec_due", date=_ddmm(pending.get("due"), calendar)),
            ]
        )
        present = [(pid, names[pid]) for pid in data["present"] if pid in names]
        roles = [(r.value, role_name(lang, r.value)) for r in rec.OWNER_ROLES]
        markup = kb.owner_kb(lang, num, present, roles, pending.get("due_kind") or "", next_label)
        await show_screen(where, text, markup)
        return
    # review
    decisions = sum(len(i["decisions"]) for i in items)
    cases = sum(len(i.get("cases", [])) for i in items)
    quorum = rec.has_quorum(data["present"], data["members"])
    lines = [
        head,
        t(lang, "rec_review", present=len(data["present"]), members=len(data["members"]),
          guests=len(data["guests"]), items=len(items), decisions=decisions),
    ]  # fmt: skip
    if cases:
        lines.append(t(lang, "rec_cases", count=cases))
    lines.append(t(lang, "rec_quorum_ok") if quorum else t(lang, "rec_no_quorum"))
    lines += ["", t(lang, "rec_ask_save")]
    appendix = (
        data.get("appendix", False) if cases and can(person.roles, Perm.MINUTES_APPENDIX) else None
    )
    await show_screen(where, "\n".join(lines), kb.review_kb(lang, num, len(items) - 1, appendix))
