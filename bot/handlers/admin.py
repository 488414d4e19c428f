"""Admin work in the chat: the staff list, invites, revoking access, roles and classes.

Every handler here is behind `HasPerm(Perm.MANAGE_STAFF)`; every change is audited.
"""

from __future__ import annotations

import html
import io
import logging
import re

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.callbacks import StaffAction, StaffCb
from bot.clock import Clock
from bot.commands import refresh_menu
from bot.core.plan import Plan
from bot.core.roles import Role
from bot.core.school_class import normalize_class
from bot.escape import quote
from bot.filters import HasPerm, Inline, PrivateChat
from bot.keyboards import (
    person_card_kb,
    revoke_confirm_kb,
    roles_kb,
    staff_list_kb,
    vacancy_kb,
)
from bot.names import position_text, ref_text, vacancy_position
from bot.permissions import Perm
from bot.screens import show
from bot.services import onboarding, staff
from bot.services.staff import INVITE_TTL, StaffState
from bot.states import StaffForm
from bot.texts import role_name, t, tp
from db.models import Account, Person

log = logging.getLogger(__name__)
NAME_MAX = 80
BULK_MESSAGE_MAX = 3800  # characters of one message with the links; longer: a file


def router_factory() -> Router:
    router = Router(name="admin")
    router.message.filter(PrivateChat(), HasPerm(Perm.MANAGE_STAFF))
    router.callback_query.filter(HasPerm(Perm.MANAGE_STAFF))
    router.message.register(staff_list, Command("staff"))
    router.message.register(new_person_start, Command("invite"))
    router.message.register(new_person_name, StaffForm.new_name, Inline(F.text))
    router.message.register(class_entered, StaffForm.class_name, Inline(F.text))
    router.message.register(fill_entered, StaffForm.fill, Inline(F.text))
    router.message.register(staff_file, StaffForm.new_name, Inline(F.document))
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
    router.callback_query.register(fill_open, StaffCb.filter(F.action == StaffAction.FILL))
    return router


# --- the list and the card ----------------------------------------------------------------------


async def _list_view(
    session: AsyncSession, clock: Clock, lang: str, page_no: int, plan: Plan
) -> tuple[str, object]:
    rows = await staff.list_staff(session, clock.now())
    labels = {
        row.person.id: t(lang, "vacancy_row", position=_position(plan, row.person, lang))
        for row in rows
        if row.person.vacancy and row.person.id is not None
    }
    return t(lang, "staff_head", count=len(rows)), staff_list_kb(lang, rows, page_no, labels)


def _position(plan: Plan, person: Person, lang: str) -> str:
    return vacancy_position(plan, person.key, person.position, lang)


async def staff_list(
    message: Message, session: AsyncSession, clock: Clock, lang: str, plan: Plan
) -> None:
    text, kb = await _list_view(session, clock, lang, 0, plan)
    await message.answer(text, reply_markup=kb)  # type: ignore[arg-type]


async def page(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    state: FSMContext,
    plan: Plan,
) -> None:
    await state.clear()
    text, kb = await _list_view(session, clock, lang, callback_data.page, plan)
    await show(query, text, kb)


async def _person_or_stale(
    query: CallbackQuery, session: AsyncSession, person_id: int, lang: str
) -> Person | None:
    person = await session.get(Person, person_id) if person_id else None
    if person is None:
        await query.answer(t(lang, "stale_button"), show_alert=True)
    return person


async def _card_text(
    session: AsyncSession, person: Person, lang: str, clock: Clock, plan: Plan
) -> tuple[str, StaffState]:
    state = await staff.state_of(session, person, clock.now())
    position = position_text(plan, person.key, person.position, lang)
    text = t(
        lang,
        "person_card",
        name=quote(person.name),
        position=quote(position or t(lang, "dash")),
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
    plan: Plan,
) -> None:
    await state.clear()
    person = await _person_or_stale(query, session, callback_data.person, lang)
    if person is None:
        return
    if person.vacancy:  # a position without a person: assign it first, then invite
        assert person.id is not None
        await show(
            query,
            t(lang, "vacancy_card", position=quote(_position(plan, person, lang))),
            vacancy_kb(lang, person.id, callback_data.page),
        )
        return
    text, pstate = await _card_text(session, person, lang, clock, plan)
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
    if not target.active or target.vacancy:  # a vacancy is assigned a person first
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
    head: str = "",
) -> None:
    """One message with the link (`head`, what was just done, on top of it)."""
    await message.answer(head + await _invite_text(session, clock, lang, bot, target, by))


async def _invite_text(
    session: AsyncSession, clock: Clock, lang: str, bot: Bot, target: Person, by: Person
) -> str:
    token = await staff.create_invite(session, target, by=by, now=clock.now())
    link = await create_start_link(bot, token)
    return t(lang, "invite_link", name=quote(target.name), link=link, days=INVITE_TTL.days)


async def new_person_start(message: Message, state: FSMContext, lang: str) -> None:
    await state.set_state(StaffForm.new_name)
    await message.answer(t(lang, "new_person_name"))


async def new_person_name(
    message: Message,
    state: FSMContext,
    lang: str,
    session: AsyncSession,
    clock: Clock,
    person: Person,
    bot: Bot,
) -> None:
    if onboarding.is_list(message.text or ""):  # a pasted staff list: every link at once
        await state.clear()
        found = onboarding.read_staff_text(message.text or "")
        await _send_bulk(message, found, session, clock, lang, bot, person)
        return
    name = " ".join((message.text or "").split())
    if not 2 <= len(name) <= NAME_MAX:
        await message.answer(t(lang, "new_person_bad_name"))
        return
    await state.set_state(StaffForm.new_roles)
    await state.update_data(name=name, roles=[])
    await message.answer(
        t(lang, "new_person_roles", name=quote(name)), reply_markup=roles_kb(lang, 0, [], 0)
    )


async def staff_file(
    message: Message,
    state: FSMContext,
    lang: str,
    session: AsyncSession,
    clock: Clock,
    person: Person,
    bot: Bot,
) -> None:
    """A staff list sent as a file after /invite (.txt, .csv, .xlsx)."""
    document = message.document
    assert document is not None
    name = document.file_name or "staff.txt"
    if (document.file_size or 0) > onboarding.MAX_BYTES or not name.casefold().endswith(
        onboarding.SUFFIXES
    ):
        await message.answer(t(lang, "bulk_file_bad"))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        found = onboarding.read_staff_file(name, buffer.getvalue())
    except onboarding.UnreadableList:
        await message.answer(t(lang, "bulk_file_bad"))
        return
    await state.clear()
    await _send_bulk(message, found, session, clock, lang, bot, person)


async def _send_bulk(
    message: Message,
    found: onboarding.StaffList,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    bot: Bot,
    by: Person,
) -> None:
    """All the links in one message; a file when they do not fit (one send either way)."""
    invited = await onboarding.onboard(session, found, by=by, now=clock.now())
    log.info("staff list: %d read, %d not read", len(found.rows), len(found.bad))
    with_links = [i for i in invited if i.token is not None]
    if not invited:
        lines = [t(lang, "bulk_none")]
    else:
        lines = [t(lang, "bulk_head", people=tp(lang, "n_people", len(with_links)),
                   days=INVITE_TTL.days)]  # fmt: skip
    for n, item in enumerate(with_links, start=1):
        assert item.token is not None
        klass = item.person.class_name
        lines.append(
            t(
                lang,
                "bulk_line",
                n=n,
                name=quote(item.person.name),
                roles=", ".join(role_name(lang, r) for r in item.person.roles),
                klass=t(lang, "bulk_klass", klass=quote(klass)) if klass else "",
                link=await create_start_link(bot, item.token),
            )
        )
    joined = [quote(i.person.name) for i in invited if i.token is None]
    if joined:
        lines += ["", t(lang, "bulk_joined", names=", ".join(joined))]
    if found.bad:
        lines += ["", t(lang, "bulk_bad_head", count=len(found.bad))]
        lines += [
            t(
                lang,
                "bulk_bad_line",
                line=b.line,
                text=quote(b.text[:80]),
                why=t(lang, f"bulk_why_{b.why}"),
            )
            for b in found.bad
        ]
    text = "\n".join(lines)
    if len(text) <= BULK_MESSAGE_MAX:
        await message.answer(text)
        return
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    caption = t(lang, "bulk_file_caption", people=tp(lang, "n_people", len(with_links)),
                bad=len(found.bad))  # fmt: skip
    await message.answer_document(
        BufferedInputFile(plain.encode("utf-8"), "invites.txt"), caption=caption
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
            items=", ".join(ref_text(i, lang) for i in items) or t(lang, "dash"),
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
    plan: Plan,
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    await staff.restore_person(session, target, by=person, now=clock.now())
    text, pstate = await _card_text(session, target, lang, clock, plan)
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
        saved = t(lang, "roles_saved", name=quote(target.name), roles=names)
        link = await _invite_text(session, clock, lang, bot, target, person)
        await show(query, saved + "\n\n" + link, None)  # one screen: saved, and the link
        return
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    await staff.set_roles(session, target, roles, by=person, now=clock.now())
    await show(query, t(lang, "roles_saved", name=quote(target.name), roles=names), None)
    account = (await session.exec(select(Account).where(Account.person_id == target.id))).first()
    if account is not None:
        await refresh_menu(bot, account.chat_id, str(account.language), roles)


async def fill_open(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    state: FSMContext,
    lang: str,
    plan: Plan,
) -> None:
    target = await _person_or_stale(query, session, callback_data.person, lang)
    if target is None:
        return
    if not target.vacancy:
        await query.answer(t(lang, "stale_button"), show_alert=True)
        return
    await state.set_state(StaffForm.fill)
    await state.update_data(person=target.id)
    assert isinstance(query.message, Message)
    position = quote(_position(plan, target, lang))
    await query.message.answer(t(lang, "fill_ask", position=position))
    await query.answer()


async def fill_entered(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    lang: str,
    person: Person,
    plan: Plan,
    bot: Bot,
) -> None:
    name = " ".join((message.text or "").split())
    if not 2 <= len(name) <= NAME_MAX:
        await message.answer(t(lang, "new_person_bad_name"))
        return
    data = await state.get_data()
    target = await session.get(Person, data.get("person", 0))
    await state.clear()
    if target is None or not target.vacancy:
        await message.answer(t(lang, "person_unknown"))
        return
    position = quote(_position(plan, target, lang))
    await staff.fill_vacancy(session, target, name, by=person, now=clock.now())
    head = t(lang, "fill_done", position=position, name=quote(name)) + "\n\n"
    await _send_invite(message, session, clock, lang, bot, target, person, head)


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
