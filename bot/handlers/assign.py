"""Reassigning who answers for a plan item (`/reassign 1.4`). Audited."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import AssignAction, AssignCb
from bot.clock import Clock
from bot.core.assign import assignable_refs
from bot.core.plan import Plan, Responsible
from bot.core.plan_lang import plan_in
from bot.escape import quote
from bot.filters import HasPerm, Inline, PrivateChat
from bot.names import who_text
from bot.permissions import Perm
from bot.services.assignments import effective_plan, reassign
from bot.services.staff import school_staff
from bot.states import AssignForm
from bot.texts import t
from db.models import Person

TITLE_MAX = 120


def router_factory() -> Router:
    router = Router(name="assign")
    router.message.filter(PrivateChat(), HasPerm(Perm.REASSIGN))
    router.callback_query.filter(HasPerm(Perm.REASSIGN))
    router.message.register(start, Command("reassign"))
    router.message.register(ref_entered, AssignForm.ref, Inline(F.text))
    router.callback_query.register(
        toggle, AssignForm.people, AssignCb.filter(F.action == AssignAction.TOGGLE)
    )
    router.callback_query.register(
        save, AssignForm.people, AssignCb.filter(F.action == AssignAction.SAVE)
    )
    return router


def _keyboard(lang: str, staff: list[Person], chosen: set[str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for person in staff:
        assert person.id is not None
        mark = "☑️" if person.key in chosen else "▫️"
        builder.button(
            text=f"{mark} {person.name}"[:60],
            callback_data=AssignCb(action=AssignAction.TOGGLE, person=person.id),
        )
    builder.adjust(2)
    builder.row(
        InlineKeyboardButton(
            text=t(lang, "btn_save"), callback_data=AssignCb(action=AssignAction.SAVE).pack()
        )
    )
    return builder.as_markup()


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    plan: Plan,
    lang: str,
) -> None:
    if command.args:
        await _open(message, command.args.strip(), state, session, plan, lang)
        return
    await state.set_state(AssignForm.ref)
    await message.answer(t(lang, "assign_ask"))


async def ref_entered(
    message: Message, state: FSMContext, session: AsyncSession, plan: Plan, lang: str
) -> None:
    await _open(message, (message.text or "").strip(), state, session, plan, lang)


async def _open(
    message: Message, ref: str, state: FSMContext, session: AsyncSession, plan: Plan, lang: str
) -> None:
    ref = ref[:20]
    current = await effective_plan(session, plan)
    titles = assignable_refs(plan_in(current, lang))
    if ref not in titles:
        await state.set_state(AssignForm.ref)
        await message.answer(t(lang, "assign_bad_ref", ref=quote(ref)))
        return
    resp = _responsible(current, ref)
    staff = await school_staff(session)
    chosen = set(resp.people)
    await state.set_state(AssignForm.people)
    await state.update_data(ref=ref, people=sorted(chosen), before=list(resp.people))
    title = titles[ref] if len(titles[ref]) <= TITLE_MAX else titles[ref][: TITLE_MAX - 1] + "…"
    await message.answer(
        t(
            lang,
            "assign_pick",
            ref=ref,
            title=quote(title),
            now=quote(who_text(current, resp, lang, admin=True) or t(lang, "dash")),
        ),
        reply_markup=_keyboard(lang, staff, chosen),
    )


def _responsible(plan: Plan, ref: str) -> Responsible:
    item_ref = ".".join(ref.split(".")[:2])
    item = plan.item(item_ref)
    if ref == item_ref:
        return item.responsible
    sub = next(s for s in item.subitems if s.ref == ref)
    return sub.responsible or item.responsible


async def toggle(
    query: CallbackQuery,
    callback_data: AssignCb,
    state: FSMContext,
    session: AsyncSession,
    lang: str,
) -> None:
    person = await session.get(Person, callback_data.person)
    if person is None or not person.active:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    data = await state.get_data()
    chosen = set(data.get("people", []))
    chosen ^= {person.key}
    await state.update_data(people=sorted(chosen))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(
            reply_markup=_keyboard(lang, await school_staff(session), chosen)
        )
    await query.answer()


async def save(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    plan: Plan,
    clock: Clock,
    lang: str,
    person: Person,
) -> None:
    data = await state.get_data()
    keys = set(data.get("people", []))
    if not keys:
        await query.answer(t(lang, "assign_empty"), show_alert=True)
        return
    chosen = [p for p in await school_staff(session) if p.key in keys]
    await reassign(
        session, data["ref"], chosen, by=person, now=clock.now(), before=data.get("before", [])
    )
    await state.clear()
    names = ", ".join(p.name for p in chosen)
    if isinstance(query.message, Message):
        await query.message.edit_text(t(lang, "assign_saved", ref=data["ref"], now=quote(names)))
    await query.answer()
