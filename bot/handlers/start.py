"""/start: invite links (deep links), greetings, and the user blocking or unblocking the bot."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import ChatMemberUpdated, Message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.commands import refresh_menu
from bot.core.plan import Plan
from bot.core.roles import Role
from bot.core.routine import WEEKLY_CHECKIN, routine_items
from bot.escape import quote
from bot.filters import PrivateChat
from bot.services import staff
from bot.services.assignments import effective_plan
from bot.services.staff import RedeemStatus, members_of
from bot.strangers import StrangerBook
from bot.texts import normalize_language, role_name, t
from db.models import Account, AccountState, Person

REFUSALS = {
    RedeemStatus.INVALID: "invite_invalid",
    RedeemStatus.USED: "invite_used",
    RedeemStatus.EXPIRED: "invite_expired",
    RedeemStatus.REVOKED: "invite_revoked",
    RedeemStatus.TAKEN: "invite_taken",
}


def router_factory() -> Router:
    router = Router(name="start")
    router.message.filter(PrivateChat())
    router.message.register(start_with_payload, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(
        unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER)
    )
    return router


async def start_with_payload(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    state: FSMContext,
    lang: str,
    person: Person | None,
    strangers: StrangerBook,
    plan: Plan,
) -> None:
    assert message.from_user is not None
    await state.clear()
    result = await staff.redeem_invite(
        session,
        (command.args or "")[:64],
        telegram_user_id=message.from_user.id,
        chat_id=message.chat.id,
        username=message.from_user.username,
        language=normalize_language(message.from_user.language_code) if person is None else lang,
        now=clock.now(),
    )
    if result.status is RedeemStatus.OK or result.status is RedeemStatus.ALREADY_MEMBER:
        assert result.person is not None and result.account is not None
        lang = str(result.account.language)
        if result.status is RedeemStatus.ALREADY_MEMBER:
            await message.answer(t(lang, "invite_already_member", name=quote(result.person.name)))
            return
        roles = ", ".join(role_name(lang, r) for r in result.person.roles)
        klass = (
            t(lang, "invite_klass", klass=quote(result.person.class_name))
            if result.person.class_name
            else ""
        )
        welcome = t(lang, "invite_ok", name=quote(result.person.name), roles=roles, klass=klass)
        plan_in_use = await effective_plan(session, plan)
        await message.answer(welcome + "\n\n" + what_comes(lang, plan_in_use, result.person))
        assert message.bot is not None
        await refresh_menu(message.bot, message.chat.id, lang, result.person.roles)
        return
    if person is not None and result.status is RedeemStatus.INVALID:
        await message.answer(t(lang, "welcome_back", name=quote(person.name)))
        return
    if person is None and not strangers.may_refuse(message.from_user.id, clock.now()):
        # One answer per stranger per window (`bot.strangers`): a flood of made-up links
        # sends nothing more.
        strangers.silent(message.from_user.id, "dropped")
        return
    await message.answer(t(lang, REFUSALS[result.status]))


def what_comes(lang: str, plan: Plan, person: Person) -> str:
    """The first contact: what the bot will send this person, and when."""
    lines = [t(lang, "welcome_head"), t(lang, "welcome_monday"), t(lang, "welcome_due")]
    duties = [
        item.ref
        for item in routine_items(plan)
        if item.mode == WEEKLY_CHECKIN
        and members_of(plan.item(item.ref).responsible, plan, [person])
    ]
    if duties:
        lines.append(t(lang, "welcome_friday", refs=", ".join(duties)))
    council = {Role.CHAIR.value, Role.COUNCIL_MEMBER.value, Role.SECRETARY.value}
    if council & set(person.roles):
        lines.append(t(lang, "welcome_sessions"))
    return "\n".join(lines) + "\n\n" + t(lang, "welcome_foot")


async def start_plain(
    message: Message, person: Person | None, lang: str, state: FSMContext
) -> None:
    await state.clear()
    if person is None:  # the access middleware lets strangers through only with a payload
        await message.answer(t(lang, "stranger"))
        return
    await message.answer(t(lang, "welcome_back", name=quote(person.name)))


async def _set_blocked(
    event: ChatMemberUpdated, session: AsyncSession, blocked: bool, clock: Clock
) -> None:
    account = (
        await session.exec(select(Account).where(Account.telegram_user_id == event.from_user.id))
    ).first()
    if account is None or account.state is AccountState.REVOKED:
        return
    account.state = AccountState.BLOCKED if blocked else AccountState.JOINED
    account.unreachable_since = clock.now() if blocked else None
    if not blocked:
        account.unreachable_notified = False
    await session.commit()


async def blocked(event: ChatMemberUpdated, session: AsyncSession, clock: Clock) -> None:
    await _set_blocked(event, session, True, clock)


async def unblocked(event: ChatMemberUpdated, session: AsyncSession, clock: Clock) -> None:
    await _set_blocked(event, session, False, clock)
