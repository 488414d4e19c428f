"""End-to-end tests of fakegram with a real aiogram Bot + Dispatcher and real long polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from fakegram import FakeTelegram

# Until tests/conftest.py registers the plugin; markers need the conftest registration.
pytest_plugins = ["fakegram.pytest_plugin"]


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=label.lower()) for label in labels]
        ]
    )


def make_dispatcher(seen: list[str] | None = None) -> Dispatcher:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        assert message.from_user is not None
        suffix = f" ({command.args})" if command.args else ""
        await message.answer(
            f"Сәлем, <b>{message.from_user.first_name}</b>!{suffix}",
            parse_mode="HTML",
            reply_markup=keyboard("Done", "Snooze"),
        )

    @router.callback_query(F.data == "done")
    async def done(callback: CallbackQuery) -> None:
        await callback.answer("Saved")
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("Done ✅")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        if seen is not None:
            seen.append(message.text or "")
        await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


@pytest.fixture
async def bot(fakegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fakegram.make_bot()
    try:
        yield bot
    finally:
        await bot.session.close()


async def test_echo_bot_answers_a_user(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice")
    async with fakegram.polling(make_dispatcher(), bot):
        await alice.send("hello")
        reply = await alice.next_message(timeout=5)
    assert reply.text == "hello"
    assert [m.text for m in alice.inbox] == ["hello", "hello"]
    assert alice.transcript() == "👤 Alice: hello\n🤖 Bot: hello"
    assert fakegram.violations == []


async def test_start_button_tap_round_trip(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice", language_code="kk")
    async with fakegram.polling(make_dispatcher(), bot):
        await alice.command("/start", "invite-42")
        welcome = await alice.next_message()
        assert welcome.text == "Сәлем, Alice! (invite-42)"
        assert welcome.entities == [{"type": "bold", "offset": 7, "length": 5}]
        assert welcome.buttons == [["Done", "Snooze"]]

        await alice.tap("Done")
        answer = await alice.next_callback_answer()
        await fakegram.wait_until(lambda: welcome.edited)

    assert answer.text == "Saved"
    assert alice.callback_answers == [answer]
    assert welcome.text == "Done ✅"
    assert welcome.buttons == []  # editMessageText without reply_markup drops the keyboard
    assert alice.inbox[-1] is welcome
    start_update = alice.inbox[0]
    assert start_update.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    transcript = alice.transcript()
    assert "👤 Alice: /start invite-42" in transcript
    assert "🤖 Bot: Сәлем, Alice! (invite-42)\n    [Done] [Snooze]" in transcript
    assert "👆 Alice tapped [Done]" in transcript
    assert "💬 Bot answered the tap (toast): Saved" in transcript
    assert f"✏️ Bot edited #{welcome.message_id}: Done ✅" in transcript


async def test_group_privacy_mode(fakegram: FakeTelegram, bot: Bot) -> None:
    alice, bob = fakegram.user(first_name="Alice"), fakegram.user(first_name="Bob")
    group = fakegram.group("9A parents", members=[alice, bob])
    async with fakegram.polling(make_dispatcher(), bot):
        await group.send(bob, "just chatting")  # privacy mode: not delivered to the bot
        await group.command(alice, "start", mention=True)
        welcome = await group.next_message()
    assert welcome.text == "Сәлем, Alice!"
    delivered = [
        update["message"]["text"]
        for call in fakegram.calls
        if call.method == "getUpdates" and call.ok
        for update in call.result
    ]
    assert delivered == ["/start@kenes_test_bot"]
    assert "[9A parents] 👤 Bob: just chatting" in fakegram.transcript()
    # A group message never "starts" the private chat.
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(bob.id, "hi")


async def test_bad_requests_surface_with_telegram_texts(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice", started=True)

    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice.id, "")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice.id, "  \n ")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    sent = await bot.send_message(alice.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert len(sent.text or "") == 4096
    with pytest.raises(TelegramBadRequest) as html_error:
        await bot.send_message(alice.id, "Сәлем <foo>", parse_mode="HTML")
    assert html_error.value.message == (
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 11'
    )
    with pytest.raises(TelegramBadRequest, match="Can't find end tag corresponding"):
        await bot.send_message(alice.id, "<b>bold", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            alice.id,
            "pick",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="й" * 33)]]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hi")

    message = await bot.send_message(alice.id, "v1", reply_markup=keyboard("Done"))
    with pytest.raises(TelegramBadRequest) as same:
        await bot.edit_message_text(
            "v1", chat_id=alice.id, message_id=message.message_id, reply_markup=keyboard("Done")
        )
    assert same.value.message == (
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message"
    )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("v2", chat_id=alice.id, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, 999)
    assert await bot.delete_message(alice.id, message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, message.message_id)

    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("123")
    await alice.tap_data(sent.message_id, "forged")
    query_id = alice.taps[-1].id
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="ok")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id, text="again")

    assert len(fakegram.violations) == 14
    assert all(v.status == 400 for v in fakegram.violations)
    fakegram.allow("Bad Request")  # all of the above were provoked on purpose


async def test_raw_http_validation(fakegram: FakeTelegram) -> None:
    alice = fakegram.user(first_name="Alice", started=True)
    base = f"{fakegram.base_url}/bot{fakegram.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendNonsense", data={"x": "1"}) as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{fakegram.base_url}/bot999:nope/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized"
        # Method names are case-insensitive; JSON bodies are accepted.
        async with http.post(f"{base}/SENDMESSAGE", json={"chat_id": alice.id, "text": "hi"}) as r:
            body = await r.json()
            assert body["ok"] is True
            assert body["result"]["text"] == "hi"
        async with http.post(
            f"{base}/deleteMessage", json={"chat_id": alice.id, "message_id": "abc"}
        ) as resp:
            assert resp.status == 400
            assert (await resp.json())["description"] == (
                'Bad Request: field "message_id" must be of type Integer'
            )
        async with http.post(f"{base}/deleteMessage", data={"chat_id": str(alice.id)}) as resp:
            assert (await resp.json())["description"] == (
                "Bad Request: message identifier is not specified"
            )
        async with http.post(f"{base}/sendMessage", data={"text": "hi"}) as resp:
            assert (await resp.json())["description"] == "Bad Request: chat_id is empty"
        async with http.post(
            f"{base}/sendMessage",
            data={"chat_id": str(alice.id), "text": "hi", "reply_markup": "{not json"},
        ) as resp:
            assert (await resp.json())["description"] == (
                "Bad Request: can't parse reply keyboard markup JSON object"
            )
        async with http.post(
            f"{base}/sendMessage",
            data={
                "chat_id": str(alice.id),
                "text": "hi",
                "reply_markup": '{"inline_keyboard": [[{"text": "plain"}]]}',
            },
        ) as resp:
            assert (await resp.json())["description"] == (
                "Bad Request: can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard"
            )
    assert [v.status for v in fakegram.violations] == [404, 401, 400, 400, 400, 400, 400]
    assert [c.method for c in fakegram.calls][:2] == ["sendNonsense", "sendMessage"]
    fakegram.allow("Bad Request")
    fakegram.allow("Not Found")
    fakegram.allow("Unauthorized")


async def test_unknown_token_is_unauthorized(fakegram: FakeTelegram) -> None:
    stranger = fakegram.make_bot("999999:UNKNOWN")
    try:
        with (
            fakegram.expect_violation("Unauthorized"),
            pytest.raises(TelegramUnauthorizedError),
        ):
            await stranger.get_me()
    finally:
        await stranger.session.close()


async def test_forbidden_users(fakegram: FakeTelegram, bot: Bot) -> None:
    never_started = fakegram.user(first_name="Quiet")
    with pytest.raises(TelegramForbiddenError) as not_started:
        await bot.send_message(never_started.id, "hi")
    assert not_started.value.message == "Forbidden: bot can't initiate conversation with a user"

    alice = fakegram.user(first_name="Alice", started=True)
    await bot.send_message(alice.id, "hi")
    alice.block()
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice.id, "are you there?")
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_chat_action(alice.id, "typing")
    await alice.send("/start")  # pressing "Restart" unblocks
    await bot.send_message(alice.id, "welcome back")
    assert fakegram.violations == []  # 403s are not the bot's fault
    assert "⛔ Alice blocked the bot" in alice.transcript()
    kinds = [next(k for k in u if k != "update_id") for u in fakegram.default_bot.updates]
    assert kinds == ["my_chat_member", "my_chat_member", "message"]


async def test_two_pollers_conflict(fakegram: FakeTelegram) -> None:
    first, second = fakegram.make_bot(), fakegram.make_bot()
    try:
        waiting = asyncio.create_task(first.get_updates(timeout=10))
        await fakegram.wait_until(lambda: fakegram.default_bot.poller is not None)
        with fakegram.expect_violation("Conflict: terminated by other getUpdates request"):
            assert await second.get_updates(timeout=0) == []
            with pytest.raises(TelegramConflictError) as conflict:
                await waiting
    finally:
        await first.session.close()
        await second.session.close()
    assert conflict.value.message == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )


async def test_long_polling_and_offset_confirmation(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice")
    state = fakegram.default_bot
    waiting = asyncio.create_task(bot.get_updates(timeout=30))
    await fakegram.wait_until(lambda: state.poller is not None)
    await alice.send("one")
    first_batch = await asyncio.wait_for(waiting, 2)  # woken by the update, not the timeout
    assert [u.message.text for u in first_batch if u.message] == ["one"]
    await alice.send("two")
    await alice.send("three")
    assert len(await bot.get_updates()) == 3  # nothing confirmed yet
    ids = [u.update_id for u in await bot.get_updates(offset=first_batch[0].update_id + 1)]
    assert len(ids) == 2
    assert [u.update_id for u in await bot.get_updates()] == ids  # "one" is gone forever
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[:1]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[1:]


async def test_restarted_poller_does_not_get_old_updates(fakegram: FakeTelegram, bot: Bot) -> None:
    seen: list[str] = []
    alice = fakegram.user(first_name="Alice")
    state = fakegram.default_bot
    async with fakegram.polling(make_dispatcher(seen), bot):
        await alice.send("one")
        await alice.next_message()
        # aiogram confirms by calling getUpdates with offset = last update_id + 1
        await fakegram.wait_until(lambda: state.confirmed_update_id >= state.next_update_id - 1)
    restarted = fakegram.make_bot()
    try:
        async with fakegram.polling(make_dispatcher(seen), restarted):
            await alice.send("two")
            await alice.next_message()
    finally:
        await restarted.session.close()
    assert seen == ["one", "two"]


async def test_send_document_keeps_bytes(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice", started=True)
    content = "аты,баға\nАлия,5\n".encode()
    sent = await bot.send_document(
        alice.id,
        BufferedInputFile(content, filename="grades.csv"),
        caption="<i>Бағалар</i>",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert sent.document.file_name == "grades.csv"
    assert sent.document.mime_type == "text/csv"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Бағалар"
    message = alice.inbox[-1]
    assert message.document_bytes == content
    assert fakegram.files[sent.document.file_id].content == content
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == content
    again = await bot.send_document(alice.id, sent.document.file_id)  # resend by file_id
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id
    assert "📎 grades.csv, " in alice.transcript()


async def test_photo_and_voice_from_a_user_reach_the_bot_and_download(
    fakegram: FakeTelegram, bot: Bot
) -> None:
    """Per the spec: a photo arrives as sizes (PhotoSize), a voice note as Voice; getFile and
    the file URL give the bytes back; the bot resends them with sendPhoto / sendVoice."""
    got: list[Message] = []
    router = Router()

    @router.message(F.photo | F.voice)
    async def media(message: Message) -> None:
        got.append(message)

    dp = Dispatcher()
    dp.include_router(router)
    alice = fakegram.user(first_name="Alice")
    async with fakegram.polling(dp, bot):
        await alice.send_photo(b"\xff\xd8jpeg", caption="доска", width=800, height=600)
        await alice.send_voice(b"OggS-voice", duration=7)
        await fakegram.wait_until(lambda: len(got) == 2)
    photo, voice = got
    assert photo.photo is not None and photo.caption == "доска"
    size = photo.photo[-1]
    assert (size.width, size.height, size.file_size) == (800, 600, 6)
    assert voice.voice is not None and voice.voice.duration == 7
    assert voice.voice.mime_type == "audio/ogg"
    for file_id, content in (
        (size.file_id, b"\xff\xd8jpeg"),
        (voice.voice.file_id, b"OggS-voice"),
    ):
        file = await bot.get_file(file_id)
        assert file.file_path is not None
        downloaded = await bot.download_file(file.file_path)
        assert downloaded is not None and downloaded.read() == content
    again = await bot.send_photo(alice.id, size.file_id, protect_content=True)
    assert again.photo is not None and again.has_protected_content
    assert alice.last_bot_message.protected and alice.last_bot_message.photo is not None
    sent = await bot.send_voice(alice.id, BufferedInputFile(b"OggS-2", filename="v.oga"))
    assert sent.voice is not None and not sent.has_protected_content
    with pytest.raises(TelegramBadRequest, match="can't use file of type Voice as Photo"):
        await bot.send_photo(alice.id, voice.voice.file_id)
    assert "🖼 photo, 6 bytes" in alice.transcript() and "🎤 voice" in alice.transcript()
    fakegram.allow("can't use file of type")


async def test_a_file_id_belongs_to_one_bot(fakegram: FakeTelegram, bot: Bot) -> None:
    """Telegram: file_unique_id is "the same ... for different bots"; a file_id is not: another
    bot (a new token for a new bot, say) can neither download nor resend it."""
    alice = fakegram.user(first_name="Alice", started=True)
    sent = await bot.send_document(alice.id, BufferedInputFile(b"data", filename="a.txt"))
    assert sent.document is not None
    fakegram.add_bot("424242:OTHER-bot-token", username="other_bot")
    other = fakegram.make_bot("424242:OTHER-bot-token")
    try:
        with pytest.raises(TelegramBadRequest, match="wrong file_id"):
            await other.get_file(sent.document.file_id)
        reader = fakegram.user(first_name="Alice", started=True, bot="424242:OTHER-bot-token")
        with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
            await other.send_document(reader.id, sent.document.file_id)
    finally:
        await other.session.close()
    fakegram.allow("wrong file")


async def test_protect_content_is_kept_on_the_message(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice", started=True)
    await bot.send_message(alice.id, "protected", protect_content=True)
    await bot.send_message(alice.id, "plain")
    protected, plain = alice.bot_messages
    assert protected.protected and protected.to_json()["has_protected_content"] is True
    assert not plain.protected and "has_protected_content" not in plain.to_json()


async def test_rate_limits_with_injected_clock(fakegram: FakeTelegram, bot: Bot) -> None:
    now = [1000.0]
    fakegram.rate_limits.configure(enabled=True, clock=lambda: now[0])
    alice = fakegram.user(first_name="Alice", started=True)
    for i in range(3):  # a short burst is fine
        await bot.send_message(alice.id, f"burst {i}")
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(alice.id, "one too many")
    assert flood.value.retry_after == 1
    assert "Original description: Too Many Requests: retry after 1" in flood.value.message
    now[0] += 1.0
    await bot.send_message(alice.id, "after waiting")
    assert fakegram.violations == []  # not strict: a 429 is an answer, not a violation

    # 30 messages per second overall
    users = [fakegram.user(started=True) for _ in range(30)]
    now[0] += 60
    for user in users:
        await bot.send_message(user.id, "broadcast")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(alice.id, "31st within a second")


async def test_strict_rate_limits_record_violations(fakegram: FakeTelegram, bot: Bot) -> None:
    fakegram.rate_limits.configure(enabled=True, strict=True, clock=lambda: 0.0)
    group = fakegram.group("Teachers", members=[fakegram.user()])
    for _ in range(20):  # 20 messages per minute in a group
        await bot.send_message(group.id, "notice")
    with (
        fakegram.expect_violation("Too Many Requests: retry after", count=1),
        pytest.raises(TelegramRetryAfter) as flood,
    ):
        await bot.send_message(group.id, "one more")
    assert flood.value.retry_after == 3


async def test_injected_faults(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice", started=True)
    fakegram.faults.fail_next(1, status=502, description="Bad Gateway")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(alice.id, "lost")
    await bot.send_message(alice.id, "ok")

    fakegram.faults.drop_next(1, methods={"sendMessage"})
    with pytest.raises(TelegramNetworkError, match="Server disconnected"):
        await bot.send_message(alice.id, "dropped before")
    fakegram.faults.drop_next(1, methods={"sendMessage"}, after=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice.id, "delivered, response lost")
    assert [m.text for m in alice.inbox] == ["ok", "delivered, response lost"]

    # Only the call whose parameters `when` accepts: the other message goes through first.
    fakegram.faults.fail_next(
        1, status=500, methods={"sendMessage"}, when=lambda p: "secret" in str(p.get("text"))
    )
    await bot.send_message(alice.id, "a reminder")
    with pytest.raises(TelegramServerError):
        await bot.send_message(alice.id, "the secret card")
    await bot.send_message(alice.id, "the secret card")
    assert [m.text for m in alice.inbox][-2:] == ["a reminder", "the secret card"]

    def outcomes(seed: int) -> list[bool]:
        fakegram.faults.clear()
        fakegram.faults.fail_randomly(0.5, seed=seed, status=500, description="Internal")
        return [fakegram.faults.pick("sendMessage") is None for _ in range(20)]

    assert outcomes(7) == outcomes(7)
    assert outcomes(7) != outcomes(8)
    fakegram.faults.clear()
    assert fakegram.violations == []  # infrastructure faults are not the bot's fault


async def test_service_methods(fakegram: FakeTelegram, bot: Bot) -> None:
    alice = fakegram.user(first_name="Alice", username="alice", started=True)
    me = await bot.get_me()
    assert (me.username, me.is_bot, me.can_read_all_group_messages) == (
        "kenes_test_bot",
        True,
        False,
    )
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.set_my_commands(
        [BotCommand(command="start", description="Бастау")], language_code="kk"
    )
    assert [c.command for c in await bot.get_my_commands(language_code="kk")] == ["start"]
    assert await bot.get_my_commands() == []
    with fakegram.expect_violation("BOT_COMMAND_INVALID"), pytest.raises(TelegramBadRequest):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    assert await bot.set_my_description("Мектеп кеңесі")
    assert (await bot.get_my_description()).description == "Мектеп кеңесі"
    assert await bot.set_my_short_description("Kenes")
    assert (await bot.get_my_short_description()).short_description == "Kenes"
    assert await bot.send_chat_action(alice.id, "typing")
    assert fakegram.chat_actions == [(alice.id, "typing")]
    chat = await bot.get_chat(alice.id)
    assert (chat.id, chat.type, chat.username) == (alice.id, "private", "alice")
    message = await bot.send_message(alice.id, "menu", reply_markup=keyboard("A", "B"))
    edited = await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=message.message_id, reply_markup=keyboard("C")
    )
    assert isinstance(edited, Message)
    assert alice.last_bot_message is not None
    assert alice.last_bot_message.buttons == [["C"]]
    assert fakegram.calls_to("editMessageReplyMarkup")[0]["message_id"] == message.message_id
    method, params = fakegram.calls[-1]
    assert method == "editMessageReplyMarkup"
    assert params["reply_markup"] == {"inline_keyboard": [[{"text": "C", "callback_data": "c"}]]}
