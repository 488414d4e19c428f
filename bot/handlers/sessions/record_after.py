"""After a session is saved: each decision's owner told once (through the outbox), and the
minutes sent to the recorder at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.documents import TemplateProblem, produce
from bot.escape import quote
from bot.keyboards import decisions_kb
from bot.scheduler.outbox import enqueue
from bot.services import recording as rec
from bot.services.tasks import fmt_when
from bot.texts import t
from db.models import Decision

Where = CallbackQuery | Message


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


async def tell_owners(
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
