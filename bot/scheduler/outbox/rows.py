"""Putting messages in the outbox (`enqueue`) and taking them back (`cancel`).

A message is a `Reminder` row under a unique `dedup_key`. A text over Telegram's limit becomes
several rows at once: part 1 under ``dedup_key`` itself, part *i* under ``"{dedup_key}#{i}/{n}"``
(`part_key`), the reply markup on the last part only.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.scheduler.outbox.split import split_message
from db.dialect import has_prefix, insert_ignore
from db.models import Reminder, ReminderState

__all__ = ["PART_RE", "Markup", "cancel", "enqueue", "markup_from_json", "part_key"]

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
PART_RE: Final = re.compile(r"^(?P<base>.*)#(?P<i>\d+)/(?P<n>\d+)$", re.DOTALL)


def markup_json(reply_markup: Markup | dict[str, Any] | str | None) -> str | None:
    if reply_markup is None or isinstance(reply_markup, str):
        return reply_markup
    if isinstance(reply_markup, dict):
        return json.dumps(reply_markup, ensure_ascii=False)
    return reply_markup.model_dump_json(exclude_none=True)


def markup_from_json(data: str | None) -> Markup | None:
    if data is None:
        return None
    payload = json.loads(data)
    if "inline_keyboard" in payload:
        return InlineKeyboardMarkup.model_validate(payload)
    if "keyboard" in payload:
        return ReplyKeyboardMarkup.model_validate(payload)
    if "remove_keyboard" in payload:
        return ReplyKeyboardRemove.model_validate(payload)
    if "force_reply" in payload:
        return ForceReply.model_validate(payload)
    raise ValueError(f"unknown reply_markup: keys {sorted(payload)}")


def part_key(dedup_key: str, index: int, count: int) -> str:
    """The dedup key of part `index` (1-based) of `count`: the key itself for part 1."""
    return dedup_key if index == 1 else f"{dedup_key}#{index}/{count}"


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    chat_id: int,
    text: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    person_id: int | None = None,
    occurrence_key: str | None = None,
    reply_markup: Markup | dict[str, Any] | str | None = None,
    late: bool = False,
) -> bool:
    """Put a message in the outbox under `dedup_key`; True if it was not there yet.

    ``INSERT … ON CONFLICT(dedup_key) DO NOTHING``: two ticks or two processes planning the
    same key at once still make one row. A text over Telegram's limit becomes several rows (see
    the module docstring). `next_attempt_at` starts at `due_at`, so a message planned for the
    past goes at once. Does not commit: the caller commits (with whatever else it changed) and
    then calls `Outbox.wake`.
    """
    if due_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("enqueue needs aware datetimes")
    if not text.strip():
        raise ValueError("an empty message cannot be sent")
    parts = split_message(text)
    markup = markup_json(reply_markup)
    for index, part in enumerate(parts, start=1):
        inserted = await insert_ignore(
            session,
            Reminder,
            {
                "dedup_key": part_key(dedup_key, index, len(parts)),
                "occurrence_key": occurrence_key,
                "person_id": person_id,
                "kind": kind,
                "chat_id": chat_id,
                "text": part,
                "reply_markup": markup if index == len(parts) else None,
                "state": ReminderState.PENDING,
                "due_at": due_at,
                "attempts": 0,
                "next_attempt_at": due_at,
                "late": late,
                "created_at": now,
            },
            key=["dedup_key"],
        )
        if index == 1 and not inserted:
            return False  # already planned (with all its parts)
    return True


async def cancel(session: AsyncSession, dedup_key: str) -> int:
    """Cancel a message (all its parts) that has not been sent; returns the rows cancelled."""
    result = await session.exec(
        sa.update(Reminder)
        .where(
            col(Reminder.state) == ReminderState.PENDING,
            sa.or_(
                col(Reminder.dedup_key) == dedup_key,
                has_prefix(Reminder.dedup_key, f"{dedup_key}#"),
            ),
        )
        .values(state=ReminderState.CANCELLED)
    )
    return result.rowcount
