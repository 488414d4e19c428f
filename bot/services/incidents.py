"""Incident notes: filing, correcting within 24 hours, reading, and telling the right people.

* A note (`Incident`) is never deleted; its text lives in `IncidentVersion` rows, one per edit,
  the highest `version` current. Only the author corrects, and only within `EDIT_WINDOW` of
  filing; every version is kept.
* `notify_new` puts one message per recipient in the outbox (``bot.scheduler.outbox.enqueue``,
  dedup key ``incident:{id}|{person_id}|new``): "New note #12 · fight · 7Ә", with no child's name
  and no text, and an "Open" button. Who is told: joined, active staff with one of
  `IncidentConfig.notify_roles` (default: social pedagogue, psychologists, deputy directors)
  who also hold `Perm.NOTIFIED_OF_INCIDENTS`, and never the author.
* `read_note` checks `can_read` and audits ``incident.open``; the details go only to a private
  chat (the handlers answer private chats only).
* Logs and audit rows name notes and students by id; never the name, never the text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.roles import Role
from bot.permissions import Perm, can
from bot.services.staff import audit
from bot.services.students import NotAllowed, can_read
from db.models import (
    Account,
    AccountState,
    Incident,
    IncidentCategory,
    IncidentVersion,
    Person,
    Student,
)

log = logging.getLogger(__name__)

EDIT_WINDOW = timedelta(hours=24)
NOTE_MAX = 50_000  # generous: a pasted report arrives in several 4096-character messages
CATEGORIES: tuple[IncidentCategory, ...] = tuple(IncidentCategory)


@dataclass(frozen=True, slots=True)
class IncidentConfig:
    """Who is told at once about a new note (roles), configurable per dispatcher as
    ``incident_config``."""

    notify_roles: frozenset[str] = frozenset(
        {Role.SOCIAL_PEDAGOGUE.value, Role.PSYCHOLOGIST.value, Role.DEPUTY_DIRECTOR.value}
    )


DEFAULT_CONFIG = IncidentConfig()


class EditRefused(Exception):
    """Not the author, or the 24 hours have passed."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A note's file: Telegram's id (a cache, of bot `bot_id`) and the kept copy's sha256."""

    file_id: str
    kind: str  # "photo", "document" or "voice"
    sha256: str | None = None
    size: int | None = None
    name: str | None = None
    mime: str | None = None
    bot_id: int | None = None


@dataclass(slots=True)
class NoteView:
    incident: Incident
    student: Student
    text: str
    version: int
    author: Person | None
    edited_at: datetime


async def file_incident(
    session: AsyncSession,
    *,
    student_id: int,
    author: Person,
    category: IncidentCategory,
    text: str,
    occurred_at: datetime,
    now: datetime,
    attachment: Attachment | None = None,
) -> Incident:
    """Store a note and its first version in one transaction. Does not commit: the caller
    commits together with the notifications (so a note and its messages go in together)."""
    if not text.strip():
        raise ValueError("an empty note")
    if len(text) > NOTE_MAX:
        raise ValueError("note too long")
    student = await session.get(Student, student_id)
    if student is None:
        raise LookupError(f"no student {student_id}")
    if not can(author.roles, Perm.FILE_INCIDENT) or not can_read(author, student.class_name):
        raise NotAllowed
    assert author.id is not None
    incident = Incident(
        student_id=student_id,
        author_person_id=author.id,
        category=category,
        occurred_at=min(occurred_at, now),
        created_at=now,
        attachment_file_id=attachment.file_id if attachment else None,
        attachment_kind=attachment.kind if attachment else None,
        attachment_bot_id=attachment.bot_id if attachment else None,
        attachment_sha256=attachment.sha256 if attachment else None,
        attachment_size=attachment.size if attachment else None,
        attachment_name=attachment.name if attachment else None,
        attachment_mime=attachment.mime if attachment else None,
    )
    session.add(incident)
    await session.flush()
    assert incident.id is not None
    session.add(
        IncidentVersion(
            incident_id=incident.id,
            version=1,
            text=text,
            edited_at=now,
            editor_person_id=author.id,
        )
    )
    await audit(
        session,
        actor=author,
        action="incident.create",
        target=f"incident:{incident.id}",
        now=now,
        student_id=student_id,
        category=category.value,
    )
    return incident


async def current_version(session: AsyncSession, incident_id: int) -> IncidentVersion | None:
    return (
        await session.exec(
            select(IncidentVersion)
            .where(IncidentVersion.incident_id == incident_id)
            .order_by(col(IncidentVersion.version).desc())
            .limit(1)
        )
    ).first()


async def versions(session: AsyncSession, incident_id: int) -> list[IncidentVersion]:
    rows = await session.exec(
        select(IncidentVersion)
        .where(IncidentVersion.incident_id == incident_id)
        .order_by(col(IncidentVersion.version))
    )
    return list(rows.all())


def can_edit(incident: Incident, person: Person, now: datetime) -> bool:
    return incident.author_person_id == person.id and now - incident.created_at <= EDIT_WINDOW


async def edit_incident(
    session: AsyncSession, *, incident_id: int, editor: Person, text: str, now: datetime
) -> IncidentVersion:
    """A corrected text as the next version. Commits. Two corrections at once: the unique
    (incident, version) lets one win; the other is retried on top of it."""
    if not text.strip():
        raise ValueError("an empty note")
    if len(text) > NOTE_MAX:
        raise ValueError("note too long")
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"no note {incident_id}")
    if not can_edit(incident, editor, now):
        raise EditRefused
    assert editor.id is not None
    for _ in range(3):
        latest = (
            await session.exec(
                select(func.max(IncidentVersion.version)).where(
                    IncidentVersion.incident_id == incident_id
                )
            )
        ).one()
        row = IncidentVersion(
            incident_id=incident_id,
            version=(latest or 0) + 1,
            text=text,
            edited_at=now,
            editor_person_id=editor.id,
        )
        session.add(row)
        await audit(
            session,
            actor=editor,
            action="incident.edit",
            target=f"incident:{incident_id}",
            now=now,
            version=row.version,
        )
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            continue
        return row
    raise RuntimeError(f"could not store a new version of note {incident_id}")


async def set_flag(
    session: AsyncSession, *, incident_id: int, actor: Person, for_council: bool, now: datetime
) -> Incident:
    """Flag a note "for the council" (or clear the flag). Commits."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"no note {incident_id}")
    student = await session.get(Student, incident.student_id)
    assert student is not None
    if not can_read(actor, student.class_name):
        raise NotAllowed
    incident.for_council = for_council
    await audit(
        session,
        actor=actor,
        action="incident.flag" if for_council else "incident.unflag",
        target=f"incident:{incident_id}",
        now=now,
    )
    await session.commit()
    return incident


async def read_note(
    session: AsyncSession, incident_id: int, reader: Person, now: datetime
) -> NoteView | None:
    """The note with its current text, for a reader allowed to see it; audited as
    ``incident.open`` (or ``incident.open_denied`` with `NotAllowed`). None: no such note."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        return None
    student = await session.get(Student, incident.student_id)
    assert student is not None
    allowed = can_read(reader, student.class_name)
    await audit(
        session,
        actor=reader,
        action="incident.open" if allowed else "incident.open_denied",
        target=f"incident:{incident_id}",
        now=now,
    )
    await session.commit()
    if not allowed:
        raise NotAllowed
    version = await current_version(session, incident_id)
    assert version is not None
    author = await session.get(Person, incident.author_person_id)
    return NoteView(incident, student, version.text, version.version, author, version.edited_at)


async def recipients(
    session: AsyncSession, author: Person, config: IncidentConfig = DEFAULT_CONFIG
) -> list[tuple[Person, Account]]:
    """Who is told about a new note: see the module notes."""
    rows = (
        await session.exec(
            select(Person, Account)
            .join(Account, col(Account.person_id) == col(Person.id))
            .where(col(Person.active), col(Account.state) == AccountState.JOINED)
        )
    ).all()
    return [
        (person, account)
        for person, account in rows
        if person.id != author.id
        and set(person.roles) & config.notify_roles
        and can(person.roles, Perm.NOTIFIED_OF_INCIDENTS)
    ]
