"""`python -m bot export ...`: exit code, the path it prints, the file it wrote (read back), one
clear line on bad input, no traceback, no child's name. The register (with its warning on
stderr) runs as a real process; the other kinds run the same code in-process (`bot.cli.main`):
a process start costs seconds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.config import PROJECT_ROOT
from bot.documents.sample import SampleYear
from tests.process import Finished, run_bot, run_in_process
from tests.sample_db import copy_database, write_sample_year


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleYear]:
    return write_sample_year(tmp_path_factory.mktemp("cli-year"))


@pytest.fixture
def env(
    seeded: tuple[Path, SampleYear], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The sample year's database in this test's folder; the settings, set in this process
    too (for `bot.cli.main`), which runs in that folder."""
    (tmp_path / "data").mkdir()
    copy_database(seeded[0], tmp_path / "data" / "kenes.db")
    settings = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'kenes.db'}",
        "CALENDAR_PATH": str(PROJECT_ROOT / "seed" / "calendar" / "2026-2027.json"),
        "PLAN_PATH": str(PROJECT_ROOT / "seed" / "plan.json"),
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TEMPLATES_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    return settings


def _docx(path: Path) -> str:
    doc = Document(str(path))
    return "\n".join(
        [p.text for p in doc.paragraphs]
        + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )


def _clean(result: Finished, seeded: tuple[Path, SampleYear]) -> None:
    assert "Traceback" not in result.output
    for _, name, _ in seeded[1].students:
        assert name.split()[0] not in result.output


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (("minutes", "--session", "4", "--lang", "kk"), "minutes-4-2026-11-26-kk.docx"),
        (("analysis", "--half", "1", "--lang", "ru"), "analysis-h1-2026-2027-ru.docx"),
        (
            ("analysis", "--year", "--format", "xlsx", "--lang", "kk"),
            "analysis-year-2026-2027-kk.xlsx",
        ),
        (("plan", "--lang", "kk"), "plan-2026-2027-kk.docx"),
    ],
)
def test_export_council_documents(
    env: dict[str, str], tmp_path: Path, seeded: tuple[Path, SampleYear], args: tuple[str, ...],
    kind: str, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    result = run_in_process(capsys, "export", *args)
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    path = Path(result.stdout.strip())
    assert path == tmp_path / "data" / "documents" / kind
    _clean(result, seeded)
    if kind.endswith(".xlsx"):
        assert len(load_workbook(io.BytesIO(path.read_bytes())).worksheets) == 5
    elif kind.startswith("minutes"):
        assert "ХАТТАМА № 4" in _docx(path)
    elif kind.startswith("analysis"):
        assert "АНАЛИЗ РАБОТЫ ЗА I ПОЛУГОДИЕ" in _docx(path)
    else:
        assert "БЕКІТЕМІН" in _docx(path)


def test_export_register_and_case_file_say_they_are_private(
    env: dict[str, str], tmp_path: Path, seeded: tuple[Path, SampleYear],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    out = tmp_path / "out" / "register.docx"
    result = run_bot(
        "export", "register", "--filter", "year", "--format", "docx", "-o", str(out),
        cwd=tmp_path, **env,
    )  # fmt: skip
    assert result.code == 0 and result.stdout.strip() == str(out), result.output
    (warning,) = result.stderr.splitlines()  # one line, and only the warning
    assert "children's names" in warning
    _clean(result, seeded)
    text = _docx(out)
    assert all(name in text for _, name, _ in seeded[1].students[:3])
    sid = seeded[1].students[0][0]
    result = run_in_process(capsys, "export", "student", str(sid), "--lang", "ru")
    assert result.code == 0, result.stderr
    _clean(result, seeded)
    assert "ЛИЧНОЕ ДЕЛО УЧАЩЕГОСЯ" in _docx(Path(result.stdout.strip()))


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("minutes", "--session", "9"), "session 9 of 2026-2027 is not recorded yet"),
        (("student", "9999"), "no student with number 9999"),
    ],
)
def test_export_bad_input_is_one_line(
    env: dict[str, str], args: tuple[str, ...], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_in_process(capsys, "export", *args)
    assert result.code == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(line)


def test_export_with_a_broken_school_template(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    folder = tmp_path / "templates" / "kk"
    folder.mkdir(parents=True)
    (folder / "plan.docx").write_bytes(b"broken")
    monkeypatch.setenv("TEMPLATES_DIR", str(tmp_path / "templates"))
    result = run_in_process(capsys, "export", "plan", "--lang", "kk")
    assert result.code == 1
    err = result.stderr
    assert err.startswith("template kk/plan.docx: not a Word .docx file")
    assert len(err.strip().splitlines()) == 1
