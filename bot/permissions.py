"""Who may do what: the one permission table. Handlers ask `can()`; they never check roles."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from bot.core.roles import Role


class Perm(StrEnum):
    USE_BOT = "use_bot"  # tasks, reminders, reporting on one's own work
    MANAGE_STAFF = "manage_staff"  # invite, revoke, change roles and class
    REASSIGN = "reassign"  # change who is responsible for a plan item
    VIEW_STATUS = "view_status"  # plan progress, overdue, who cannot be reached
    MANAGE_SESSIONS = "manage_sessions"  # set session dates, record minutes and decisions
    FILE_INCIDENT = "file_incident"
    READ_ALL_INCIDENTS = "read_all_incidents"
    READ_CLASS_INCIDENTS = "read_class_incidents"  # class teachers: their own class only
    NOTIFIED_OF_INCIDENTS = "notified_of_incidents"
    MANAGE_REGISTER = "manage_register"  # student register statuses (council decisions)
    # The council's papers (/documents). Minutes, analyses and the plan carry no child's name
    # (counts only); the register and a child's case file do, and go to note readers only.
    DOC_COUNCIL = "doc_council"  # minutes, half-year and annual analysis, the effective plan
    DOC_REGISTER = "doc_register"  # the register of students on preventive record
    DOC_CASE_FILE = "doc_case_file"  # a child's case file (audited)
    MINUTES_APPENDIX = "minutes_appendix"  # ask for the minutes' closed appendix with names


_STAFF = {Perm.USE_BOT}
_READERS = {Perm.FILE_INCIDENT, Perm.READ_ALL_INCIDENTS}

_DOCS = {Perm.DOC_COUNCIL, Perm.DOC_REGISTER, Perm.DOC_CASE_FILE}

PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        _STAFF | {Perm.MANAGE_STAFF, Perm.REASSIGN, Perm.VIEW_STATUS, Perm.MANAGE_SESSIONS}
    ),
    Role.CHAIR: frozenset(
        _STAFF
        | _READERS
        | _DOCS
        | {Perm.VIEW_STATUS, Perm.MANAGE_SESSIONS, Perm.REASSIGN, Perm.MANAGE_REGISTER}
        | {Perm.MINUTES_APPENDIX}
    ),
    Role.DEPUTY_DIRECTOR: frozenset(
        _STAFF
        | _READERS
        | _DOCS
        | {Perm.VIEW_STATUS, Perm.NOTIFIED_OF_INCIDENTS, Perm.REASSIGN, Perm.MANAGE_REGISTER}
    ),
    Role.SOCIAL_PEDAGOGUE: frozenset(
        _STAFF | _READERS | _DOCS | {Perm.NOTIFIED_OF_INCIDENTS, Perm.MANAGE_REGISTER}
    ),
    Role.PSYCHOLOGIST: frozenset(
        _STAFF | _READERS | {Perm.NOTIFIED_OF_INCIDENTS, Perm.DOC_CASE_FILE}
    ),
    Role.CLASS_TEACHER: frozenset(_STAFF | {Perm.FILE_INCIDENT, Perm.READ_CLASS_INCIDENTS}),
    Role.COUNCIL_MEMBER: frozenset(_STAFF),
    Role.LIBRARIAN: frozenset(_STAFF),
    Role.ORGANISER: frozenset(_STAFF),
    Role.TEACHER: frozenset(_STAFF),
    Role.EXTERNAL: frozenset(),
    # Records the sessions (attendance, decisions) and files the council's papers; reads no
    # notes, so no register and no case file.
    Role.SECRETARY: frozenset(_STAFF | {Perm.MANAGE_SESSIONS, Perm.DOC_COUNCIL}),
}


def permissions_of(roles: Iterable[Role | str]) -> frozenset[Perm]:
    granted: set[Perm] = set()
    for role in roles:
        try:
            granted |= PERMISSIONS[Role(role)]
        except ValueError:
            continue  # a role this version does not know grants nothing
    return frozenset(granted)


def can(roles: Iterable[Role | str], perm: Perm) -> bool:
    return perm in permissions_of(roles)
