"""Admin work in the chat: the staff list, invites, revoking access, roles and classes.

Every handler here is behind `HasPerm(Perm.MANAGE_STAFF)`; every change is audited.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import StaffAction, StaffCb
from bot.clock import Clock
from bot.commands import set_personal_commands
from bot.core.plan import Plan
from bot.core.roles import Role
from bot.core.school_class import normalize_class
from bot.escape import quote
from bot.filters import HasPerm, Inline, PrivateChat
from bot.keyboards import person_card_kb, revoke_confirm_kb, roles_kb, staff_list_kb
from bot.permissions import Perm
from bot.screens import show
from bot.services import staff
from bot.services.staff import INVITE_TTL, StaffState
from bot.states import StaffForm
from bot.texts import role_name, t
from db.models import Account, Person

log = logging.getLogger(__name__)
NAME_MAX = 80


def router_factory() -> Router:
    router = Router(name="admin")
    router.message.filter(PrivateChat(), HasPerm(Perm.MANAGE_STAFF))
    router.callback_query.filter(HasPerm(Perm.MANAGE_STAFF))
    router.message.register(staff_list, Command("staff"))
    router.message.register(new_person_start, Command("invite"))
    router.message.register(new_person_name, StaffForm.new_name, Inline(F.text))
    router.message.register(class_entered, StaffForm.class_name, Inline(F.text))
    router.callback_query.register(page, StaffCb.filter(F.action == StaffAction.PAGE))
    router.callback_query.register(card, StaffCb.filter(F.action == StaffAction.CARD))
    router.callback_query.register(invite, StaffCb.filter(F.action == StaffAction.INVITE))
    router.callback_query.register(revoke, StaffCb.filter(F.action == StaffAction.REVOKE))
    router.callback_query.register(revoke_ok, StaffCb.filter(F.action == StaffAction.REVOKE_OK))
    router.callback_query.register(restore, StaffCb.filter(F.action == StaffAction.RESTORE))
    router.callback_query.register(roles_open, StaffCb.filter(F.action == StaffAction.ROLES))
    router.callback_query.register(role_toggle, StaffCb.filter(F.action == StaffAction.TOGGLE))
    router.callback_query.register(roles_save, StaffCb.filter(F.action == StaffAction.SAVE))
    router.callback_query.register(class_open, StaffCb.filter(F.action == StaffAction.CLASS))
    return router


# --- the list and the card ----------------------------------------------------------------------


async def _list_view(
    session: AsyncSession, clock: Clock, lang: str, page_no: int
) -> tuple[str, object]:
    rows = await staff.list_staff(session, clock.now())
    return t(lang, "staff_head", count=len(rows)), staff_list_kb(lang, rows, page_no)


async def staff_list(message: Message, session: AsyncSession, clock: Clock, lang: str) -> None:
    text, kb = await _list_view(session, clock, lang, 0)
    await message.answer(text, reply_markup=kb)  # type: ignore[arg-type]


async def page(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    await state.clear()
    text, kb = await _list_view(session, clock, lang, callback_data.page)
    await show(query, text, kb)


async def _person_or_stale(
    query: CallbackQuery, session: AsyncSession, person_id: int, lang: str
) -> Person | None:
    person = await session.get(Person, person_id) if person_id else None
    if person is None:
        await query.answer(t(lang, "stale_button"), show_alert=True)
    return person


async def _card_text(
    session: AsyncSession, person: Person, lang: str, clock: Clock
) -> tuple[str, StaffState]:
    state = await staff.state_of(session, person, clock.now())
    text = t(
        lang,
        "person_card",
        name=quote(person.name),
        position=quote(person.position or t(lang, "dash")),
        roles=", ".join(role_name(lang, r) for r in person.roles) or t(lang, "dash"),
        klass=quote(person.class_name or t(lang, "dash")),
        state=t(lang, f"state_{state.value}"),
    )
    return text, state


async def card(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    state: FSMContext,
) -> None:
    await state.clear()
    person = await _person_or_stale(query, session, callback_data.person, lang)
    if person is None:
        return
    text, pstate = await _card_text(session, person, lang, clock)
    assert person.id is not None
    await show(query, text, person_card_kb(lang, person.id, pstate, callback_data.page))


# --- invites ------------------------------------------------------------------------------------


async def invite(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    person: Person,
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    if not target.active:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    assert isinstance(query.message, Message)
    await _send_invite(query.message, session, clock, lang, bot, target, person)
    await query.answer()


async def _send_invite(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    target: Person,
    by: Person,
) -> None:
    token = await staff.create_invite(session, target, by=by, now=clock.now())
    link = await create_start_link(bot, token)
    await message.answer(
        t(lang, "invite_link", name=quote(target.name), link=link, days=INVITE_TTL.days)
    )


async def new_person_start(message: Message, state: FSMContext, lang: str) -> None:
    await state.set_state(StaffForm.new_name)
    await message.answer(t(lang, "new_person_name"))


async def new_person_name(message: Message, state: FSMContext, lang: str) -> None:
    name = " ".join((message.text or "").split())
    if not 2 <= len(name) <= NAME_MAX:
        await message.answer(t(lang, "new_person_bad_name"))
        return
    await state.set_state(StaffForm.new_roles)
    await state.update_data(name=name, roles=[])
    await message.answer(
        t(lang, "new_person_roles", name=quote(name)), reply_markup=roles_kb(lang, 0, [], 0)
    )


# --- revoke and restore -------------------------------------------------------------------------


async def revoke(
    query: CallbackQuery, callback_data: StaffCb, session: AsyncSession, lang: str
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    assert target.id is not None
    await show(
        query,
        t(lang, "revoke_confirm", name=quote(target.name)),
        revoke_confirm_kb(lang, target.id, callback_data.page),
    )


def _named_items(plan: Plan, key: str) -> list[str]:
    refs = [i.ref for s in plan.sections for i in s.items if key in i.responsible.people]
    refs += [
        sub.ref
        for s in plan.sections
        for i in s.items
        for sub in i.subitems
        if sub.responsible is not None and key in sub.responsible.people
    ]
    refs += [
        f"council-{ses.number}"
        for ses in plan.sessions
        if key in ses.responsible.people or any(key in p.reporters.people for p in ses.agenda)
    ]
    return refs


async def revoke_ok(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    plan: Plan,
    person: Person,
    bot: Bot,
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    if target.id == person.id:
        await query.answer(t(lang, "not_allowed"), show_alert=True)
        return
    account = await staff.revoke_person(session, target, by=person, now=clock.now())
    items = _named_items(plan, target.key)
    await staff.audit(
        session,
        actor=person,
        action="person.reassign_needed",
        target=f"person:{target.id}",
        now=clock.now(),
        items=items,
    )
    await session.commit()
    await show(
        query,
        t(
            lang,
            "revoked_done",
            name=quote(target.name),
            items=", ".join(items) or t(lang, "dash"),
        ),
        None,
    )
    if account is not None:
        try:
            await bot.send_message(
                account.chat_id, t(str(account.language), "access_closed_notice")
            )
        except TelegramAPIError as exc:
            log.info("could not tell person %s that access closed: %s", target.id, exc)


async def restore(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    await staff.restore_person(session, target, by=person, now=clock.now())
    text, pstate = await _card_text(session, target, lang, clock)
    assert target.id is not None
    await show(
        query,
        text + "\n\n" + t(lang, "restored_done", name=quote(target.name)),
        person_card_kb(lang, target.id, pstate, callback_data.page),
    )


# --- roles and class ----------------------------------------------------------------------------


async def roles_open(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    state: FSMContext,
    lang: str,
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    assert target.id is not None
    await state.set_state(StaffForm.roles)
    await state.update_data(person=target.id, roles=list(target.roles))
    await show(
        query,
        t(lang, "roles_pick", name=quote(target.name)),
        roles_kb(lang, target.id, target.roles, callback_data.page),
    )


async def role_toggle(
    query: CallbackQuery, callback_data: StaffCb, state: FSMContext, lang: str
) -> None:
    data = await state.get_data()
    current = await state.get_state()
    valid_roles = {r.value for r in Role}
    if (
        callback_data.role not in valid_roles
        or current not in (StaffForm.roles.state, StaffForm.new_roles.state)
        or data.get("person", 0) != callback_data.person
    ):
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    roles = list(data.get("roles", []))
    if callback_data.role in roles:
        roles.remove(callback_data.role)
    else:
        roles.append(callback_data.role)
    await state.update_data(roles=roles)
    assert isinstance(query.message, Message)
    await query.message.edit_reply_markup(
        reply_markup=roles_kb(lang, callback_data.person, roles, callback_data.page)
    )
    await query.answer()


async def roles_save(
    query: CallbackQuery,
    callback_data: StaffCb,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
    bot: Bot,
) -> None:
    data = await state.get_data()
    current = await state.get_state()
    if (
        current not in (StaffForm.roles.state, StaffForm.new_roles.state)
        or data.get("person", 0) != callback_data.person
    ):
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    roles = [r for r in data.get("roles", []) if r in {x.value for x in Role}]
    if not roles:
        await query.answer(t(lang, "roles_empty"), show_alert=True)
        return
    await state.clear()
    names = ", ".join(role_name(lang, r) for r in roles)
    if current == StaffForm.new_roles.state:
        target = await staff.add_person(session, data["name"], roles, by=person, now=clock.now())
        await show(query, t(lang, "roles_saved", name=quote(target.name), roles=names), None)
        assert isinstance(query.message, Message)
        await _send_invite(query.message, session, clock, lang, bot, target, person)
        return
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    await staff.set_roles(session, target, roles, by=person, now=clock.now())
    await show(query, t(lang, "roles_saved", name=quote(target.name), roles=names), None)
    account = (await session.exec(select(Account).where(Account.person_id == target.id))).first()
    if account is not None:
        try:
            await set_personal_commands(bot, account.chat_id, str(account.language), roles)
        except TelegramAPIError as exc:
            log.info("could not set commands for person %s: %s", target.id, exc)


async def class_open(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    state: FSMContext,
    lang: str,
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    await state.set_state(StaffForm.class_name)
    await state.update_data(person=target.id)
    assert isinstance(query.message, Message)
    await query.message.answer(t(lang, "class_ask", name=quote(target.name)))
    await query.answer()


async def class_entered(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
) -> None:
    data = await state.get_data()
    target = await session.get(Person, data.get("person", 0))
    if target is None:
        await state.clear()
        await message.answer(t(lang, "person_unknown"))
        return
    text = (message.text or "").strip()
    klass = None if text == "-" else normalize_class(text)
    if text != "-" and klass is None:
        await message.answer(t(lang, "class_bad"))
        return
    await staff.set_class(session, target, klass, by=person, now=clock.now())
    await state.clear()
    await message.answer(
        t(lang, "class_saved", name=quote(target.name), klass=klass or t(lang, "dash"))
    )
