"""`python -m bot demo`: the scripted school day plays through, in-process, against the strict
fake Telegram, and says plainly which features are not built yet."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.demo import SCENES, Demo, play_demo


async def test_the_school_day_plays_in_kazakh() -> None:
    result = await play_demo("kk")
    assert [s.title for s in result.scenes] == [title for title, _ in SCENES]
    assert result.failed == [], result.render()
    assert result.violations == [], result.render()
    invite = result.scene("invites the social pedagogue")
    assert invite.status == "played"
    assert "start=i_" in invite.transcript
    assert "Қош келдіңіз, Амангелді С.М.!" in invite.transcript
    joins = result.scene("join by links")
    for name in ("Рахимжанова А.Р.", "Сейткалиева Б.Қ.", "Ешкеева А.Т."):
        assert f"Қош келдіңіз, {name}!" in joins.transcript
    assert "7Ә" in joins.transcript
    # Every feature of the day is built now: every scene plays.
    assert [s.status for s in result.scenes] == ["played"] * len(SCENES), result.render()
    reminders = result.scene("reminders go out")
    assert "🔔" in reminders.transcript and "[✅ Орындалды]" in reminders.transcript
    assert "кешігіп" not in reminders.transcript  # on time, not "late"
    done = result.scene("taps Done")
    assert "tapped [✅ Орындалды]" in done.transcript and "✏️ Bot edited" in done.transcript
    note = result.scene("incident note")
    assert "№1 жазба сақталды" in note.transcript
    notice = "🤖 Bot → Айгүл: 🔔 Жаңа жазба №1 · сабаққа келмеу · 7Ә"
    assert notice in note.transcript and "Сапаров" not in note.transcript.split(notice)[1]
    status = result.scene("/status")
    assert "Жоспардың орындалуы" in status.transcript
    assert "Отырыстар: 0/10 өтті" in status.transcript
    rendered = result.render()
    assert "Fake Telegram saw no violations." in rendered
    assert rendered.index("━━ 07:30") < rendered.index("━━ 07:40") < rendered.index("━━ 14:00")


def test_cli_demo_in_russian(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--lang", "ru"]) == 0
    out = capsys.readouterr().out
    assert "language ru" in out
    assert "Добро пожаловать, Сейткалиева Б.Қ.!" in out and "Ваш класс: 7Ә." in out
    assert "Fake Telegram saw no violations." in out


async def test_a_missing_or_broken_scene_does_not_stop_the_day() -> None:
    async def not_built(demo: Demo) -> None:
        await demo.try_command(demo.user("x", "Ноунейм", id=4242), "/no_such_feature", "xyz")

    async def broken(demo: Demo) -> None:
        raise LookupError("no such button")

    async def still_runs(demo: Demo) -> None:
        await demo.join("psychologist", "rakhimzhanova-ar", "Айгүл")

    result = await play_demo(
        "kk", [("not built", not_built), ("broken", broken), ("still runs", still_runs)]
    )
    statuses = [(s.title, s.status) for s in result.scenes]
    assert statuses == [
        ("not built", "not built"),
        ("broken", "failed"),
        ("still runs", "played"),
    ]
    assert result.scenes[0].note == "xyz: not yet built"
    assert "LookupError: no such button" in result.scenes[1].note
    assert "Қош келдіңіз" in result.scenes[2].transcript
