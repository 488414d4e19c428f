"""Filters that ask the permission table."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.permissions import Perm, can
from db.models import Person


class HasPerm(Filter):
    def __init__(self, perm: Perm) -> None:
        self.perm = perm

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and can(person.roles, self.perm)
