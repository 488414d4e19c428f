"""Filters that ask the permission table."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter

from bot.permissions import Perm, can
from db.models import Person


class HasPerm(Filter):
    def __init__(self, perm: Perm) -> None:
        self.perm = perm

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and can(person.roles, self.perm)


class PrivateChat(Filter):
    """Private chats only. A plain coroutine: aiogram runs a magic filter (`F.chat.type == ...`)
    in a worker thread, one hop per router per update, which bench/bench_updates.py measured."""

    async def __call__(self, event: TelegramObject) -> bool:
        chat = getattr(event, "chat", None)
        return chat is not None and chat.type == ChatType.PRIVATE


class Inline(Filter):
    """A magic filter evaluated inline, without aiogram's thread hop for sync callables."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> bool:
        return bool(self.magic.resolve(event))
