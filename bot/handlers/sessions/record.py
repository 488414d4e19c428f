"""Recording a held session, as the secretary (or chair) does it: attendance with everyone
ticked, guests typed, each agenda item with its reporters, who spoke and its decisions (text,
due date, owner: one tap), the quorum, then Save: the minutes come back at once.

The dialogue is the draft in the database (`bot.services.recording`), saved after each step:
every button names the session, and a button or typed text after a restart continues the same
draft. FSM state (`SessionForm.recording`) only says where typed text goes; when the process
restarted (the FSM storage is new, see `_epoch`), typed text finds the person's draft instead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import uuid4

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import SessionAction, SessionCb
from bot.clock import Clock
from bot.config import Settings
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.schedule import DEFAULT_POLICY
from bot.documents import TemplateProblem, produce
from bot.escape import quote
from bot.handlers.sessions import keyboards as kb
from bot.handlers.sessions.common import show_screen, stale, too_long
from bot.handlers.sessions.listing import summary
from bot.keyboards import decisions_kb
from bot.permissions import Perm, can
from bot.scheduler.outbox import enqueue
from bot.services import recording as rec
from bot.services import sessions as svc
from bot.services.tasks import fmt_when, load_overrides
from bot.states import SessionForm
from bot.texts import role_name, t
from db.models import Decision, Person

log = logging.getLogger(__name__)

Where = CallbackQuery | Message


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


# --- screens ------------------------------------------------------------------------------------


async def _names(session: AsyncSession) -> dict[int, str]:
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


async def _next_session(
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
    names = await _names(session)
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
        next_at = await _next_session(session, plan, calendar, data)
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


async def _tapped(
    query: CallbackQuery,
    callback_data: SessionCb,
    session: AsyncSession,
    calendar: SchoolCalendar,
    lang: str,
    steps: tuple[str, ...],
) -> dict[str, Any] | None:
    """The draft this button belongs to, at one of `steps`; else a stale answer."""
    data = await _draft(session, calendar, callback_data.num)
    if data is None or data.get("step") not in steps:
        await stale(query, lang)
        return None
    return data


async def attend_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("attend",))
    if data is None:
        return
    pid = int(callback_data.arg) if callback_data.arg.isdigit() else -1
    if pid not in data["candidates"]:
        await stale(query, lang)
        return
    present = list(data["present"])
    if pid in present:
        present.remove(pid)
    else:
        present.append(pid)
    data["present"] = present
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def all_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("attend",))
    if data is None:
        return
    data["present"] = list(data["candidates"])
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def attend_ok_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("attend",))
    if data is None:
        return
    data["step"], data["cursor"] = "item", 0
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


def _index(callback_data: SessionCb, data: dict[str, Any]) -> int | None:
    arg = callback_data.arg
    if not arg.isdigit() or int(arg) != data.get("cursor", 0):
        return None
    return int(arg)


async def item_next_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("item",))
    if data is None or _index(callback_data, data) is None:
        if data is not None:
            await stale(query, lang)
        return
    if data["cursor"] + 1 < len(data["items"]):
        data["cursor"] += 1
    else:
        data["step"] = "review"
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def item_back_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("item", "review"))
    if data is None:
        return
    if data["step"] == "review":
        data["step"], data["cursor"] = "item", len(data["items"]) - 1
    elif data["cursor"] > 0:
        data["cursor"] -= 1
    else:
        data["step"] = "attend"
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def step_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    """Reporters, Spoke, Undo on an item; Done / Nobody back to it."""
    action = callback_data.action
    steps = ("reporters", "spoke") if action == SessionAction.REPORTERS_OK else ("item",)
    data = await _tapped(query, callback_data, session, calendar, lang, steps)
    if data is None:
        return
    if _index(callback_data, data) is None:
        await stale(query, lang)
        return
    item = data["items"][data["cursor"]]
    if action == SessionAction.REPORTERS:
        data["step"] = "reporters"
    elif action == SessionAction.SPOKE:
        data["step"] = "spoke"
    elif action == SessionAction.UNDO:
        if item["decisions"]:
            item["decisions"].pop()
    else:  # REPORTERS_OK: back to the item
        data["step"] = "item"
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def reporter_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("reporters",))
    if data is None:
        return
    pid = int(callback_data.arg) if callback_data.arg.isdigit() else -1
    names = await _names(session)
    if pid not in data["candidates"] or pid not in names:
        await stale(query, lang)
        return
    item = data["items"][data["cursor"]]
    reporters = list(item["reporters"])
    if names[pid] in reporters:
        reporters.remove(names[pid])
    else:
        reporters.append(names[pid])
    item["reporters"] = reporters
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def due_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("owner",))
    if data is None:
        return
    pending = data["pending"][0]
    held = datetime.fromisoformat(data["held_at"])
    if callback_data.arg == "next_session":
        when = await _next_session(session, plan, calendar, data)
    elif callback_data.arg == "quarter_end":
        day = rec.quarter_end(calendar, held.astimezone(calendar.tz).date())
        when = rec.due_at(calendar, day) if day else None
    else:
        when = None
    if when is None:
        await stale(query, lang)
        return
    pending["due"], pending["due_kind"] = when.isoformat(), callback_data.arg
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def owner_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("owner",))
    if data is None:
        return
    arg = callback_data.arg
    owner_id: int | None = None
    owner_role: str | None = None
    if arg.startswith("p") and arg[1:].isdigit() and int(arg[1:]) in data["present"]:
        owner_id = int(arg[1:])
    elif arg.startswith("r") and arg[1:] in {r.value for r in rec.OWNER_ROLES}:
        owner_role = arg[1:]
    elif arg != "0":
        await stale(query, lang)
        return
    pending = data["pending"].pop(0)
    item = data["items"][data["cursor"]]
    item["decisions"].append({**pending, "owner_id": owner_id, "owner_role": owner_role})
    if not data["pending"]:
        data["step"] = "item"
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def appendix_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("review",))
    if data is None:
        return
    if not can(person.roles, Perm.MINUTES_APPENDIX):
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    data["appendix"] = not data.get("appendix", False)
    await _save(session, calendar, data, person, clock, state)
    await render(query, data, session, plan, calendar, lang, person)


async def save_tap(
    query: CallbackQuery, callback_data: SessionCb, session: AsyncSession, plan: Plan,
    calendar: SchoolCalendar, clock: Clock, lang: str, state: FSMContext, person: Person,
    bot: Bot, settings: Settings, outbox: Any = None,
) -> None:  # fmt: skip
    data = await _tapped(query, callback_data, session, calendar, lang, ("review",))
    if data is None:
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
    told = await _tell_owners(session, calendar, saved, now, outbox)
    head = t(lang, "ses_edited" if data.get("edit") else "ses_recorded")
    if told:
        head += " " + t(lang, "rec_owners_told", n=told)
    text = head + "\n\n" + await summary(session, lang, calendar, view)
    await show_screen(query, text, kb.recorded_kb(lang, view))
    await send_minutes(bot, query, session, plan, calendar, clock, lang, settings, data["num"])


async def send_minutes(
    bot: Bot, where: Where, session: AsyncSession, plan: Plan, calendar: SchoolCalendar,
    clock: Clock, lang: str, settings: Settings, number: int,
) -> None:  # fmt: skip
    """The minutes as a file, at once, in one message."""
    chat = where.message.chat.id if isinstance(where, CallbackQuery) and where.message else None
    if isinstance(where, Message):
        chat = where.chat.id
    if chat is None:
        return
    try:
        doc = await produce.minutes(
            session, plan, calendar, clock.now(), lang, produce.options(settings), number
        )
    except TemplateProblem as exc:
        await bot.send_message(chat, t(lang, "doc_template_problem", problem=quote(str(exc))))
        return
    await bot.send_document(
        chat,
        BufferedInputFile(doc.content, doc.filename),
        caption=t(lang, "rec_minutes_caption", number=number),
        protect_content=doc.sensitive,
    )


async def _tell_owners(
    session: AsyncSession, calendar: SchoolCalendar, saved: rec.Saved, now: datetime, outbox: Any
) -> int:
    """Each owner, one message: their decisions of this session, due dates, Done / Can't."""
    from db.models import Account, AccountState

    owners = await rec.owners_of(session, saved.new_decisions)
    if not owners:
        return 0
    accounts = {
        a.person_id: a
        for a in (await session.exec(select(Account))).all()
        if a.state is AccountState.JOINED and a.unreachable_since is None
    }
    row = saved.row
    assert row.held_at is not None
    told = 0
    first = min(d.id or 0 for d in saved.new_decisions)
    for pid, decisions in owners.items():
        account = accounts.get(pid)
        if account is None:
            continue
        lang = str(account.language)
        lines = [t(lang, "rec_owner_head", number=row.number,
                   date=row.held_at.astimezone(calendar.tz).strftime("%d.%m.%Y"))]  # fmt: skip
        lines += [
            _owner_line(lang, i, d, calendar, len(decisions)) for i, d in enumerate(decisions, 1)
        ]
        keys = [d.occurrence_key for d in decisions if d.occurrence_key]
        await enqueue(
            session,
            dedup_key=f"council_session:{row.id}|{pid}|decisions-{first}",
            chat_id=account.chat_id,
            text="\n".join(lines),
            kind="decision_assigned",
            due_at=now,
            now=now,
            person_id=pid,
            occurrence_key=keys[0] if len(keys) == 1 else None,
            reply_markup=decisions_kb(lang, keys),
        )
        told += 1
    await session.commit()
    if outbox is not None:
        outbox.wake()
    return told


def _owner_line(lang: str, i: int, d: Decision, calendar: SchoolCalendar, count: int) -> str:
    assert d.deadline is not None
    due = fmt_when(lang, d.deadline.astimezone(calendar.tz), clock=False)
    prefix = f"{i}. " if count > 1 else ""
    return t(lang, "rec_owner_line", prefix=prefix, text=quote(d.text), due=due)


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
        next_at = await _next_session(session, plan, calendar, data)
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
