"""Evidence of a plan item's work: a photo, a document or a voice message a person sent as a
reply to a reminder.

The file is kept by the school exactly like a note's (`bot.services.attachments`): downloaded
when it comes in, into the attachment store by its sha256, part of every backup; Telegram's
file id is only a cache of this bot's. Files above ``ATTACHMENT_MAX_MB`` are refused with the
same clear answer as a note's (`attachments.TooLarge`).
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import attachments
from bot.services.attachments import AttachmentStore, Incoming
from db.models import Evidence

KINDS = ("photo", "document", "voice")


async def attach(
    session: AsyncSession,
    bot: Bot,
    store: AttachmentStore,
    *,
    max_bytes: int,
    occurrence_key: str,
    person_id: int,
    file: Incoming,
    caption: str | None,
    message_id: int | None,
    now: datetime,
) -> Evidence:
    """Download `file` into the school's store and keep it as evidence of an occurrence;
    commits. Raises `attachments.TooLarge`, or Telegram's and the file system's own errors (the
    caller answers the user; nothing is kept then)."""
    if file.kind not in KINDS:
        raise ValueError(f"unknown evidence kind {file.kind!r}")
    kept = await attachments.fetch(bot, file, store, max_bytes)
    row = Evidence(
        occurrence_key=occurrence_key,
        person_id=person_id,
        kind=file.kind,
        sha256=kept.sha256,
        size=kept.size,
        file_id=file.file_id,
        bot_id=bot.id,
        file_name=file.name,
        mime_type=file.mime,
        caption=caption,
        telegram_message_id=message_id,
        at=now,
    )
    session.add(row)
    await session.commit()
    return row
