"""Unit tests of fakegram's pieces: HTML parser, spec validation, flood control, plugin."""

from __future__ import annotations

import json

import aiohttp
import pytest

from fakegram import FakeTelegram, HtmlParseError, parse_html
from fakegram.faults import RateLimits, TokenBucket
from fakegram.spec import ApiError, UploadedFile, coerce_params, load_spec

pytest_plugins = ["pytester", "fakegram.pytest_plugin"]


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("<b>bold</b> <i>it</i>", "bold it", [("bold", 0, 4), ("italic", 5, 2)]),
        ("<strong>a</strong><em>b</em><ins>c</ins><del>d</del>", "abcd", None),
        ("&lt;tag&gt; &amp; &quot;q&quot; &#1241; &#x4D1;", '<tag> & "q" ә ӑ', []),
        ("&nbsp;&unknown; & alone", "&nbsp;&unknown; & alone", []),
        ("😀<u>x</u>", "😀x", [("underline", 2, 1)]),  # UTF-16 offsets
        ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st", None),
        ("<blockquote expandable>quote</blockquote>", "quote", [("expandable_blockquote", 0, 5)]),
        ('<a href="https://kenes.kz/a?b=1&amp;c=2">link</a>', "link", [("text_link", 0, 4)]),
        ("<b></b>empty", "empty", []),
        ("<B>Upper</B>", "Upper", [("bold", 0, 5)]),
        ("<b>unnamed end</>", "unnamed end", [("bold", 0, 11)]),
    ],
)
def test_parse_html(source: str, text: str, entities: list[tuple[str, int, int]] | None) -> None:
    parsed_text, parsed_entities = parse_html(source)
    assert parsed_text == text
    if entities is not None:
        assert [(e["type"], e["offset"], e["length"]) for e in parsed_entities] == entities


def test_parse_html_pre_code_and_links() -> None:
    _, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    _, entities = parse_html('<a href="https://kenes.kz">k</a>')
    assert entities[0]["url"] == "https://kenes.kz"
    _, entities = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')
    assert entities[0] == {
        "type": "custom_emoji",
        "offset": 0,
        "length": 2,
        "custom_emoji_id": "5368324170671202286",
    }


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("Сәлем <foo>", 'Unsupported start tag "foo" at byte offset 11'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=x y>z</a>", 'Expected equal sign in declaration of an attribute of the tag "a"'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
    ],
)
def test_parse_html_errors(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as raised:
        parse_html(source)
    assert str(raised.value).startswith(error)


def test_coerce_params_form_strings_and_json() -> None:
    spec = load_spec()
    send = spec.methods["sendMessage"]
    params = coerce_params(
        send,
        {
            "chat_id": "-100123",
            "text": "hi",
            "disable_notification": "false",
            "entities": '[{"type": "bold", "offset": 0, "length": 2}]',
            "reply_markup": json.dumps({"keyboard": [["Иә", {"text": "Жоқ"}]]}),
            "unknown_parameter": "ignored",
        },
        {},
    )
    assert params == {
        "chat_id": -100123,
        "text": "hi",
        "disable_notification": False,
        "entities": [{"type": "bold", "offset": 0, "length": 2}],
        "reply_markup": {"keyboard": [[{"text": "Иә"}, {"text": "Жоқ"}]]},
    }
    assert coerce_params(send, {"chat_id": "@channel", "text": 5}, {})["chat_id"] == "@channel"
    assert spec.resolve_method("SENDmessage") is send


@pytest.mark.parametrize(
    ("method", "raw", "error"),
    [
        ("sendMessage", {"chat_id": 1, "text": "x", "protect_content": "maybe"}, "Boolean"),
        (
            "deleteMessage",
            {"chat_id": 1, "message_id": 1.5},
            '"message_id" must be of type Integer',
        ),
        ("getUpdates", {"allowed_updates": "message"}, "can't parse allowed updates JSON"),
        (
            "getUpdates",
            {"allowed_updates": '{"a": 1}'},
            'field "allowed_updates" must be an Array',
        ),
        ("setMyCommands", {"commands": '[{"command": "x"}]'}, 'Can\'t find field "description"'),
        (
            "setMyCommands",
            {"commands": "[]", "scope": '{"type": "chat"}'},
            'Can\'t find field "chat_id"',
        ),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": "[1]"}, "must be"),
    ],
)
def test_coerce_params_errors(method: str, raw: dict[str, object], error: str) -> None:
    spec = load_spec()
    with pytest.raises(ApiError) as raised:
        coerce_params(spec.methods[method], raw, {})
    assert raised.value.code == 400
    assert raised.value.description.startswith("Bad Request: ")
    assert error in raised.value.description


def test_coerce_params_resolves_attach_files() -> None:
    spec = load_spec()
    upload = UploadedFile("abc", "a.txt", b"data")
    params = coerce_params(
        spec.methods["sendDocument"], {"chat_id": "1", "document": "attach://abc"}, {"abc": upload}
    )
    assert params["document"] is upload
    direct = UploadedFile("document", "b.txt", b"x")
    params = coerce_params(spec.methods["sendDocument"], {"chat_id": "1"}, {"document": direct})
    assert params["document"] is direct
    params = coerce_params(spec.methods["sendDocument"], {"chat_id": "1", "document": "ID"}, {})
    assert params["document"] == "ID"


def test_token_bucket_and_rate_limits() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=3.0, clock=lambda: now[0])
    for _ in range(3):
        assert bucket.wait_time() == 0
        bucket.take()
    assert bucket.wait_time() == pytest.approx(1.0)
    now[0] = 0.5
    assert bucket.wait_time() == pytest.approx(0.5)

    limits = RateLimits(clock=lambda: now[0])
    assert limits.check("t", "sendMessage", 1, False) is None  # disabled by default
    limits.configure(enabled=True, per_chat_burst=1)
    assert limits.check("t", "sendMessage", 1, False) is None
    assert limits.check("t", "sendMessage", 1, False) == 1
    assert limits.check("t", "sendMessage", 2, False) is None  # another chat
    assert limits.check("t", "answerCallbackQuery", 1, False) is None  # not a send
    now[0] += 1
    assert limits.check("t", "sendMessage", 1, False) is None


async def test_unimplemented_method_is_a_violation(fakegram: FakeTelegram) -> None:
    user = fakegram.user(started=True)
    url = f"{fakegram.base_url}/bot{fakegram.token}/sendDice"
    with fakegram.expect_violation("not implemented", method="sendDice"):
        async with aiohttp.ClientSession() as http, http.post(url, data={"chat_id": user.id}) as r:
            assert r.status == 501


async def test_reply_keyboard_and_global_transcript(fakegram: FakeTelegram) -> None:
    bot = fakegram.make_bot()
    alice = fakegram.user(first_name="Alice", started=True)
    bob = fakegram.user(first_name="Bob", started=True)
    try:
        from aiogram.types import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

        markup = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="Иә"), KeyboardButton(text="Жоқ")]]
        )
        sent = await bot.send_message(alice.id, "Келесіз бе?", reply_markup=markup)
        assert sent.reply_markup is None  # reply keyboards are not echoed in Message
        assert alice.reply_keyboard == [["Иә", "Жоқ"]]
        answer = await alice.press("Иә")
        assert answer.text == "Иә"
        await bot.send_message(alice.id, "Рахмет", reply_markup=ReplyKeyboardRemove())
        assert alice.reply_keyboard == []
        await bot.send_message(bob.id, "Hi Bob")
    finally:
        await bot.session.close()
    assert fakegram.transcript().splitlines() == [
        "🤖 Bot → Alice: Келесіз бе?",
        "👤 Alice: Иә",
        "🤖 Bot → Alice: Рахмет",
        "🤖 Bot → Bob: Hi Bob",
    ]
    assert [m.text for m in fakegram.sent_messages] == ["Келесіз бе?", "Рахмет", "Hi Bob"]


def test_plugin_fails_teardown_on_unexpected_violations(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makeconftest('pytest_plugins = ["fakegram.pytest_plugin"]\n')
    pytester.makepyfile(
        """
        import pytest
        from aiogram.exceptions import TelegramBadRequest

        async def test_sloppy(fakegram, fakegram_bot):
            user = fakegram.user(first_name="Alice", started=True)
            with pytest.raises(TelegramBadRequest):
                await fakegram_bot.send_message(user.id, "<foo>", parse_mode="HTML")

        @pytest.mark.fakegram_allow("can't parse entities")
        async def test_declared(fakegram, fakegram_bot):
            user = fakegram.user(started=True)
            with pytest.raises(TelegramBadRequest):
                await fakegram_bot.send_message(user.id, "<foo>", parse_mode="HTML")

        @pytest.mark.fakegram(rate_limits="strict", bot_username="other_bot")
        async def test_marker_options(fakegram, fakegram_bot):
            assert fakegram.rate_limits.enabled and fakegram.rate_limits.strict
            assert (await fakegram_bot.get_me()).username == "other_bot"
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*fakegram: 1 unexpected Bot API violation(s):*",
            "*1. sendMessage -> 400 Bad Request: can't parse entities: "
            'Unsupported start tag "foo" at byte offset 0*',
            "*Transcript:*",
        ]
    )


async def test_group_permissions(fakegram: FakeTelegram) -> None:
    from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

    bot = fakegram.make_bot()
    alice = fakegram.user(first_name="Alice")
    group = fakegram.group("Council", members=[alice], type="group")
    try:
        said = await group.send(alice, "hello all")
        with (
            fakegram.expect_violation("message can't be deleted"),
            pytest.raises(TelegramBadRequest),
        ):
            await bot.delete_message(group.id, said.message_id)
        group.bot_is_admin = True
        assert await bot.delete_message(group.id, said.message_id)
        assert group.inbox == []
        group.kick_bot()
        with pytest.raises(TelegramForbiddenError, match="bot was kicked from the group chat"):
            await bot.send_message(group.id, "anyone?")
    finally:
        await bot.session.close()
    await group.no_message(timeout=0)
    assert "[Council] 👤 Alice: hello all" in fakegram.transcript()
