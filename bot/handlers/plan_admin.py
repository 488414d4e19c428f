"""The plan in the chat, for admins: a school's plan file sent to the bot is read, reviewed in
one message, its undated items get a timing by buttons, and a confirm makes it the plan in use;
`/plan` lists the items of the plan in use that have no date and sets their timing, and the
items whose people are all external with their school host, who can be changed (both stored
beside the plan, `plan_override`). Behind `HasPerm(Perm.MANAGE_STAFF)`; audited.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import PlanAction, PlanCb
from bot.clock import Clock
from bot.config import Settings
from bot.core.calendar import SchoolCalendar
from bot.core.hosts import Hosted, guest_names, host_of, hosted
from bot.core.overrides import TIMING_CHOICES, needs_timing, timing_choice
from bot.core.plan import Plan, PlanError, Responsible, parse_plan
from bot.core.plan_lang import plan_in
from bot.core.roles import Role
from bot.core.yearroll import roll_years
from bot.escape import quote
from bot.filters import HasPerm, Inline, PrivateChat
from bot.names import ref_text, who_text
from bot.permissions import Perm
from bot.plan_import.readers import MAX_BYTES, SUFFIXES, ReadError
from bot.plan_import.review import review_head, review_lines, timing_words
from bot.plan_import.store import PlanStore
from bot.screens import edit_markup, show
from bot.services import plan_overrides
from bot.services.assignments import effective_plan
from bot.services.plan_import import adopt_plan
from bot.services.sessions import parse_day
from bot.services.staff import school_staff
from bot.states import PlanForm
from bot.texts import t
from db.models import Person

log = logging.getLogger(__name__)
MESSAGE_MAX = 3800
CAPTION_MAX = 1000
FIX_BUTTONS = 12
HOST_BUTTONS = 30
STAFF_BUTTONS = 90  # Telegram shows up to 100 buttons


class PlanFile(Filter):
    """A document whose name says it may be a plan (.docx, .xlsx, .txt); other files go on
    to whoever else takes files."""

    async def __call__(self, message: Message) -> bool:
        document = message.document
        name = (document.file_name or "") if document is not None else ""
        return Path(name).suffix.lower() in SUFFIXES


def router_factory() -> Router:
    router = Router(name="plan_admin")
    router.message.filter(PrivateChat(), HasPerm(Perm.MANAGE_STAFF))
    router.callback_query.filter(HasPerm(Perm.MANAGE_STAFF))
    router.message.register(plan_file, StateFilter(None, PlanForm.review), PlanFile())
    router.message.register(undated, Command("plan"))
    router.message.register(date_typed, PlanForm.date, Inline(F.text))
    router.callback_query.register(
        fix, PlanCb.filter(F.action.in_({PlanAction.FIX, PlanAction.SET}))
    )
    router.callback_query.register(pick, PlanCb.filter(F.action == PlanAction.PICK))
    router.callback_query.register(confirm, PlanCb.filter(F.action == PlanAction.CONFIRM))
    router.callback_query.register(cancel, PlanCb.filter(F.action == PlanAction.CANCEL))
    router.callback_query.register(host_pick, PlanCb.filter(F.action == PlanAction.HOST))
    router.callback_query.register(host_set, PlanCb.filter(F.action == PlanAction.HOST_SET))
    router.callback_query.register(close, PlanCb.filter(F.action == PlanAction.CLOSE))
    return router


# --- a plan file comes in ----------


def _review_kb(lang: str, undated_refs: list[str], ok: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for ref in undated_refs[:FIX_BUTTONS]:
        builder.button(
            text=t(lang, "btn_plan_fix", ref=ref),
            callback_data=PlanCb(action=PlanAction.FIX, ref=ref),
        )
    if ok:
        builder.button(
            text=t(lang, "btn_plan_confirm"), callback_data=PlanCb(action=PlanAction.CONFIRM)
        )
    builder.button(text=t(lang, "btn_plan_cancel"), callback_data=PlanCb(action=PlanAction.CANCEL))
    builder.adjust(1)
    return builder.as_markup()


def _undated(data: dict[str, Any]) -> list[str]:
    refs = []
    for section in data.get("sections", []):
        for item in section["items"]:
            if item.get("timing") == [{"kind": "missing"}] or (
                "timing" not in item and not item.get("when", "").strip(" \n.,")
            ):
                refs.append(item["ref"])
    return refs


def _set_timing(data: dict[str, Any], ref: str, rules: list[dict[str, Any]]) -> None:
    for section in data.get("sections", []):
        for item in section["items"]:
            if item["ref"] == ref:
                item["timing"] = rules


async def plan_file(
    message: Message,
    bot: Bot,
    state: FSMContext,
    lang: str,
    plan: Plan,
    calendar: SchoolCalendar,
) -> None:
    from bot.cli.plan_import import read_plan

    document = message.document
    assert document is not None
    name = document.file_name or "plan"
    if Path(name).suffix.lower() not in SUFFIXES:
        await message.answer(t(lang, "plan_file_bad"))
        return
    if (document.file_size or 0) > MAX_BYTES:
        await message.answer(t(lang, "plan_file_big"))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        reading = await asyncio.to_thread(
            read_plan, name, buffer.getvalue(), known=plan, school_year=calendar.year, mapping=None
        )
    except ReadError:
        await message.answer(t(lang, "plan_file_bad"))
        return
    log.info(
        "plan file read: %d items, %d problems",
        reading.imported.items,
        len(reading.imported.problems),
    )
    await state.set_state(PlanForm.review)
    await state.update_data(name=name, plan_data=reading.data)
    await _send_review(message, lang, name, reading, calendar)


async def _send_review(
    message: Message, lang: str, name: str, reading: Any, calendar: SchoolCalendar
) -> None:
    """One message: the review, or (long) the head as the caption of the full report."""
    undated = _undated(reading.data)
    ok = not reading.errors
    head = review_head(lang, name, reading.imported, reading.errors)
    if undated and ok:
        head += ["", t(lang, "plan_confirm_hint")]
    kb = _review_kb(lang, undated, ok)
    full = review_lines(lang, name, reading.imported, reading.plan, calendar, reading.errors)
    text = "\n".join(head)
    if len("\n".join(full)) <= MESSAGE_MAX:
        await message.answer("\n".join(full), reply_markup=kb)
        return
    if len(text) > CAPTION_MAX:
        text = text[: CAPTION_MAX - 2].rsplit("\n", 1)[0] + "\n…"
    report = "\n".join(full).replace("<b>", "").replace("</b>", "")
    from html import unescape

    await message.answer_document(
        BufferedInputFile(
            unescape(report).encode("utf-8"), filename=f"{Path(name).stem}-review.txt"
        ),
        caption=text + "\n" + t(lang, "plan_full_report"),
        reply_markup=kb,
    )


# --- timings by buttons ----------


def _choices_kb(lang: str, ref: str, live: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for choice in TIMING_CHOICES:
        builder.button(
            text=t(lang, f"btn_timing_{choice}"),
            callback_data=PlanCb(action=PlanAction.PICK, ref=ref, arg=choice, live=live),
        )
    builder.button(text=t(lang, "btn_back"), callback_data=PlanCb(action=PlanAction.CLOSE))
    builder.adjust(2)
    return builder.as_markup()


async def fix(
    query: CallbackQuery, callback_data: PlanCb, state: FSMContext, lang: str, plan: Plan
) -> None:
    live = int(callback_data.action == PlanAction.SET)
    ref = callback_data.ref
    if live:
        titles = dict(needs_timing(plan_in(plan, lang)))
    else:
        data = (await state.get_data()).get("plan_data")
        if data is None:
            await query.answer(t(lang, "stale_button"), show_alert=True)
            return
        titles = {i["ref"]: i["title"] for s in data["sections"] for i in s["items"]}
    if ref not in titles:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    assert isinstance(query.message, Message)
    await query.message.answer(
        t(lang, "plan_pick_timing", ref=quote(ref), title=quote(titles[ref][:200])),
        reply_markup=_choices_kb(lang, ref, live),
    )
    await query.answer()


async def _apply(
    target: Message,
    ref: str,
    live: int,
    rules: list[Any],
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
    plan: Plan,
) -> bool:
    words = timing_words(lang, rules)
    if live:
        if ref not in dict(needs_timing(plan)):
            return False
        await plan_overrides.set_timing(session, ref, rules, by=person, now=clock.now())
    else:
        data = (await state.get_data()).get("plan_data")
        if data is None:
            return False
        _set_timing(data, ref, [r.model_dump() for r in rules])
        await state.update_data(plan_data=data)
        await state.set_state(PlanForm.review)
    await target.answer(t(lang, "plan_timing_set", ref=quote(ref), rule=words))
    return True


async def pick(
    query: CallbackQuery,
    callback_data: PlanCb,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
    plan: Plan,
) -> None:
    assert isinstance(query.message, Message)
    if callback_data.arg not in TIMING_CHOICES:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    if callback_data.arg == "date":
        if not callback_data.live and (await state.get_data()).get("plan_data") is None:
            await query.answer(t(lang, "stale_button"), show_alert=True)
            return
        await state.set_state(PlanForm.date)
        await state.update_data(ref=callback_data.ref, live=callback_data.live)
        await show(query, t(lang, "plan_ask_date"), None)
        return
    rules = list(timing_choice(callback_data.arg))
    done = await _apply(
        query.message, callback_data.ref, callback_data.live, rules, state, session, clock, lang,
        person, plan,
    )  # fmt: skip
    if not done:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    await show(query, query.message.html_text, None)


async def date_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
) -> None:
    day: date | None = parse_day(message.text or "", calendar)
    if day is None:
        await message.answer(t(lang, "plan_bad_date"))
        return
    data = await state.get_data()
    live = int(data.get("live", 0))
    if live:
        await state.clear()
    await _apply(
        message, str(data.get("ref", "")), live, list(timing_choice("date", day)), state,
        session, clock, lang, person, plan,
    )  # fmt: skip


# --- confirm or cancel ----------


async def confirm(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
    plan: Plan,
    calendar: SchoolCalendar,
    settings: Settings,
    dispatcher: Dispatcher,
) -> None:
    stored = await state.get_data()
    data, name = stored.get("plan_data"), str(stored.get("name", "plan"))
    if data is None:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    try:
        new = parse_plan(data, name)
    except PlanError:
        await query.answer(t(lang, "plan_has_errors"), show_alert=True)
        return
    store = PlanStore(settings.plans_dir)
    version = await asyncio.to_thread(store.save, data, source=name, now=clock.now())
    new_rolled, _ = roll_years(new, calendar.year)
    comparison = await adopt_plan(
        session,
        plan,
        new_rolled,
        calendar.year,
        by=person,
        now=clock.now(),
        version=version.number,
    )
    # The running bot takes the new plan: the handlers read it per update, the tick each minute.
    dispatcher["plan"] = new_rolled
    ctx = dispatcher.workflow_data.get("app_context")
    if ctx is not None:
        ctx.plan = new_rolled
    await state.clear()
    lines = [
        t(
            lang,
            "plan_saved",
            version=version.number,
            items=sum(1 for _ in new.items()),
            sessions=len(new.sessions),
        ),
        t(lang, "imp_kept", count=len(comparison.same)),
    ]
    if comparison.removed:
        lines.append(t(lang, "imp_removed", refs=", ".join(comparison.removed)))
    log.info("plan version %d adopted: %d items kept, %d removed", version.number,
             len(comparison.same), len(comparison.removed))  # fmt: skip
    assert isinstance(query.message, Message)
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer("\n".join(lines))
    await query.answer()


async def close(query: CallbackQuery) -> None:
    """⬅️ on a timing or host choice: its buttons go; the screen above it stays as it was."""
    await edit_markup(query.message, None)
    await query.answer()


async def cancel(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    await state.clear()
    assert isinstance(query.message, Message)
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t(lang, "plan_cancelled"))
    await query.answer()


# --- /plan: the plan in use: items without a date, items a school host answers for ----------


def _names(plan: Plan, keys: tuple[str, ...], lang: str) -> str:
    """The hosts by name (the admin reads this: a vacancy says so; never a key)."""
    return who_text(plan, Responsible(people=keys), lang, admin=True) or t(lang, "dash")


def _short(text: str, width: int) -> str:
    """At most `width` characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:—-") + "…"


async def undated(
    message: Message,
    session: AsyncSession,
    lang: str,
    plan: Plan,
    calendar: SchoolCalendar,
    clock: Clock,
) -> None:
    text, markup = await plan_screen(session, lang, plan, calendar, clock)
    await message.answer(text, reply_markup=markup)


async def plan_screen(
    session: AsyncSession, lang: str, plan: Plan, calendar: SchoolCalendar, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    """/plan: undated items, hosted items, and the way to the routine duties and to the work
    due before its people joined (`bot.handlers.plan_routine`)."""
    from bot.handlers.plan_routine import extra_buttons

    current = plan_in(await effective_plan(session, plan), lang)
    missing = needs_timing(current)
    hosts = hosted(current)
    lines = [t(lang, "plan_no_dates") if missing else t(lang, "plan_all_dated")]
    lines += [
        f"• <b>{quote(ref)}</b> {quote(_short(title, 120))} — {t(lang, 'rule_missing')}"
        for ref, title in missing
    ]
    builder = InlineKeyboardBuilder()
    for ref, _ in missing[:FIX_BUTTONS]:
        builder.button(
            text=t(lang, "btn_plan_fix", ref=ref),
            callback_data=PlanCb(action=PlanAction.SET, ref=ref),
        )
    if hosts:
        lines += ["", t(lang, "plan_hosted")]
        for shown, h in enumerate(hosts):
            line = t(
                lang,
                "plan_hosted_line",
                ref=quote(ref_text(h.ref, lang)),
                title=quote(_short(h.title, 60)),
                guests=quote(", ".join(guest_names(current, h.responsible, lang))),
                host=quote(_names(current, host_of(current, h.responsible), lang)),
            )
            if len("\n".join([*lines, line])) > MESSAGE_MAX or shown == HOST_BUTTONS:
                lines.append(t(lang, "plan_more", count=len(hosts) - shown))
                break
            lines.append(line)
            builder.button(
                text=t(lang, "btn_plan_host", ref=ref_text(h.ref, lang)),
                callback_data=PlanCb(action=PlanAction.HOST, ref=h.ref),
            )
    for button in await extra_buttons(session, lang, plan, calendar, clock):
        builder.add(button)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def _hosted_one(plan: Plan, ref: str) -> Hosted | None:
    return next((h for h in hosted(plan) if h.ref == ref), None)


async def host_pick(
    query: CallbackQuery, callback_data: PlanCb, session: AsyncSession, lang: str, plan: Plan
) -> None:
    """The staff to choose the host from, the current one marked."""
    current = plan_in(await effective_plan(session, plan), lang)
    found = _hosted_one(current, callback_data.ref)
    if found is None:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    now = host_of(current, found.responsible)
    builder = InlineKeyboardBuilder()
    for person in (await school_staff(session))[:STAFF_BUTTONS]:
        mark = "☑️ " if person.key in now else ""
        builder.button(
            text=f"{mark}{person.name}"[:60],
            callback_data=PlanCb(action=PlanAction.HOST_SET, ref=found.ref, arg=str(person.id)),
        )
    builder.button(text=t(lang, "btn_back"), callback_data=PlanCb(action=PlanAction.CLOSE))
    builder.adjust(2)
    assert isinstance(query.message, Message)
    await query.message.answer(
        t(
            lang,
            "plan_pick_host",
            ref=quote(ref_text(found.ref, lang)),
            title=quote(_short(found.title, 200)),
            guests=quote(", ".join(guest_names(current, found.responsible, lang))),
            host=quote(_names(current, now, lang)),
        ),
        reply_markup=builder.as_markup(),
    )
    await query.answer()


async def host_set(
    query: CallbackQuery,
    callback_data: PlanCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
    plan: Plan,
) -> None:
    current = await effective_plan(session, plan)
    found = _hosted_one(current, callback_data.ref)
    chosen = (
        await session.get(Person, int(callback_data.arg)) if callback_data.arg.isdigit() else None
    )
    if found is None or chosen is None or not chosen.active or Role.EXTERNAL in chosen.roles:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    await plan_overrides.set_host(session, found.ref, [chosen.key], by=person, now=clock.now())
    log.info("host of %s set to person %s", found.ref, chosen.id)
    await show(
        query,
        t(lang, "plan_host_set", ref=quote(ref_text(found.ref, lang)), host=quote(chosen.name)),
        None,
    )
