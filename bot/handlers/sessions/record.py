"""Recording a held session, as the secretary (or chair) does it: attendance with everyone
ticked, guests typed, each agenda item with its reporters, who spoke and its decisions (text,
due date, owner: one tap), the quorum, then Save: the minutes come back at once.

The dialogue is the draft in the database (`bot.services.recording`), saved after each step:
every button names the session, and a button or typed text after a restart continues the same
draft. FSM state (`SessionForm.recording`) only says where typed text goes; when the process
restarted (the FSM storage is new, see `_epoch`), typed text finds the person's draft instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import SessionCb
from bot.clock import Clock
from bot.config import Settings
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.schedule import DEFAULT_POLICY
from bot.handlers.sessions import keyboards as kb
from bot.handlers.sessions.common import show_screen, stale, too_long
from bot.handlers.sessions.listing import summary
from bot.handlers.sessions.record_after import send_minutes, tell_owners
from bot.handlers.sessions.record_screen import names_of, next_session, render
from bot.permissions import Perm, can
from bot.services import recording as rec
from bot.services import sessions as svc
from bot.states import SessionForm
from bot.texts import t
from db.models import Person

# --- the draft around a handler -----------------------------------------------------------------


def _epoch(state: FSMContext) -> str:
    """An id of this process's FSM storage: a draft saved under another one outlived its FSM
    state (the bot restarted), so typed text is routed by the draft itself."""
    storage: Any = state.storage
    epoch = getattr(storage, "kenes_epoch", None)
    if epoch is None:
        epoch = uuid4().hex
        storage.kenes_epoch = epoch
    return str(epoch)


async def _draft(
    session: AsyncSession, calendar: SchoolCalendar, num: int
) -> dict[str, Any] | None:
    row = await rec.get_draft(session, calendar.year, num)
    return dict(row.data) if row is not None else None


async def _save(
    session: AsyncSession,
    calendar: SchoolCalendar,
    data: dict[str, Any],
    person: Person,
    clock: Clock,
    state: FSMContext,
) -> None:
    data["epoch"] = _epoch(state)
    await rec.save_draft(session, calendar.year, data, person, clock.now())
    await state.set_state(SessionForm.recording)
    await state.set_data({"num": data["num"]})


class DraftText(Filter):
    """Typed text that belongs to a recording: in the recording state, or (after a restart)
    from someone whose draft was saved by an earlier process."""

    async def __call__(
        self,
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        calendar: SchoolCalendar,
        person: Person | None = None,
    ) -> bool | dict[str, Any]:
        if person is None or person.id is None or not message.text:
            return False
        current = await state.get_state()
        if current == SessionForm.recording.state:
            return {"draft_num": int((await state.get_data()).get("num", 0))}
        if current is not None or message.text.startswith("/"):
            return False
        if not can(person.roles, Perm.MANAGE_SESSIONS):
            return False
        row = await rec.draft_of(session, calendar.year, person.id)
        if row is None or row.data.get("epoch") == _epoch(state):
            return False  # no draft, or this process knew it and the dialogue was left
        return {"draft_num": row.number}


# --- starting -----------------------------------------------------------------------------------


async def start(
    query: CallbackQuery,
    view: svc.SessionView,
    edit: bool,
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
    lang: str,
    state: FSMContext,
    person: Person,
) -> None:
    """Continue the session's draft, or start one (an edit always starts from the record)."""
    data = None if edit else await _draft(session, calendar, view.number)
    if data is None:
        today = clock.now().astimezone(calendar.tz).date()
        data = await rec.new_draft(
            session, plan, calendar, view, lang=lang, edit=edit, today=today
        )
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


# --- taps ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Env:
    """What a change to the draft may need besides the draft."""

    session: AsyncSession
    plan: Plan
    calendar: SchoolCalendar
    person: Person


# A change to the draft for a tapped button: False when the button does not fit the draft.
Change = Callable[[dict[str, Any], str, Env], Awaitable[bool]]


def tap_handler(steps: tuple[str, ...], change: Change) -> Callable[..., Awaitable[None]]:
    """A handler for a recording button: the draft it belongs to (at one of `steps`), the
    change, saved, the screen shown again; a button that does not fit is stale."""

    async def handler(
        query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
        calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
    ) -> None:  # fmt: skip
        data = await _draft(session, calendar, callback_data.num)
        if data is None or data.get("step") not in steps:
            await stale(query, lang)
            return
        env = Env(session, plan, calendar, person)
        if not await change(data, callback_data.arg, env):
            await stale(query, lang)
            return
        await _save(session, calendar, data, person, clock, state)
        await render(query, data, session, plan, calendar, lang, person)

    return handler


def _is_cursor(data: dict[str, Any], arg: str) -> bool:
    return arg.isdigit() and int(arg) == data.get("cursor", 0)


async def _toggle_present(data: dict[str, Any], arg: str, env: Env) -> bool:
    pid = int(arg) if arg.isdigit() else -1
    if pid not in data["candidates"]:
        return False
    present = list(data["present"])
    if pid in present:
        present.remove(pid)
    else:
        present.append(pid)
    data["present"] = present
    return True


async def _all_present(data: dict[str, Any], arg: str, env: Env) -> bool:
    data["present"] = list(data["candidates"])
    return True


async def _to_items(data: dict[str, Any], arg: str, env: Env) -> bool:
    data["step"], data["cursor"] = "item", 0
    return True


async def _next_item(data: dict[str, Any], arg: str, env: Env) -> bool:
    if not _is_cursor(data, arg):
        return False
    if data["cursor"] + 1 < len(data["items"]):
        data["cursor"] += 1
    else:
        data["step"] = "review"
    return True


async def _previous(data: dict[str, Any], arg: str, env: Env) -> bool:
    if data["step"] == "review":
        data["step"], data["cursor"] = "item", len(data["items"]) - 1
    elif data["cursor"] > 0:
        data["cursor"] -= 1
    else:
        data["step"] = "attend"
    return True


def _goto(step: str) -> Change:
    """Reporters, Spoke on an item; Done / Nobody back to it."""

    async def change(data: dict[str, Any], arg: str, env: Env) -> bool:
        if not _is_cursor(data, arg):
            return False
        data["step"] = step
        return True

    return change


async def _undo(data: dict[str, Any], arg: str, env: Env) -> bool:
    if not _is_cursor(data, arg):
        return False
    decisions = data["items"][data["cursor"]]["decisions"]
    if decisions:
        decisions.pop()
    return True


async def _toggle_reporter(data: dict[str, Any], arg: str, env: Env) -> bool:
    pid = int(arg) if arg.isdigit() else -1
    names = await names_of(env.session)
    if pid not in data["candidates"] or pid not in names:
        return False
    item = data["items"][data["cursor"]]
    reporters = list(item["reporters"])
    if names[pid] in reporters:
        reporters.remove(names[pid])
    else:
        reporters.append(names[pid])
    item["reporters"] = reporters
    return True


async def _set_due(data: dict[str, Any], arg: str, env: Env) -> bool:
    held = datetime.fromisoformat(data["held_at"])
    when = None
    if arg == "next_session":
        when = await next_session(env.session, env.plan, env.calendar, data)
    elif arg == "quarter_end":
        day = rec.quarter_end(env.calendar, held.astimezone(env.calendar.tz).date())
        when = rec.due_at(env.calendar, day) if day else None
    if when is None:
        return False
    data["pending"][0]["due"], data["pending"][0]["due_kind"] = when.isoformat(), arg
    return True


async def _set_owner(data: dict[str, Any], arg: str, env: Env) -> bool:
    """One tap files the pending decision with its owner (a person present or a role)."""
    owner_id: int | None = None
    owner_role: str | None = None
    if arg.startswith("p") and arg[1:].isdigit() and int(arg[1:]) in data["present"]:
        owner_id = int(arg[1:])
    elif arg.startswith("r") and arg[1:] in {r.value for r in rec.OWNER_ROLES}:
        owner_role = arg[1:]
    elif arg != "0":
        return False
    pending = data["pending"].pop(0)
    item = data["items"][data["cursor"]]
    item["decisions"].append({**pending, "owner_id": owner_id, "owner_role": owner_role})
    if not data["pending"]:
        data["step"] = "item"
    return True


async def _toggle_appendix(data: dict[str, Any], arg: str, env: Env) -> bool:
    if not can(env.person.roles, Perm.MINUTES_APPENDIX):
        return False
    data["appendix"] = not data.get("appendix", False)
    return True


attend_tap = tap_handler(("attend",), _toggle_present)
all_tap = tap_handler(("attend",), _all_present)
attend_ok_tap = tap_handler(("attend",), _to_items)
item_next_tap = tap_handler(("item",), _next_item)
item_back_tap = tap_handler(("item", "review"), _previous)
reporters_tap = tap_handler(("item",), _goto("reporters"))
spoke_tap = tap_handler(("item",), _goto("spoke"))
undo_tap = tap_handler(("item",), _undo)
back_to_item_tap = tap_handler(("reporters", "spoke"), _goto("item"))
reporter_tap = tap_handler(("reporters",), _toggle_reporter)
due_tap = tap_handler(("owner",), _set_due)
owner_tap = tap_handler(("owner",), _set_owner)
appendix_tap = tap_handler(("review",), _toggle_appendix)


async def save_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
    bot: Bot, settings: Settings, outbox: Any = None,
) -> None:  # fmt: skip
    data = await _draft(session, calendar, callback_data.num)
    if data is None or data.get("step") != "review":
        await stale(query, lang)
        return
    now = clock.now()
    saved = await rec.commit(session, plan, calendar, data, actor=person, now=now)
    await state.clear()
    view = await svc.get_view(session, plan, calendar, data["num"])
    assert view is not None
    if saved is None:
        await rec.drop_draft(session, calendar.year, data["num"])
        text = (
            t(lang, "ses_already_recorded") + "\n\n" + await summary(session, lang, calendar, view)
        )
        await show_screen(query, text, kb.recorded_kb(lang, view))
        return
    told = await tell_owners(session, calendar, saved, now, outbox)
    head = t(lang, "ses_edited" if data.get("edit") else "ses_recorded")
    if told:
        head += " " + t(lang, "rec_owners_told", n=told)
    text = head + "\n\n" + await summary(session, lang, calendar, view)
    await show_screen(query, text, kb.recorded_kb(lang, view))
    await send_minutes(bot, query, session, plan, calendar, clock, lang, settings, data["num"])


# --- typed text ---------------------------------------------------------------------------------


async def typed(
    message: Message, draft_num: int, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _draft(session, calendar, draft_num)
    if data is None:
        await state.clear()
        await message.answer(t(lang, "stale_button"))
        return
    text = (message.text or "").strip()
    step = data["step"]
    today = clock.now().astimezone(calendar.tz).date()
    if step in ("held", "review"):
        day = svc.parse_day(text, calendar)
        if day is None:
            await message.answer(t(lang, "ses_err_day_format"))
            return
        if day > today:
            await message.answer(t(lang, "ses_err_held_future"))
            return
        data["held_at"] = svc.at(calendar, day, DEFAULT_POLICY.session_time).isoformat()
        if step == "held":
            data["step"] = "attend"
    elif step == "attend":
        try:
            guests = rec.parse_guests(text)
        except ValueError:
            await message.answer(t(lang, "ses_err_too_long", limit=rec.GUEST_MAX))
            return
        data["guests"] = [*data["guests"], *[[n, p] for n, p in guests]]
    elif step == "item":
        lines = [" ".join(line.split()) for line in text.splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            await message.answer(t(lang, "ses_err_empty"))
            return
        if any(too_long(line, svc.DECISION_MAX) for line in lines):
            await message.answer(t(lang, "ses_err_too_long", limit=svc.DECISION_MAX))
            return
        next_at = await next_session(session, plan, calendar, data)
        if next_at is not None:
            due, kind = next_at.isoformat(), "next_session"
        else:
            held = datetime.fromisoformat(data["held_at"]).astimezone(calendar.tz).date()
            end = rec.quarter_end(calendar, held)
            due, kind = (
                (rec.due_at(calendar, end).isoformat(), "quarter_end") if end else (None, None)
            )
        data["pending"] = [{"text": line, "due": due, "due_kind": kind} for line in lines]
        data["step"] = "owner"
    elif step == "owner":
        day = svc.parse_day(text, calendar)
        if day is None:
            await message.answer(t(lang, "rec_err_owner_step"))
            return
        if day < today:
            await message.answer(t(lang, "ses_err_past"))
            return
        data["pending"][0]["due"] = rec.due_at(calendar, day).isoformat()
        data["pending"][0]["due_kind"] = "date"
    elif step == "spoke":
        if too_long(text, rec.SPOKE_MAX):
            await message.answer(t(lang, "ses_err_too_long", limit=rec.SPOKE_MAX))
            return
        data["items"][data["cursor"]]["spoke"] = " ".join(text.split()) or None
        data["step"] = "item"
    else:
        await message.answer(t(lang, "rec_err_tap"))
        return
    await _save(session, calendar, data, person, clock, state)
    await render(message, data, session, plan, calendar, lang, person)


async def record_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    """ "Record" on a card or on the secretary's prompt: what was recorded, or the draft."""
    view = await svc.get_view(session, plan, calendar, callback_data.num)
    if view is None:
        await stale(query, lang)
        return
    if view.held:
        await state.clear()
        text = (
            t(lang, "ses_already_recorded") + "\n\n" + await summary(session, lang, calendar, view)
        )
        await show_screen(query, text, kb.recorded_kb(lang, view))
        return
    await start(query, view, False, session, plan, calendar, clock, lang, state, person)


async def edit_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    view = await svc.get_view(session, plan, calendar, callback_data.num)
    if view is None or not view.held:
        await stale(query, lang)
        return
    await start(query, view, True, session, plan, calendar, clock, lang, state, person)
