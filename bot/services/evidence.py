"""Evidence of a plan item's work: a photo, a document or a voice message a person sent as a
reply to a reminder.

For now a piece of evidence is Telegram's `file_id` (and `file_unique_id`, name, type, size,
caption), like an incident's attachment. The interface is `attach` / `evidence_for`: when
attachments are downloaded into the data folder (#10), `attach` is the one place that keeps
the file, and readers do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiogram.types import Message
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Evidence

KINDS = ("photo", "document", "voice")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file as it came in a message."""

    kind: str  # one of KINDS
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None


def incoming(message: Message) -> Incoming | None:
    """The file a message carries (the largest size of a photo), or None."""
    if message.photo:
        photo = message.photo[-1]
        return Incoming("photo", photo.file_id, photo.file_unique_id, None, "image/jpeg",
                        photo.file_size)  # fmt: skip
    if message.document is not None:
        doc = message.document
        return Incoming("document", doc.file_id, doc.file_unique_id, doc.file_name,
                        doc.mime_type, doc.file_size)  # fmt: skip
    if message.voice is not None:
        voice = message.voice
        return Incoming("voice", voice.file_id, voice.file_unique_id, None, voice.mime_type,
                        voice.file_size)  # fmt: skip
    return None


async def attach(
    session: AsyncSession,
    *,
    occurrence_key: str,
    person_id: int,
    file: Incoming,
    caption: str | None,
    message_id: int | None,
    now: datetime,
) -> Evidence:
    """Keep a piece of evidence for an occurrence; commits."""
    if file.kind not in KINDS:
        raise ValueError(f"unknown evidence kind {file.kind!r}")
    row = Evidence(
        occurrence_key=occurrence_key,
        person_id=person_id,
        kind=file.kind,
        file_id=file.file_id,
        file_unique_id=file.file_unique_id,
        file_name=file.file_name,
        mime_type=file.mime_type,
        size=file.size,
        caption=caption,
        telegram_message_id=message_id,
        at=now,
    )
    session.add(row)
    await session.commit()
    return row


async def evidence_for(session: AsyncSession, occurrence_key: str) -> Sequence[Evidence]:
    """An occurrence's evidence, oldest first."""
    return (
        await session.exec(
            select(Evidence)
            .where(Evidence.occurrence_key == occurrence_key)
            .order_by(col(Evidence.at), col(Evidence.id))
        )
    ).all()
