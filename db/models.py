"""The database schema: SQLModel tables for the council's year.

Groups of tables:

* **People**: `person` (everyone the plan names, plus people added later), `account` (a person's
  Telegram account, at most one), `invite` (one-time join links; only the sha256 of the token
  is stored).
* **The plan at work**: `occurrence` is one occurrence of a plan item or council session, keyed
  like ``"1.8@2026-09-01"`` or ``"council-4"``. Occurrences are computed from the plan; a row is
  materialised only when something must be stored about one. `report` is each person's current
  answer on an occurrence (one row per person), `report_event` its append-only history.
* **Outgoing messages**: `reminder` is the outbox. Every message gets a unique `dedup_key`, so a
  reminder is planned once however many times the scheduler ticks; the sender takes rows in
  state ``pending`` whose `next_attempt_at` has come. Parts sent together in one message stay
  rows of their own (state ``merged``); `message_item` says which items a message carries.
  `evidence` keeps the files sent as a reply to a reminder.
* **Council sessions**: `council_session`, `session_attendance`, `session_guest` (invited
  people, by name and post), `session_item` (each agenda item as recorded: reporters, who
  spoke, the flagged cases of 3.5), `decision` (per item, owned by a person or a role),
  `session_draft` (a recording in progress, so that it survives a restart).
* **Students** (sensitive): `student` (a card, with optimistic locking on `version`),
  `incident` (a note; its id is the public note number "#12"), `incident_version` (a note's
  text, one row per edit), `student_event` (the card's chronology). Notes are never deleted: the
  foreign keys from notes to students are ``ON DELETE RESTRICT``.
* **Housekeeping**: `audit_log`, `kv` (small named values such as the scheduler's last tick),
  `lease` (which process may send, among several).

Conventions:

* Every datetime column is `UTCDateTime`: aware datetimes only, stored as UTC, read back as
  aware UTC. A naive datetime is refused on write.
* Enums are stored as their string values (`StrEnumType`), without CHECK constraints, so adding
  a value needs no table rebuild.
* Keys that name an occurrence (`reminder.occurrence_key`, `decision.occurrence_key`) are plain
  strings, not foreign keys: an occurrence need not be materialised to be referred to.
* People are deactivated (`person.active`), not deleted; foreign keys to `person` from history
  tables are ``RESTRICT``, from incidental references ``SET NULL``.
* Constraint names follow `NAMING_CONVENTION`, so later migrations (SQLite batch mode) can
  address them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# SQLModel keeps one MetaData for all tables; the convention must be set before they are declared.
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """The current time, aware, in UTC. For column defaults only: logic takes `now` as input."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC; refuses naive datetimes, returns aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime expects a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused: {value.isoformat()}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class StrEnumType(sa.TypeDecorator[StrEnum]):
    """A `StrEnum` stored as its value in a VARCHAR sized to the longest value."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum]) -> None:
        self.enum_class = enum_class
        super().__init__(length=max(len(member.value) for member in enum_class))

    def process_bind_param(self, value: StrEnum | str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value  # raises ValueError on an unknown value

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> StrEnum | None:
        if value is None:
            return None
        return self.enum_class(value)


# --- field helpers ------------------------------------------------------------------------------


def created_at_field() -> Any:
    """A NOT NULL creation timestamp, filled in by Python when the row object is built."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def datetime_field(*, nullable: bool, index: bool = False) -> Any:
    """A datetime column without a default."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def enum_field(enum_class: type[StrEnum], default: StrEnum | None = None, **kwargs: Any) -> Any:
    return Field(default=default, sa_type=StrEnumType(enum_class), nullable=False, **kwargs)


def fk_field(target: str, *, ondelete: str, nullable: bool = False, index: bool = True) -> Any:
    """An integer foreign key to ``<target>.id``."""
    return Field(
        default=None,
        sa_column_args=[sa.ForeignKey(f"{target}.id", ondelete=ondelete)],
        sa_type=sa.Integer,
        nullable=nullable,
        index=index,
    )


# --- enums --------------------------------------------------------------------------------------


class Language(StrEnum):
    KK = "kk"
    RU = "ru"


class AccountState(StrEnum):
    JOINED = "joined"
    BLOCKED = "blocked"  # the user blocked the bot
    REVOKED = "revoked"  # access taken away by an admin


class OccurrenceStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ReportStatus(StrEnum):
    DONE = "done"
    SNOOZED = "snoozed"
    CANT = "cant"
    COMMENT = "comment"
    UNDONE = "undone"  # a "done" taken back (Undo): open again, reminded again


class ReminderState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"
    MERGED = "merged"  # planned, and sent as a part of another row's message (`message_item`)


class RegisterStatus(StrEnum):
    NONE = "none"
    RISK_GROUP = "risk_group"
    INTRA_SCHOOL = "intra_school"
    POLICE = "police"
    COMMISSION = "commission"  # the district commission on minors (КІСЖҚК / КДН)


class IncidentCategory(StrEnum):
    ABSENCE = "absence"
    FIGHT = "fight"
    BULLYING = "bullying"
    RULES = "rules"
    SUBSTANCES = "substances"
    ONLINE = "online"
    FAMILY = "family"
    POLICE = "police"
    OTHER = "other"


class StudentEventKind(StrEnum):
    TALK = "talk"
    HOME_VISIT = "home_visit"
    COUNCIL_REVIEW = "council_review"
    STATUS_CHANGE = "status_change"
    ANALYSIS = "analysis"
    NOTE = "note"


# --- people -------------------------------------------------------------------------------------


class Person(SQLModel, table=True):
    """Someone the bot knows: staff from the plan, people added later, external partners.

    `roles` holds `bot.core.roles.Role` values as plain strings.
    """

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # the plan's person key, or generated for new people
    name: str
    position: str | None = None  # free text as written, e.g. "ДТЖЖО"
    roles: list[str] = Field(
        default_factory=list, sa_type=MutableList.as_mutable(sa.JSON), nullable=False
    )
    class_name: str | None = None  # the class a class teacher leads, e.g. "7Ә"
    active: bool = True
    created_at: datetime = created_at_field()
    # A position the plan names without a person ("Медиатор"): not yet anybody. The admin
    # assigns it by typing the real person's name (/staff), which clears the flag.
    vacancy: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class Account(SQLModel, table=True):
    """A person's Telegram account. One per person, one person per Telegram user."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column_args=[sa.ForeignKey("person.id", ondelete="CASCADE")], unique=True
    )
    telegram_user_id: int = Field(sa_type=sa.BigInteger, unique=True)
    chat_id: int = Field(sa_type=sa.BigInteger)
    username: str | None = None
    language: Language = enum_field(Language, Language.KK)
    state: AccountState = enum_field(AccountState, AccountState.JOINED)
    joined_at: datetime = created_at_field()
    unreachable_since: datetime | None = datetime_field(nullable=True)
    unreachable_notified: bool = False


class Invite(SQLModel, table=True):
    """A one-time join link for a person. Only the sha256 hex digest of the token is kept."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = fk_field("person", ondelete="CASCADE")
    token_hash: str = Field(sa_type=sa.String(64), unique=True)
    created_by_person_id: int | None = fk_field(
        "person", ondelete="SET NULL", nullable=True, index=False
    )
    created_at: datetime = created_at_field()
    expires_at: datetime = datetime_field(nullable=False)
    used_at: datetime | None = datetime_field(nullable=True)
    used_by_telegram_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    revoked_at: datetime | None = datetime_field(nullable=True)


# --- the plan at work ---------------------------------------------------------------------------


class Occurrence(SQLModel, table=True):
    """One occurrence of a plan item or council session, materialised when needed."""

    __tablename__ = "occurrence"
    __table_args__ = (sa.Index("ix_occurrence_school_year_ref", "school_year", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # "1.8@2026-09-01", "council-4"
    ref: str  # the plan number: "1.4", "3.4.3", "council-4"
    school_year: str  # "2026-2027"
    window_start: datetime = datetime_field(nullable=False)
    due: datetime | None = datetime_field(nullable=True)
    title: str
    status: OccurrenceStatus = enum_field(OccurrenceStatus, OccurrenceStatus.OPEN)
    created_at: datetime = created_at_field()


class Report(SQLModel, table=True):
    """A person's current answer on an occurrence. History is in `ReportEvent`."""

    __tablename__ = "report"
    __table_args__ = (sa.UniqueConstraint("occurrence_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = fk_field("occurrence", ondelete="CASCADE", index=False)  # UNIQUE covers
    person_id: int = fk_field("person", ondelete="RESTRICT")
    status: ReportStatus = enum_field(ReportStatus)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    snoozed_until: datetime | None = datetime_field(nullable=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class ReportEvent(SQLModel, table=True):
    """Append-only history of reports. `idempotency_key` makes a double tap insert once."""

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = fk_field("occurrence", ondelete="CASCADE")
    person_id: int = fk_field("person", ondelete="RESTRICT")
    status: ReportStatus = enum_field(ReportStatus)
    text: str | None = Field(default=None, sa_type=sa.Text)
    at: datetime = created_at_field()
    idempotency_key: str = Field(unique=True)


# --- outgoing messages --------------------------------------------------------------------------


class Reminder(SQLModel, table=True):
    """The outbox: every reminder or other outgoing message, once, under a unique `dedup_key`.

    `dedup_key` reads like ``"council-4|person:17|week_before"``. The sender picks rows with
    `state` pending and `next_attempt_at` passed (the ``(state, next_attempt_at)`` index).
    `reply_markup` is the markup serialised as JSON text.
    """

    __tablename__ = "reminder"
    __table_args__ = (
        sa.Index("ix_reminder_state_next_attempt_at", "state", "next_attempt_at"),
        # A reply or a tap on a sent message finds its row (`message_item`).
        sa.Index("ix_reminder_chat_id_telegram_message_id", "chat_id", "telegram_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(unique=True)
    occurrence_key: str | None = Field(default=None, index=True)
    person_id: int | None = fk_field("person", ondelete="SET NULL", nullable=True)
    kind: str  # "week_before", "day_before", "overdue", ...
    chat_id: int = Field(sa_type=sa.BigInteger)
    text: str = Field(sa_type=sa.Text)
    reply_markup: str | None = Field(default=None, sa_type=sa.Text)
    state: ReminderState = enum_field(ReminderState, ReminderState.PENDING)
    due_at: datetime = datetime_field(nullable=False)
    attempts: int = 0
    next_attempt_at: datetime = datetime_field(nullable=False)
    sent_at: datetime | None = datetime_field(nullable=True)
    telegram_message_id: int | None = None
    late: bool = False  # sent after its moment had passed (the bot was down)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_at_field()


class MessageItem(SQLModel, table=True):
    """Which plan items a message carries: the outbox row that sends it (`reminder_id`), and
    for each item, in the order shown, its occurrence key and the row that planned it.

    One message per moment: everything due for a person at one tick goes out as one row; the
    parts are kept as rows of their own in state ``merged`` (their dedup keys stay planned
    once), linked here by `part_id`. A reply to the message, a "Done all" or an "open item"
    button finds the items through the row's `telegram_message_id`.
    """

    __tablename__ = "message_item"
    __table_args__ = (sa.UniqueConstraint("reminder_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = fk_field("reminder", ondelete="CASCADE", index=False)  # UNIQUE covers
    position: int
    occurrence_key: str
    kind: str  # the part's kind: "daily", "overdue", "checkin", "set_date", ...
    part_id: int | None = fk_field("reminder", ondelete="SET NULL", nullable=True, index=False)


class Evidence(SQLModel, table=True):
    """A photo, a document or a voice message a person sent as a reply to a reminder: evidence
    of a plan item's work. The file is kept by the school like a note's (`sha256` in the
    attachment store, `bot.services.attachments`); Telegram's file id is only a cache, of bot
    `bot_id` (`bot.services.evidence`)."""

    __tablename__ = "evidence"
    __table_args__ = (sa.Index("ix_evidence_occurrence_key", "occurrence_key"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_key: str
    person_id: int = fk_field("person", ondelete="RESTRICT")
    kind: str  # "photo", "document", "voice"
    sha256: str = Field(sa_type=sa.String(64), index=True)  # the kept file
    size: int
    file_id: str | None = None  # Telegram's id: a cache of the file, per bot
    bot_id: int | None = Field(default=None, sa_type=sa.BigInteger)  # whose id
    file_name: str | None = None
    mime_type: str | None = None
    caption: str | None = Field(default=None, sa_type=sa.Text)
    telegram_message_id: int | None = None  # the user's message that carried it
    at: datetime = created_at_field()


# --- council sessions ---------------------------------------------------------------------------


class CouncilSession(SQLModel, table=True):
    """A council session: the plan's 1..10, higher numbers for extraordinary ones."""

    __tablename__ = "council_session"
    __table_args__ = (sa.UniqueConstraint("school_year", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    school_year: str
    number: int
    extraordinary: bool = False
    scheduled_at: datetime | None = datetime_field(nullable=True)
    place: str | None = None
    held_at: datetime | None = datetime_field(nullable=True)
    minutes: str | None = Field(default=None, sa_type=sa.Text)
    set_by_person_id: int | None = fk_field(
        "person", ondelete="SET NULL", nullable=True, index=False
    )
    created_at: datetime = created_at_field()
    # Filled when the session is recorded: the quorum (two thirds of the members present),
    # who signs as secretary, and whether the chair asked for the closed appendix (names).
    quorum: bool | None = None
    secretary_person_id: int | None = fk_field(
        "person", ondelete="SET NULL", nullable=True, index=False
    )
    closed_appendix: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class SessionRsvp(SQLModel, table=True):
    """A council member's answer to a session's reminder: coming or not (the chair's count)."""

    __tablename__ = "session_rsvp"
    __table_args__ = (sa.UniqueConstraint("school_year", "number", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_year: str
    number: int
    person_id: int = Field(sa_column_args=[sa.ForeignKey("person.id", ondelete="CASCADE")])
    coming: bool
    at: datetime = datetime_field(nullable=False)


class SessionAttendance(SQLModel, table=True):
    """Who attended a session."""

    __tablename__ = "session_attendance"

    session_id: int = Field(
        sa_column_args=[sa.ForeignKey("council_session.id", ondelete="CASCADE")],
        primary_key=True,
    )
    person_id: int = Field(
        sa_column_args=[sa.ForeignKey("person.id", ondelete="RESTRICT")],
        primary_key=True,
        index=True,
    )


class SessionGuest(SQLModel, table=True):
    """Someone invited to a session who is not on the staff: a parent, a police inspector."""

    __tablename__ = "session_guest"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = fk_field("council_session", ondelete="CASCADE")
    name: str
    post: str | None = None


class SessionItem(SQLModel, table=True):
    """An agenda item as it was heard: its reporters and who spoke (names as the minutes
    print them), and for the flagged-cases item (3.5) the students' ids, never names."""

    __tablename__ = "session_item"
    __table_args__ = (sa.UniqueConstraint("session_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = fk_field("council_session", ondelete="CASCADE", index=False)
    number: int
    title: str = Field(sa_type=sa.Text)
    reporters: list[str] = Field(
        default_factory=list, sa_type=MutableList.as_mutable(sa.JSON), nullable=False
    )
    spoke: str | None = Field(default=None, sa_type=sa.Text)
    case_student_ids: list[int] = Field(
        default_factory=list, sa_type=MutableList.as_mutable(sa.JSON), nullable=False
    )


class Decision(SQLModel, table=True):
    """A decision taken at a session, optionally with an owner (a person or a role), a
    deadline and an occurrence (a task with reminders)."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = fk_field("council_session", ondelete="CASCADE")
    text: str = Field(sa_type=sa.Text)
    owner_person_id: int | None = fk_field("person", ondelete="SET NULL", nullable=True)
    deadline: datetime | None = datetime_field(nullable=True)
    occurrence_key: str | None = None
    created_at: datetime = created_at_field()
    item_number: int | None = None  # the agenda item it was taken under
    owner_role: str | None = None  # a `Role` value: everyone with the role answers
    due_kind: str | None = None  # "next_session", "quarter_end", "date": how it was picked


class SessionDraft(SQLModel, table=True):
    """A session being recorded: the whole dialogue's state as JSON, saved after every step,
    so a restart (or another device) continues where the secretary stopped."""

    __tablename__ = "session_draft"
    __table_args__ = (sa.UniqueConstraint("school_year", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    school_year: str
    number: int
    person_id: int | None = fk_field("person", ondelete="SET NULL", nullable=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    updated_at: datetime = created_at_field()


# --- students (sensitive) -----------------------------------------------------------------------


class Student(SQLModel, table=True):
    """A student's card.

    Optimistic locking: `version` is SQLAlchemy's ``version_id_col``. Every UPDATE checks the
    version that was loaded and bumps it; if another session changed the row meanwhile, the
    flush raises `sqlalchemy.orm.exc.StaleDataError`.
    """

    __tablename__ = "student"
    __table_args__ = (sa.Index("ix_student_class_name_full_name", "class_name", "full_name"),)

    id: int | None = Field(default=None, primary_key=True)
    full_name: str
    class_name: str
    birth_date: date | None = None
    register_status: RegisterStatus = enum_field(RegisterStatus, RegisterStatus.NONE)
    grounds: str | None = Field(default=None, sa_type=sa.Text)
    registered_at: date | None = None
    family_notes: str | None = Field(default=None, sa_type=sa.Text)
    responsible_person_id: int | None = fk_field("person", ondelete="SET NULL", nullable=True)
    closed_at: datetime | None = datetime_field(nullable=True)
    # "For the council" (3.5): on the next session's agenda until a council review clears it.
    for_council: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Retention (bot.services.retention): set when the name was replaced, years after the case
    # closed; the notes stay for statistics.
    anonymised_at: datetime | None = datetime_field(nullable=True)
    version: int = Field(default=1, nullable=False)
    created_at: datetime = created_at_field()

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # SQLModel has already put the `version` Column on the class when this is read.
        return {"version_id_col": cls.version}


class Incident(SQLModel, table=True):
    """A note about a student. `id` is the public note number ("#12"). Never deleted.

    The text is in `IncidentVersion`: the highest `version` is the current one.
    """

    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = fk_field("student", ondelete="RESTRICT")
    author_person_id: int = fk_field("person", ondelete="RESTRICT")
    category: IncidentCategory = enum_field(IncidentCategory)
    occurred_at: datetime = datetime_field(nullable=False)
    created_at: datetime = created_at_field()
    for_council: bool = False
    attachment_file_id: str | None = None  # Telegram file_id: a cache of the file, per bot
    attachment_bot_id: int | None = Field(default=None, sa_type=sa.BigInteger)  # whose id
    attachment_kind: str | None = None  # "photo", "document", "voice"
    # The file itself, kept by the school (bot.services.attachments): content-addressed.
    attachment_sha256: str | None = Field(default=None, sa_type=sa.String(64))
    attachment_size: int | None = None
    attachment_name: str | None = None  # a document's file name as sent
    attachment_mime: str | None = None


class IncidentVersion(SQLModel, table=True):
    """One text of a note; an edit adds a row with the next `version`."""

    __tablename__ = "incident_version"
    __table_args__ = (sa.UniqueConstraint("incident_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = fk_field("incident", ondelete="RESTRICT", index=False)  # UNIQUE covers
    version: int
    text: str = Field(sa_type=sa.Text)
    edited_at: datetime = created_at_field()
    editor_person_id: int = fk_field("person", ondelete="RESTRICT", index=False)


class StudentEvent(SQLModel, table=True):
    """The chronology of a card. `author_person_id` is empty for events the bot records."""

    __tablename__ = "student_event"
    __table_args__ = (sa.Index("ix_student_event_student_id_at", "student_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = fk_field("student", ondelete="RESTRICT", index=False)  # index above
    kind: StudentEventKind = enum_field(StudentEventKind)
    text: str = Field(sa_type=sa.Text)
    at: datetime = datetime_field(nullable=False)
    author_person_id: int | None = fk_field(
        "person", ondelete="RESTRICT", nullable=True, index=False
    )
    session_id: int | None = fk_field(
        "council_session", ondelete="SET NULL", nullable=True, index=False
    )


# --- housekeeping -------------------------------------------------------------------------------


class AuditLog(SQLModel, table=True):
    """Who did what, when.

    NEVER put a child's name (or any other personal data of a student) in `action`, `target`
    or `details`: refer to students and notes by id only (``target="student:12"``,
    ``"incident:40"``). The log is read by admins who may not see the cards themselves.

    `actor_person_id` is deliberately not a foreign key: the log outlives what it describes.
    """

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_person_id: int | None = None
    actor_telegram_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    action: str  # "invite.create", "student.status", ...
    target: str  # "person:17", "student:12"
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)


class KeyValue(SQLModel, table=True):
    """Small named values that must survive a restart, e.g. the scheduler's last tick."""

    __tablename__ = "kv"

    key: str = Field(primary_key=True)
    value: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Lease(SQLModel, table=True):
    """A named lease: only its `holder` may act (e.g. send the outbox) until `expires_at`."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = datetime_field(nullable=False)


class Assignment(SQLModel, table=True):
    """Who answers for a plan item now, when an admin reassigned it (e.g. after a revoke).

    `people` (person keys) replaces the plan's named people for `ref`; the plan's groups stay.
    """

    __tablename__ = "assignment"

    ref: str = Field(primary_key=True)  # "1.4", "3.4.3"
    people: list[str] = Field(
        default_factory=list, sa_type=MutableList.as_mutable(sa.JSON), nullable=False
    )
    set_by_person_id: int | None = None
    set_at: datetime = created_at_field()


class PlanOverride(SQLModel, table=True):
    """What an admin set in the chat beside the plan file (`bot.core.overrides`).

    `kind` "timing": `value` holds the timing rules (JSON, as in the plan file) of an item
    whose *When* was empty or unreadable; "host": `value` holds the person keys who host an
    item whose responsible are all external. `ref` is a plan number ("2.4", "3.4.6") or an
    agenda point ("council-3.2").
    """

    __tablename__ = "plan_override"
    __table_args__ = (sa.UniqueConstraint("ref", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str
    kind: str
    value: list[Any] = Field(
        default_factory=list, sa_type=MutableList.as_mutable(sa.JSON), nullable=False
    )
    set_by_person_id: int | None = None
    set_at: datetime = created_at_field()


class FsmState(SQLModel, table=True):
    """A dialogue's state and data (aiogram FSM), so a restart does not lose a half-written note.

    The key is aiogram's `StorageKey`; a missing thread or business connection is stored as 0
    or "" (key columns cannot be NULL). `data` is the dialogue's data as JSON text. A row goes
    when its dialogue ends (no state, no data); one untouched for long is purged
    (`bot.fsm.DbStorage.purge`): drafts may hold a child's name or a note's text.
    """

    __tablename__ = "fsm_state"

    bot_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    thread_id: int = Field(default=0, sa_type=sa.BigInteger, primary_key=True)
    business_connection_id: str = Field(default="", primary_key=True)
    destiny: str = Field(default="default", primary_key=True)
    state: str | None = None
    data: str = Field(default="{}", sa_type=sa.Text)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
