"""Files attached to notes, kept by the school: content-addressed in the data folder.

A note's photo, document or voice note is downloaded from Telegram when the note is saved (not
before: an abandoned dialogue leaves nothing behind) and kept as
``<ATTACHMENTS_DIR>/<first two hex digits>/<sha256>``; the same file twice is kept once. Files
larger than ``ATTACHMENT_MAX_MB`` are refused with a clear answer in the user's language.

Telegram's file id is only a cache for showing the file again quickly, and it belongs to one
bot: after the school moves to a new bot, the file is uploaded from the folder and the new id is
cached (`send_attachment`). The folder is part of every backup (`bot.backup`).

Logs name notes by number and files by nothing: no file name, no hash.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the store serves `python -m bot backup`, which needs no Telegram
    from aiogram import Bot
    from aiogram.types import Message

log = logging.getLogger(__name__)

MB = 1024 * 1024
_SHA = frozenset("0123456789abcdef")
DEFAULT_NAMES = {"photo": "photo.jpg", "voice": "voice.ogg", "document": "document"}


class TooLarge(Exception):
    """A file above the limit. `size` in bytes (None: Telegram would not say)."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(f"{size} bytes > {limit}")
        self.size = size
        self.limit = limit


def max_bytes(max_mb: float) -> int:
    """The size limit in bytes for ``ATTACHMENT_MAX_MB``."""
    return int(max_mb * MB)


def too_large_text(lang: str, size: int | None, limit: int) -> str:
    """The answer to a file over the limit, in the user's language (a note's file, or evidence
    sent as a reply to a reminder)."""
    from bot.texts import t

    shown = f"{size / MB:.1f}" if size is not None else "> 20"
    return t(lang, "att_too_large", size=shown, limit=f"{limit / MB:g}")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file as it arrived in a message: Telegram's id and what the message said about it."""

    file_id: str
    kind: str  # "photo", "document", "voice"
    size: int | None = None
    name: str | None = None
    mime: str | None = None


def incoming_of(message: Message) -> Incoming | None:
    """The photo (largest size), document or voice note of `message`, if any."""
    if message.document is not None:
        d = message.document
        return Incoming(d.file_id, "document", d.file_size, d.file_name, d.mime_type)
    if message.photo:
        p = message.photo[-1]
        return Incoming(p.file_id, "photo", p.file_size, None, "image/jpeg")
    if message.voice is not None:
        v = message.voice
        return Incoming(v.file_id, "voice", v.file_size, None, v.mime_type)
    return None


@dataclass(frozen=True, slots=True)
class Kept:
    sha256: str
    size: int


class AttachmentStore:
    """The folder of kept files, named by their sha256."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not set(sha256) <= _SHA:
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def put(self, data: bytes) -> Kept:
        tmp = self._temporary()
        tmp.write_bytes(data)
        return self.adopt(tmp)

    def adopt(self, tmp: Path) -> Kept:
        """Move a finished file (in this store's temporary folder) to its place."""
        digest = hashlib.sha256()
        size = 0
        with tmp.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        target = self.path(sha)
        if target.is_file():
            tmp.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)  # a kept file is whole or absent
        return Kept(sha, size)

    def all(self) -> Iterator[tuple[str, Path]]:
        """(sha256, path) of every kept file."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for file in sorted(folder.iterdir()):
                if file.is_file() and len(file.name) == 64 and set(file.name) <= _SHA:
                    yield file.name, file

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def _temporary(self) -> Path:
        folder = self.root / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex}.part"


async def fetch(bot: Bot, incoming: Incoming, store: AttachmentStore, max_bytes: int) -> Kept:
    """Download `incoming` from Telegram into `store`. Raises `TooLarge`, or Telegram's and the
    file system's own errors (the caller answers the user)."""
    from aiogram.exceptions import TelegramBadRequest

    if incoming.size is not None and incoming.size > max_bytes:
        raise TooLarge(incoming.size, max_bytes)
    try:
        file = await bot.get_file(incoming.file_id)
    except TelegramBadRequest as exc:
        if "too big" in exc.message:  # above the 20 MB Telegram lets bots download
            raise TooLarge(incoming.size, max_bytes) from None
        raise
    if file.file_size is not None and file.file_size > max_bytes:
        raise TooLarge(file.file_size, max_bytes)
    if file.file_path is None:
        raise TooLarge(incoming.size, max_bytes)  # Telegram gives no path to a file too big
    tmp = store._temporary()
    try:
        await bot.download_file(file.file_path, destination=tmp)
        size = tmp.stat().st_size
        if size > max_bytes:
            raise TooLarge(size, max_bytes)
        return store.adopt(tmp)
    finally:
        tmp.unlink(missing_ok=True)


def _sent_file_id(message: Message) -> str | None:
    if message.photo:
        return message.photo[-1].file_id
    if message.voice is not None:
        return message.voice.file_id
    if message.document is not None:
        return message.document.file_id
    return None


async def send_attachment(
    bot: Bot,
    chat_id: int,
    incident: Any,
    store: AttachmentStore,
    *,
    caption: str,
) -> str | None:
    """Send a note's file to `chat_id` (protected: no forwarding, no saving). The cached file id
    if it is this bot's, else the kept file (whose new id is returned for the cache). Returns
    the file id that worked, or None if there is nothing to send."""
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.types import BufferedInputFile

    kind = incident.attachment_kind or "document"
    send = {"photo": bot.send_photo, "voice": bot.send_voice}.get(kind, bot.send_document)
    cached = incident.attachment_file_id
    if cached and (incident.attachment_bot_id in (None, bot.id)):
        try:
            await send(chat_id, cached, caption=caption, protect_content=True)
            return str(cached)
        except TelegramBadRequest as exc:
            if incident.attachment_sha256 is None:
                raise
            log.info(
                "note %s: the cached file id failed (%s); sending the kept file", incident.id, exc
            )
    sha = incident.attachment_sha256
    if sha is None or not store.exists(sha):
        return None
    name = incident.attachment_name or DEFAULT_NAMES.get(kind, "document")
    upload = BufferedInputFile(store.read(sha), filename=name)
    sent = await send(chat_id, upload, caption=caption, protect_content=True)
    return _sent_file_id(sent)
