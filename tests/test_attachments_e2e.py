"""Files attached to notes are kept by the school, and screens about children are protected.

End to end: the production dispatcher polling the strict fake Telegram, the real database and
attachment folder. A photo, a document and a voice note are downloaded on Save into the
content-addressed folder; a file over ATTACHMENT_MAX_MB gets a clear answer; after a move to a
new bot (whose file ids differ) the kept file is uploaded and the new id cached. Every message of
the note, card and register screens is sent with protect_content.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import select

from bot.callbacks import StudentAction, StudentCb
from bot.clock import ManualClock
from bot.config import attachments_folder
from bot.services.attachments import AttachmentStore
from db.models import Incident, Student
from fakegram import FakeTelegram
from fakegram.chats import FakeUser
from tests.harness import Kenes, kenes_app, tap

NAME = "Қасымова Дариға"
PHOTO = b"\xff\xd8\xff\xe0 a photo of the torn notebook " * 40
PDF = b"%PDF-1.4 the police protocol " * 40
VOICE = b"OggS a voice note from the class teacher " * 40


async def _student(kenes: Kenes, name: str = NAME, klass: str = "7Ә") -> int:
    async with kenes.pool() as session:
        student = Student(full_name=name, class_name=klass, created_at=kenes.clock.now())
        session.add(student)
        await session.commit()
        assert student.id is not None
        return student.id


async def _note_with(pedagogue: FakeUser, send: Any, *, text: str | None = None) -> None:
    """/incident → 7Ә → the student → a category → the file (with a caption) → Save."""
    await pedagogue.command("/incident")
    await pedagogue.next_message()
    await tap(pedagogue, "7Ә")
    await tap(pedagogue, f"{NAME} · 7Ә")
    await tap(pedagogue, "буллинг")
    await send()
    confirm = await pedagogue.next_message()
    if text is not None:
        await pedagogue.send(text)
        confirm = await pedagogue.next_message()
    assert "📎 файл" in confirm.text
    await tap(pedagogue, "✅ Сохранить · сейчас")
    assert "сохранена" in (pedagogue.last_bot_message.text or "")


async def _new(user: FakeUser, index: int) -> Any:
    """The bot's message number `index` in the chat, once it is there."""
    await user.fake.wait_until(lambda: len(user.bot_messages) > index)
    return user.bot_messages[index]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_a_photo_a_document_and_a_voice_note_are_kept_by_the_school(kenes: Kenes) -> None:
    await _student(kenes)
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await _note_with(pedagogue, lambda: pedagogue.send_photo(PHOTO, caption="Порвала тетрадь"))
    await _note_with(
        pedagogue, lambda: pedagogue.send_document("protocol.pdf", PDF, caption="Протокол")
    )
    await _note_with(
        pedagogue, lambda: pedagogue.send_voice(VOICE), text="Со слов классного руководителя"
    )

    store = AttachmentStore(attachments_folder(kenes.settings))
    async with kenes.pool() as session:
        notes = (await session.exec(select(Incident).order_by(Incident.id))).all()
    assert [(n.attachment_kind, n.attachment_sha256, n.attachment_size) for n in notes] == [
        ("photo", _sha(PHOTO), len(PHOTO)),
        ("document", _sha(PDF), len(PDF)),
        ("voice", _sha(VOICE), len(VOICE)),
    ]
    assert notes[1].attachment_name == "protocol.pdf"
    for note, content in zip(notes, (PHOTO, PDF, VOICE), strict=True):
        assert store.read(note.attachment_sha256 or "") == content  # kept, named by content
        assert note.attachment_bot_id == kenes.bot.id
    assert not list((store.root / ".incoming").iterdir())  # nothing half-written left

    # The deputy opens each: the cached file id is used (no upload), protected.
    deputy = await kenes.join("mukanova-azh", "Алма", language_code="ru")
    for no, method, field in (
        (1, "sendPhoto", "photo"),
        (2, "sendDocument", "document"),
        (3, "sendVoice", "voice"),
    ):
        await _open(kenes, deputy, no)
        call = kenes.fake.calls_to(method)[-1]
        assert call[field] == notes[no - 1].attachment_file_id and call["protect_content"] is True
        media = deputy.last_bot_message.media
        assert media is not None and media.content == (PHOTO, PDF, VOICE)[no - 1]


async def _open(kenes: Kenes, reader: FakeUser, no: int) -> None:
    from bot.callbacks import IncidentAction, IncidentCb

    anchor = reader.bot_messages[-1] if reader.bot_messages else None
    assert anchor is not None
    await reader.tap_data(anchor, IncidentCb(action=IncidentAction.OPEN, id=no).pack())
    await reader.next_callback_answer()


async def test_a_file_over_the_limit_gets_a_clear_answer_and_is_not_kept(kenes: Kenes) -> None:
    kenes.settings.attachment_max_mb = 1  # ATTACHMENT_MAX_MB=1
    await _student(kenes)
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await pedagogue.command("/incident")
    await pedagogue.next_message()
    await tap(pedagogue, "7Ә")
    await tap(pedagogue, f"{NAME} · 7Ә")
    await tap(pedagogue, "буллинг")
    big = b"x" * (3 * 1024 * 1024 // 2)  # 1.5 MB
    await pedagogue.send_document("scan.pdf", big, caption="Скан")
    answer = await pedagogue.next_message()
    assert answer.text == (
        "Файл слишком большой: 1.5 МБ, можно до 1 МБ. Пришлите файл поменьше или фото, "
        "или просто напишите текст."
    )
    await pedagogue.send("Без файла")
    await pedagogue.next_message()
    await tap(pedagogue, "✅ Сохранить · сейчас")
    async with kenes.pool() as session:
        note = (await session.exec(select(Incident))).one()
    assert note.attachment_file_id is None and note.attachment_sha256 is None
    store = AttachmentStore(attachments_folder(kenes.settings))
    assert list(store.all()) == []
    assert not kenes.fake.calls_to("getFile")  # refused from what the message said


NEW_BOT = "777000:NEW-school-bot-token"


async def _on_the_new_bot(fake: FakeTelegram, user: FakeUser) -> FakeUser:
    """The same Telegram user writes to the school's new bot: the account is theirs already."""
    reader = fake.user(id=user.id, first_name="Сания", language_code="ru", bot=NEW_BOT)
    await reader.command("/help")
    await reader.next_message()
    return reader


async def test_after_a_move_to_a_new_bot_the_kept_file_is_sent_and_cached(
    kenes: Kenes, fakegram: FakeTelegram, db_url: str, clock: ManualClock
) -> None:
    await _student(kenes)
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await _note_with(pedagogue, lambda: pedagogue.send_photo(PHOTO, caption="Фото"))
    async with kenes.pool() as session:
        old_id = (await session.exec(select(Incident))).one().attachment_file_id
    await kenes.dp.stop_polling()

    async with kenes_app(fakegram, db_url, clock, token=NEW_BOT) as moved:
        assert moved.bot.id != kenes.bot.id
        reader = await _on_the_new_bot(fakegram, pedagogue)
        await _open(moved, reader, 1)
        sent = reader.last_bot_message
        assert sent.photo is not None and sent.photo.content == PHOTO and sent.protected
        upload = fakegram.calls_to("sendPhoto")[-1]
        assert upload["photo"].startswith("<file ")  # uploaded from the folder
        async with moved.pool() as session:
            note = (await session.exec(select(Incident))).one()
        assert note.attachment_file_id == sent.photo.file_id != old_id
        assert note.attachment_bot_id == moved.bot.id
        await _open(moved, reader, 1)  # next time: the cached id, no upload
        assert fakegram.calls_to("sendPhoto")[-1]["photo"] == note.attachment_file_id


async def test_note_card_and_register_screens_are_protected(kenes: Kenes) -> None:
    sid = await _student(kenes)
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    deputy = await kenes.join("mukanova-azh", "Алма", language_code="ru")
    first = len(pedagogue.bot_messages)
    await _note_with(pedagogue, lambda: pedagogue.send_photo(PHOTO, caption="Фото"))
    flow = pedagogue.bot_messages[first:]
    assert flow and all(m.protected for m in flow)  # every screen of the dialogue

    from tests.test_incidents_e2e import _drain

    await _drain(kenes)
    notice = await deputy.next_message()
    assert not notice.protected  # the notice names no one: it may be forwarded
    before = len(deputy.bot_messages)
    await tap(deputy, "Открыть №1")
    note_screens = deputy.bot_messages[before:]
    assert [m.protected for m in note_screens] == [True, True]  # the note and its photo
    assert NAME in note_screens[0].text

    # The card from the note's button (an edit of a protected message) and the register.
    await tap(deputy, "🗂 Карточка")
    assert deputy.last_bot_message.protected and NAME in deputy.last_bot_message.text
    before = len(deputy.bot_messages)
    await deputy.command("/students")
    register = await _new(deputy, before)
    assert register.protected
    await deputy.send("7Ә")
    found = await _new(deputy, before + 1)
    assert found.protected and any(NAME in label for label in found.button_labels)

    # A card asked for from an unprotected message comes as a new, protected message.
    before = len(deputy.bot_messages)
    await deputy.tap_data(notice, StudentCb(action=StudentAction.CARD, id=sid).pack())
    await deputy.next_callback_answer()
    card = deputy.bot_messages[before:]
    assert len(card) == 1 and card[0].protected and NAME in card[0].text
    assert deputy.chat.get(notice.message_id) is not None
    assert NAME not in (deputy.chat.get(notice.message_id).text or "")  # type: ignore[union-attr]
    sends = [c for c in kenes.fake.calls_to("sendMessage") if c.get("chat_id") == deputy.id]
    assert sends[-1].get("protect_content") is True


async def test_attachments_survive_backup_wipe_and_restore(
    kenes: Kenes, fakegram: FakeTelegram, db_url: str, clock: ManualClock, tmp_path: Any
) -> None:
    """The school's data, whole: a note with a photo and one with a voice note; an encrypted
    backup; the data folder is lost; restore; a new bot shows the same files."""
    import shutil

    from bot.backup import backup_database, database_path, restore_database
    from bot.config_check import decode_backup_key, new_backup_key

    await _student(kenes)
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    await _note_with(pedagogue, lambda: pedagogue.send_photo(PHOTO, caption="Фото"))
    await _note_with(pedagogue, lambda: pedagogue.send_voice(VOICE), text="Голосовое")
    await kenes.dp.stop_polling()
    await kenes.engine.dispose()  # the bot is stopped, as the README says

    key = decode_backup_key(new_backup_key())
    db_path = database_path(db_url)
    store = AttachmentStore(attachments_folder(kenes.settings))
    backup = backup_database(
        db_path, tmp_path / "backups", now=clock.now(), attachments=store, key=key
    )
    for suffix in ("", "-wal", "-shm"):  # the disk is lost
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    shutil.rmtree(store.root)
    assert not db_path.exists() and not store.root.exists()

    restored = restore_database(backup, db_path, attachments=store, key=key)
    assert restored.files == 2 and restored.encrypted
    assert sorted(sha for sha, _path in store.all()) == sorted([_sha(PHOTO), _sha(VOICE)])

    async with kenes_app(fakegram, db_url, clock, token=NEW_BOT) as moved:
        reader = await _on_the_new_bot(fakegram, pedagogue)
        await _open(moved, reader, 1)
        photo = reader.last_bot_message.photo
        assert photo is not None and photo.content == PHOTO
        await _open(moved, reader, 2)
        voice = reader.last_bot_message.voice
        assert voice is not None and voice.content == VOICE
