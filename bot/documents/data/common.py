"""Shared by the query layer: the register filter, the order of classes, people."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.roles import Role
from db.models import Person


class RegisterFilter(StrEnum):
    CURRENT = "current"  # on the register now
    YEAR = "year"  # on the register at any time of the school year
    REMOVED = "removed"  # taken off the register during the school year


def class_key(klass: str) -> tuple[int, str]:
    digits = "".join(ch for ch in klass if ch.isdigit())
    return (int(digits or 0), klass)


async def people_by_id(session: AsyncSession) -> dict[int, Person]:
    return {p.id: p for p in (await session.exec(select(Person))).all() if p.id is not None}


def role_holder(people: dict[int, Person], role: Role) -> Person | None:
    found = sorted((p for p in people.values() if p.active and role.value in p.roles),
                   key=lambda p: p.id or 0)  # fmt: skip
    return found[0] if found else None
