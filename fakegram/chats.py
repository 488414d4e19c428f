"""The user side of the fake: people, groups, the messages they see."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .server import BotState, FakeTelegram

__all__ = [
    "CallbackAnswer",
    "CallbackQuery",
    "Chat",
    "FakeGroup",
    "FakeMessage",
    "FakeUser",
    "StoredFile",
]

ChatType = Literal["private", "group", "supergroup"]


@dataclass
class StoredFile:
    """A file a user sent or the bot uploaded (or referenced by URL); ``content`` keeps the
    bytes. ``kind`` is "document", "photo" or "voice". A file id belongs to one bot
    (``bot_id``): as on Telegram, another bot cannot download or reuse it."""

    file_id: str
    file_unique_id: str
    filename: str | None
    mime_type: str | None
    content: bytes | None
    file_path: str
    url: str | None = None
    kind: str = "document"
    bot_id: int = 0
    width: int | None = None  # photos
    height: int | None = None
    duration: int | None = None  # voice notes, seconds

    @property
    def size(self) -> int | None:
        return None if self.content is None else len(self.content)

    def photo_json(self) -> list[dict[str, Any]]:
        """The ``photo`` field of a Message: the available sizes (here: the one sent)."""
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 1280,
            "height": self.height or 960,
        }
        if self.size is not None:
            data["file_size"] = self.size
        return [data]

    def voice_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "duration": self.duration or 1,
        }
        if self.mime_type:
            data["mime_type"] = self.mime_type
        if self.size is not None:
            data["file_size"] = self.size
        return data

    def document_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.filename:
            data["file_name"] = self.filename
        if self.mime_type:
            data["mime_type"] = self.mime_type
        if self.size is not None:
            data["file_size"] = self.size
        return data


@dataclass
class CallbackAnswer:
    """What the bot answered to a button tap (``answerCallbackQuery``)."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass
class CallbackQuery:
    """A button tap the user made; ``answer`` is set once the bot answers it."""

    id: str
    user: FakeUser
    chat: Chat
    message: FakeMessage
    data: str
    answer: CallbackAnswer | None = None

    @property
    def answered(self) -> bool:
        return self.answer is not None


class FakeMessage:
    """A message as it currently is in a chat (edits applied).

    ``history`` keeps the earlier versions (as Bot API ``Message`` dicts).
    """

    def __init__(
        self,
        chat: Chat,
        message_id: int,
        *,
        sender: dict[str, Any],
        from_bot: bool,
        date: int,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
        document: StoredFile | None = None,
        photo: StoredFile | None = None,
        voice: StoredFile | None = None,
        reply_markup: dict[str, Any] | None = None,
        reply_to: FakeMessage | None = None,
        author: FakeUser | None = None,
        protected: bool = False,
    ) -> None:
        self.chat = chat
        self.message_id = message_id
        self.sender = sender
        self.from_bot = from_bot
        self.date = date
        self.text = text
        self.entities = entities or []
        self.caption = caption
        self.caption_entities = caption_entities or []
        self.document = document
        self.photo = photo
        self.voice = voice
        self.protected = protected  # sent with protect_content: no forwarding, no saving
        self.reply_markup = reply_markup
        self.reply_to = reply_to
        self.author = author
        self.edit_date: int | None = None
        self.deleted = False
        self.history: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        body = self.text if self.text is not None else self.caption
        return f"<FakeMessage #{self.message_id} chat={self.chat.id} {who}: {body!r}>"

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the inline keyboard, row by row (``[]`` without one)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [[button["text"] for button in row] for row in rows]

    @property
    def button_labels(self) -> list[str]:
        return [label for row in self.buttons for label in row]

    def iter_buttons(self) -> Iterator[dict[str, Any]]:
        if self.reply_markup:
            for row in self.reply_markup.get("inline_keyboard", []):
                yield from row

    def button(self, label: str) -> dict[str, Any] | None:
        for button in self.iter_buttons():
            if button["text"] == label:
                return button
        return None

    @property
    def document_bytes(self) -> bytes | None:
        return None if self.document is None else self.document.content

    @property
    def media(self) -> StoredFile | None:
        """The document, photo or voice note of the message, if any."""
        return self.document or self.photo or self.voice

    def to_json(self, *, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_json(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.reply_to is not None and with_reply:
            data["reply_to_message"] = self.reply_to.to_json(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = copy.deepcopy(self.entities)
        if self.document is not None:
            data["document"] = self.document.document_json()
        if self.photo is not None:
            data["photo"] = self.photo.photo_json()
        if self.voice is not None:
            data["voice"] = self.voice.voice_json()
        if self.protected:
            data["has_protected_content"] = True
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = copy.deepcopy(self.caption_entities)
        if self.reply_markup is not None:
            data["reply_markup"] = copy.deepcopy(self.reply_markup)
        return data

    def snapshot(self) -> dict[str, Any]:
        return self.to_json(with_reply=False)

    def render(self) -> str:
        """One transcript entry body: text (or document) and buttons."""
        parts: list[str] = []
        media = self.media
        if media is not None:
            size = f", {media.size} bytes" if media.size is not None else ""
            icon = {"photo": "🖼", "voice": "🎤"}.get(media.kind, "📎")
            name = media.filename if media.kind == "document" else media.kind
            parts.append(f"{icon} {name or media.file_id}{size}")
            if self.caption:
                parts.append(self.caption)
        elif self.text is not None:
            parts.append(self.text)
        body = "\n".join(parts)
        lines = body.split("\n") if body else [""]
        rendered = lines[0] + "".join(f"\n    {line}" for line in lines[1:])
        for row in self.buttons:
            rendered += "\n    " + " ".join(f"[{label}]" for label in row)
        return rendered


class Chat:
    """A chat between the bot and a user or a group, seen from Telegram's side."""

    def __init__(
        self,
        fake: FakeTelegram,
        bot: BotState,
        chat_id: int,
        chat_type: ChatType,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> None:
        self.fake = fake
        self.bot = bot
        self.id = chat_id
        self.type: ChatType = chat_type
        self.title = title
        self.username = username
        self.first_name = first_name
        self.last_name = last_name
        self.messages: dict[int, FakeMessage] = {}
        self.next_message_id = 1
        self.bot_messages: list[FakeMessage] = []
        self.read_cursor = 0
        self.reply_keyboard: dict[str, Any] | None = None
        self.user: FakeUser | None = None
        self.group: FakeGroup | None = None

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.username is not None:
            data["username"] = self.username
        if self.first_name is not None:
            data["first_name"] = self.first_name
        if self.last_name is not None:
            data["last_name"] = self.last_name
        return data

    def to_full_json(self) -> dict[str, Any]:
        data = self.to_json()
        data.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return data

    def add_message(self, **kwargs: Any) -> FakeMessage:
        message = FakeMessage(self, self.next_message_id, **kwargs)
        self.next_message_id += 1
        self.messages[message.message_id] = message
        if message.from_bot:
            self.bot_messages.append(message)
        return message

    def get(self, message_id: int) -> FakeMessage | None:
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            return None
        return message

    @property
    def visible(self) -> list[FakeMessage]:
        return [m for m in self.messages.values() if not m.deleted]


class _Participant:
    """Shared conversation helpers for users and groups."""

    fake: FakeTelegram
    chat: Chat

    @property
    def inbox(self) -> list[FakeMessage]:
        """All messages of the chat as they are now (edits applied, deletions removed)."""
        return self.chat.visible

    @property
    def bot_messages(self) -> list[FakeMessage]:
        return [m for m in self.chat.visible if m.from_bot]

    @property
    def last_bot_message(self) -> FakeMessage | None:
        messages = self.bot_messages
        return messages[-1] if messages else None

    @property
    def reply_keyboard(self) -> list[list[str]]:
        """Labels of the current reply keyboard (``ReplyKeyboardMarkup``), if any."""
        if not self.chat.reply_keyboard:
            return []
        return [
            [button if isinstance(button, str) else button["text"] for button in row]
            for row in self.chat.reply_keyboard.get("keyboard", [])
        ]

    async def next_message(self, timeout: float = 5.0) -> FakeMessage:  # noqa: ASYNC109
        """Wait for the next message the bot sends to this chat (in order, each once)."""
        chat = self.chat
        try:
            await self.fake.wait_until(lambda: chat.read_cursor < len(chat.bot_messages), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no new bot message in chat {chat.id} within {timeout}s.\n"
                f"Transcript:\n{self.transcript()}"
            ) from None
        message = chat.bot_messages[chat.read_cursor]
        chat.read_cursor += 1
        return message

    async def no_message(self, timeout: float = 0.2) -> None:  # noqa: ASYNC109
        """Assert the bot sends nothing more to this chat within ``timeout``."""
        chat = self.chat
        try:
            await self.fake.wait_until(lambda: chat.read_cursor < len(chat.bot_messages), timeout)
        except TimeoutError:
            return
        raise AssertionError(
            f"unexpected bot message: {chat.bot_messages[chat.read_cursor]!r}\n"
            f"Transcript:\n{self.transcript()}"
        )

    def skip_messages(self) -> None:
        """Mark every bot message so far as read by :meth:`next_message`."""
        self.chat.read_cursor = len(self.chat.bot_messages)

    def transcript(self) -> str:
        return self.fake.transcript(chat=self.chat)

    def find_button_message(self, label: str) -> FakeMessage:
        """The latest bot message in this chat with an inline button ``label``."""
        return _find_button_message(self.chat, label)


def _find_button_message(chat: Chat, label: str) -> FakeMessage:
    for message in reversed(chat.visible):
        if message.from_bot and message.button(label) is not None:
            return message
    available = [m.button_labels for m in chat.visible if m.from_bot and m.buttons]
    raise LookupError(f"no inline button {label!r} in chat {chat.id}; buttons seen: {available}")


class FakeUser(_Participant):
    """A Telegram user talking to the bot in a private chat (and maybe in groups)."""

    def __init__(
        self,
        fake: FakeTelegram,
        bot: BotState,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_premium: bool = False,
        started: bool = False,
    ) -> None:
        self.fake = fake
        self.bot = bot
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.is_premium = is_premium
        self.started = started
        self.blocked = False
        self.deactivated = False
        self.callback_answers: list[CallbackAnswer] = []
        self.taps: list[CallbackQuery] = []
        self.chat = Chat(
            fake,
            bot,
            user_id,
            "private",
            username=username,
            first_name=first_name,
            last_name=last_name,
        )
        self.chat.user = self

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.name!r}>"

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data

    async def send(self, text: str, *, reply_to: FakeMessage | None = None) -> FakeMessage:
        """Write ``text`` to the bot in the private chat."""
        return self.fake.user_message(self, self.chat, text, reply_to=reply_to)

    async def send_document(
        self,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """Send a file (as a document, with an optional caption, maybe as a reply) to the bot in
        the private chat."""
        return self.fake.user_document(
            self, self.chat, filename, content, caption=caption, reply_to=reply_to
        )

    async def send_photo(
        self,
        content: bytes,
        *,
        caption: str | None = None,
        width: int = 1280,
        height: int = 960,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """Send a photo (with an optional caption, maybe as a reply) to the bot in the private
        chat."""
        return self.fake.user_media(
            self, self.chat, "photo", content, caption=caption, width=width, height=height,
            reply_to=reply_to,
        )  # fmt: skip

    async def send_voice(
        self,
        content: bytes,
        *,
        duration: int = 3,
        caption: str | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """Send a voice note (OGG/Opus, as clients record them; maybe as a reply) to the bot."""
        return self.fake.user_media(
            self, self.chat, "voice", content, caption=caption, duration=duration,
            reply_to=reply_to,
        )  # fmt: skip

    async def command(self, command: str, payload: str | None = None) -> FakeMessage:
        """Send ``/command [payload]`` (e.g. a deep link ``/start payload``)."""
        return await self.send(_command_text(command, payload))

    async def tap(self, label: str, message: FakeMessage | None = None) -> CallbackQuery:
        """Press the inline button ``label`` on ``message`` (default: the latest having it)."""
        return await _tap(self, self.chat, label, message)

    async def press(self, label: str) -> FakeMessage:
        """Press a button of the current reply keyboard: its label is sent as a message."""
        return self.fake.user_message(self, self.chat, _reply_button(self.chat, label))

    async def tap_data(self, message: FakeMessage | int, data: str) -> CallbackQuery:
        """Send a callback query with arbitrary (possibly forged or stale) ``data``.

        ``message`` is a :class:`FakeMessage` or a message id in this chat.
        """
        return self.fake.user_callback(self, self.chat, _message(self.chat, message), data)

    async def next_callback_answer(self, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        """Wait until the bot answers the user's latest tap and return the answer."""
        if not self.taps:
            raise LookupError(f"{self!r} has not tapped anything")
        query = self.taps[-1]
        try:
            await self.fake.wait_until(lambda: query.answer is not None, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not answer callback query {query.id} ({query.data!r}) "
                f"within {timeout}s.\nTranscript:\n{self.transcript()}"
            ) from None
        assert query.answer is not None
        return query.answer

    def block(self) -> None:
        """The user blocks the bot: sends to them fail with 403 from now on."""
        self.fake.set_blocked(self, True)

    def unblock(self) -> None:
        self.fake.set_blocked(self, False)

    def deactivate(self) -> None:
        """The account is deleted: sends fail with ``Forbidden: user is deactivated``."""
        self.deactivated = True


class FakeGroup(_Participant):
    """A group or supergroup the bot is a member of."""

    def __init__(
        self,
        fake: FakeTelegram,
        bot: BotState,
        chat_id: int,
        title: str,
        *,
        chat_type: Literal["group", "supergroup"] = "supergroup",
        username: str | None = None,
        members: list[FakeUser] | None = None,
        bot_is_admin: bool = False,
    ) -> None:
        self.fake = fake
        self.bot = bot
        self.id = chat_id
        self.title = title
        self.members: list[FakeUser] = list(members or [])
        self.bot_is_admin = bot_is_admin
        self.bot_is_member = True
        self.chat = Chat(fake, bot, chat_id, chat_type, title=title, username=username)
        self.chat.group = self

    def __repr__(self) -> str:
        return f"<FakeGroup {self.id} {self.title!r}>"

    def add(self, user: FakeUser) -> None:
        if user not in self.members:
            self.members.append(user)

    def kick_bot(self) -> None:
        """The bot is removed: its sends fail with 403 ``bot was kicked``."""
        self.bot_is_member = False

    async def send(
        self, user: FakeUser, text: str, *, reply_to: FakeMessage | None = None
    ) -> FakeMessage:
        """``user`` writes ``text`` in the group (delivered to the bot subject to privacy)."""
        self.add(user)
        return self.fake.user_message(user, self.chat, text, reply_to=reply_to)

    async def command(
        self, user: FakeUser, command: str, payload: str | None = None, *, mention: bool = False
    ) -> FakeMessage:
        """``/command`` in the group; ``mention=True`` writes ``/command@botname``."""
        text = _command_text(command, payload, self.bot.username if mention else None)
        return await self.send(user, text)

    async def tap(
        self, user: FakeUser, label: str, message: FakeMessage | None = None
    ) -> CallbackQuery:
        self.add(user)
        return await _tap(user, self.chat, label, message)

    async def tap_data(
        self, user: FakeUser, message: FakeMessage | int, data: str
    ) -> CallbackQuery:
        return self.fake.user_callback(user, self.chat, _message(self.chat, message), data)

    async def press(self, user: FakeUser, label: str) -> FakeMessage:
        """``user`` presses a reply keyboard button in the group."""
        self.add(user)
        return self.fake.user_message(user, self.chat, _reply_button(self.chat, label))


def _message(chat: Chat, message: FakeMessage | int) -> FakeMessage:
    if isinstance(message, FakeMessage):
        return message
    found = chat.messages.get(message)
    if found is None:
        raise LookupError(f"no message #{message} in chat {chat.id}")
    return found


def _reply_button(chat: Chat, label: str) -> str:
    keyboard = chat.reply_keyboard or {}
    for row in keyboard.get("keyboard", []):
        for button in row:
            if (button if isinstance(button, str) else button.get("text")) == label:
                return label
    raise LookupError(f"no reply keyboard button {label!r} in chat {chat.id}")


def _command_text(command: str, payload: str | None, mention: str | None = None) -> str:
    text = command if command.startswith("/") else f"/{command}"
    if mention:
        text += f"@{mention}"
    if payload:
        text += f" {payload}"
    return text


async def _tap(
    user: FakeUser, chat: Chat, label: str, message: FakeMessage | None
) -> CallbackQuery:
    fake = user.fake
    if message is None:
        message = _find_button_message(chat, label)
    if message.deleted:
        raise LookupError(f"message #{message.message_id} was deleted")
    button = message.button(label)
    if button is None:
        raise LookupError(
            f"message #{message.message_id} has no button {label!r}: {message.buttons}"
        )
    if "callback_data" not in button:
        kind = next((k for k in button if k != "text"), "?")
        raise LookupError(f"button {label!r} is a {kind} button, not a callback button")
    return fake.user_callback(user, chat, message, button["callback_data"], label=label)
