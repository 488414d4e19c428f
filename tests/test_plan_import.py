"""Issue #13, part 2: a school's own plan comes in from Word (kk, ru, merged cells, extra
columns, 300 items), Excel and the seed's text; the review; versions and rollback.

`python -m bot plan import`, `plan versions`, `plan rollback` and `plan describe` each run as a
process at least once (exit status and the whole output); the other cases run the same code
in-process (`bot.cli.main`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import DEFAULT_PLAN, SEED_DIR
from bot.core.importer import import_tables
from bot.core.importer.compare import compare_plans
from bot.core.overrides import timing_choice
from bot.core.plan import load_plan, parse_plan
from bot.core.timing import AllYear, Monthly, Months
from bot.plan_import.readers import ReadError, read_plan_file
from bot.plan_import.store import PlanStore, plan_path_in_use
from bot.services import plan_overrides
from tests.plan_files import RU_TIMINGS, big_plan, kk_plan, ru_plan
from tests.process import run_bot, run_in_process


def read(name: str, content: bytes, known: object = None):  # type: ignore[no-untyped-def]
    document = read_plan_file(name, content)
    return import_tables(
        document.tables,
        source=name,
        school_year="2026-2027",
        title=document.title,
        known=known,  # type: ignore[arg-type]
    )


def test_kazakh_word_plan_with_merged_section_rows() -> None:
    imported = read("kk.docx", kk_plan())
    plan = parse_plan(imported.data)
    assert imported.items == 7 and imported.sessions == 3
    assert [s.title for s in plan.sections] == ["Ұйымдастыру жұмыстары", "Алдын алу жұмыстары"]
    assert plan.source_year == "2027-2028"  # named in the title
    assert imported.understood == (11, 11) and imported.problems == []
    lectures = plan.item("2.4")
    assert [s.ref for s in lectures.subitems] == ["2.4.1", "2.4.2"]
    assert [s.timing for s in lectures.subitems] == [
        (Months(months=(10,)),),
        (Months(months=(11,)),),
    ]
    session = plan.session(1)
    assert [p.title for p in session.agenda] == ["Бірінші мәселе 1", "Екінші мәселе 1"]
    assert plan.person("eshkeeva-a-t").roles[0].value == "chair"
    social = plan.person("amangeldi-s-m")
    assert social.roles[0].value == "social_pedagogue"


def test_russian_word_plan_columns_in_another_order_and_merged_down() -> None:
    imported = read("ru.docx", ru_plan())
    plan = parse_plan(imported.data)
    assert [p.column_name for p in imported.ignored_columns] == ["Отметка о выполнении"]
    assert imported.items == len(RU_TIMINGS) + 2
    assert plan.item("1.2").timing == (Monthly(),)
    assert plan.item("1.3").timing == (AllYear(),)
    assert plan.item("1.7").timing == (Monthly(by_day=25),)
    # the timing cell merged over the last two rows belongs to both
    assert plan.item("2.23").timing == plan.item("2.24").timing == (Monthly(),)
    ok, total = imported.understood
    assert ok / total >= 0.95
    unread = [p for p in imported.problems if p.code == "timing"]
    assert [(str(p.place), p.text) for p in unread] == [
        ("table 1, row 44, column 4 «Сроки»", "в дни проведения акций"),
        ("table 1, row 45, column 4 «Сроки»", "по окончании мероприятий"),
    ]
    # sessions in a second table, a row per agenda point, the number merged down
    assert [s.number for s in plan.sessions] == [1, 2, 3]
    assert [p.title for p in plan.session(2).agenda] == [
        "Вопрос первый заседания 2",
        "Вопрос второй заседания 2",
    ]
    assert plan.person("akhmetova-g-s").roles[0].value == "chair"
    assert plan.person("petrova-m-k").position == "ЗДВР"
    assert plan.person("seytkali-b-b").external
    assert plan.group("class-teachers").roles[0].value == "class_teacher"


def test_a_plan_of_300_items() -> None:
    imported = read("big.docx", big_plan(300))
    plan = parse_plan(imported.data)
    assert sum(1 for _ in plan.items()) == 300 and len(plan.sections) == 10
    assert imported.understood == (300, 300)


def test_excel_plan_with_merged_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["План работы на 2027-2028 учебный год"])
    sheet.append(["№", "Мероприятие", "Сроки", "Ответственные"])
    sheet.append(["1. Организационная работа"])
    sheet.merge_cells("A3:D3")
    sheet.append(["1.1", "Сверка списков", "сентябрь", "Социальный педагог"])
    sheet.append(["1.2", "Рейды", "ежемесячно", "ЗДВР Петрова М.К."])
    sheet.append(["1.3", "Беседы", None, "Классные руководители"])
    sheet.merge_cells("C5:C6")
    path = tmp_path / "plan.xlsx"
    book.save(path)
    imported = read("plan.xlsx", path.read_bytes())
    plan = parse_plan(imported.data)
    assert [i.ref for i in plan.items()] == ["1.1", "1.2", "1.3"]
    assert plan.item("1.3").timing == (Monthly(),)
    assert plan.group("social-pedagogue").roles[0].value == "social_pedagogue"


def test_the_seed_text_round_trips_to_the_same_plan_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_in_process(
        capsys, "plan", "import", str(SEED_DIR / "source-plan-2023-2024.txt"), "--write",
        "--plans-dir", str(tmp_path),
    )  # fmt: skip
    assert result.code == 0, result.stderr
    (written,) = (tmp_path / "versions").glob("*.json")
    assert written.read_text(encoding="utf-8") == DEFAULT_PLAN.read_text(encoding="utf-8")
    assert "48 / 48 (100%)" in result.stdout  # every timing phrase of the seed is read


def test_seed_text_without_the_mapping_reads_every_timing() -> None:
    text = (SEED_DIR / "source-plan-2023-2024.txt").read_bytes()
    imported = read("plan.txt", text, known=load_plan(DEFAULT_PLAN))
    assert imported.understood == (48, 48)
    plan = parse_plan(imported.data)
    comparison = compare_plans(load_plan(DEFAULT_PLAN), plan)
    assert comparison.removed == []  # every item is the same item
    assert plan.item("1.1").responsible.people == ("amangeldi-sm",)  # known people keep keys


def test_cli_import_review_write_versions_and_rollback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kk = tmp_path / "жоспар.docx"
    kk.write_bytes(kk_plan())
    ru = tmp_path / "план.docx"
    ru.write_bytes(ru_plan())
    plans = str(tmp_path / "plans")
    dry = run_bot("plan", "import", str(ru), "--lang", "ru", "--plans-dir", plans, cwd=tmp_path)
    assert dry.code == 0 and dry.stderr == "", dry.output
    out = dry.stdout
    assert "прочитано пунктов — 44" in out and "заседаний совета — 3" in out
    assert "Сроки поняты: 45 из 47 (96%)" in out
    assert (
        "таблица 1, строка 44, столбец 4 «Сроки» · 2.21: срок не понят: «в дни проведения акций»"
        in out
    )
    assert "Пропущенные столбцы: «Отметка о выполнении»." in out
    assert "срок: «до 25 числа» → ежемесячно, до 25 числа; первые даты:" in out
    assert "Ничего не записано" in out
    assert not (tmp_path / "plans").exists()

    first = run_in_process(capsys, "plan", "import", str(kk), "--write", "--plans-dir", plans)
    assert first.code == 0 and "1-нұсқа" in first.stdout
    second = run_in_process(
        capsys, "plan", "import", str(ru), "--write", "--plans-dir", plans, "--lang", "ru"
    )
    assert "версия 2" in second.stdout
    listed = run_bot("plan", "versions", "--plans-dir", plans, cwd=tmp_path)
    assert listed.code == 0 and listed.stderr == "", listed.output
    assert "жоспар.docx" in listed.stdout and "план.docx" in listed.stdout
    assert listed.stdout.strip().splitlines()[-1].endswith("← in use")
    back = run_bot("plan", "rollback", "1", "--plans-dir", plans, cwd=tmp_path)
    assert back.code == 0 and back.stderr == "" and "saved as version 3" in back.stdout
    store = PlanStore(Path(plans))
    active = store.active()
    assert active is not None
    assert json.loads(active.read_text())["source"] == "жоспар.docx"
    assert plan_path_in_use(DEFAULT_PLAN, DEFAULT_PLAN, Path(plans)) == active
    bad = run_in_process(capsys, "plan", "rollback", "9", "--plans-dir", plans)
    assert bad.code == 1 and "no version 9" in bad.stderr


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("plan.pdf", b"%PDF", "type"),
        ("plan.docx", b"not a zip", "broken"),
        ("plan.xlsx", b"PK\x03\x04broken", "broken"),
    ],
)
def test_files_that_are_no_plan(name: str, content: bytes, code: str) -> None:
    with pytest.raises(ReadError) as error:
        read_plan_file(name, content)
    assert error.value.code == code


def test_cli_bad_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(b"garbage")
    result = run_in_process(capsys, "plan", "import", str(path))
    assert result.code == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_plan_describe_shows_rolled_years_hosts_and_missing_timing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    monkeypatch.setenv("PLANS_DIR", str(tmp_path / "plans"))
    result = run_in_process(capsys, "plan", "describe")
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "No date — set timing: 2.4" in out
    assert "years rolled: 2024-2025 → 2027-2028" in out
    assert "host: Муканова А.Ж. (default host); invites Мақсат Д.К." in out


async def test_plan_describe_shows_what_was_set_in_the_chat(
    tmp_path: Path, db_url: str, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    """#13: a timing (2.4) and a host (3.4.6) set in the chat are stored beside the plan and
    `plan describe`, run as a process, shows them."""
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    async with session_pool() as session:
        await plan_overrides.set_timing(
            session, "2.4", timing_choice("quarterly"), by=None, now=now
        )
        await plan_overrides.set_host(session, "3.4.6", ["amangeldi-sm"], by=None, now=now)
    result = run_bot(
        "plan", "describe", cwd=tmp_path, DATABASE_URL=db_url, PLANS_DIR=str(tmp_path / "plans")
    )
    assert result.code == 0 and result.stderr == "", result.output
    out = result.stdout
    assert "No date — set timing" not in out
    assert "timing set in chat: once a quarter" in out
    assert "host: Амангелді С.М. (set in chat); invites Рсалин Н.А." in out
