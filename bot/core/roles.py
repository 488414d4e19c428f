"""Staff roles. One vocabulary for the plan file, the database and the permission table."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CHAIR = "chair"
    DEPUTY_DIRECTOR = "deputy_director"
    SOCIAL_PEDAGOGUE = "social_pedagogue"
    PSYCHOLOGIST = "psychologist"
    CLASS_TEACHER = "class_teacher"
    COUNCIL_MEMBER = "council_member"
    LIBRARIAN = "librarian"
    ORGANISER = "organiser"
    TEACHER = "teacher"
    # The council's secretary: records sessions and files the minutes (one person).
    SECRETARY = "secretary"
    # Police officers, the healthy-lifestyle doctor: named in the plan, no access by default.
    EXTERNAL = "external"
