"""`python -m bot plan check|schema|convert`: what an admin sees, and the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import DEFAULT_PLAN
from bot.core.plan import plan_json_schema


def test_check_the_seed_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check", str(DEFAULT_PLAN)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "  1.4  «Салауатты өмір салты" in out
    assert "when: '2 апта қазан' -> in the 2nd week of October" in out
    assert "who:  Сарыбаева Г.А." in out
    assert "3.4.4" in out and "Дермуханов Д.Р." in out
    assert out.rstrip().endswith(f"{DEFAULT_PLAN}: OK (32 items, 10 sessions)")


def test_check_defaults_to_the_settings_plan_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("PLAN_PATH", raising=False)
    assert main(["plan", "check", "--quiet"]) == 0
    assert f"{DEFAULT_PLAN}: OK" in capsys.readouterr().out
    other = tmp_path / "other.json"
    other.write_text("[]", encoding="utf-8")
    monkeypatch.setenv("PLAN_PATH", str(other))
    assert main(["plan", "check"]) == 1
    assert str(other) in capsys.readouterr().err


def test_check_a_malformed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"title": "x",\n "people": [,]}', encoding="utf-8")
    assert main(["plan", "check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"{path}: line 2, column 13: bad JSON")
    assert lines[1] == f"{path}: 1 problem"
    assert "Traceback" not in err


def test_check_prints_every_problem_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(DEFAULT_PLAN.read_text(encoding="utf-8"))
    data["sessions"][3]["agenda"][1]["reporters"]["people"] = ["rakhimzhanova-ar", "ghost"]
    data["sections"][0]["items"][5]["ref"] = "1.5"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["plan", "check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "  1.4  «Салауатты" in out  # what was understood is still shown
    assert err.splitlines() == [
        f"{path}: sections[0].items[5].ref: duplicate ref '1.5'"
        " (first at sections[0].items[4].ref)",
        f"{path}: sessions[3].agenda[1].reporters.people[1]: unknown person 'ghost'",
        f"{path}: 2 problems",
    ]


def test_check_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check", str(tmp_path / "nope.json")]) == 1
    err = capsys.readouterr().err
    assert "nope.json: cannot read the file" in err
    assert "Traceback" not in err


def test_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == plan_json_schema()
    target = tmp_path / "schema.json"
    assert main(["plan", "schema", "-o", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == plan_json_schema()


def test_convert_rebuilds_the_seed_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "plan.json"
    assert main(["plan", "convert", "-o", str(target)]) == 0
    assert capsys.readouterr().err == ""
    assert target.read_text(encoding="utf-8") == DEFAULT_PLAN.read_text(encoding="utf-8")
