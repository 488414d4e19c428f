"""The council's papers read back: every produced file is opened with python-docx / openpyxl
and its content compared with what the sample year made (`SampleYear` counts as it writes,
not through the query layer). Templates a school changes are filled; broken ones give one line.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.documents import DocOptions, TemplateProblem, produce
from bot.documents.data import RegisterFilter
from bot.documents.labels import CATEGORIES, MONTHS
from bot.documents.render import BUILTIN_TEMPLATES
from bot.documents.sample import SampleYear
from db.engine import create_engine, create_session_pool
from db.models import AuditLog
from tests.conftest import TZ
from tests.harness import seed_calendar, seed_plan
from tests.sample_db import copy_database, write_sample_year

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=TZ)
OPTS = DocOptions(school="№1 мектеп")


@dataclass
class Year:
    pool: async_sessionmaker[AsyncSession]
    tally: SampleYear


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleYear]:
    """The sample year, written once per module; each test gets its own copy of the file."""
    return write_sample_year(tmp_path_factory.mktemp("year"))


@pytest.fixture
async def year(seeded: tuple[Path, SampleYear], tmp_path: Path) -> AsyncIterator[Year]:
    source, tally = seeded
    copy_database(source, tmp_path / "copy.db")
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}")
    try:
        yield Year(create_session_pool(engine), tally)
    finally:
        await engine.dispose()


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(dict.fromkeys(c.text for c in row.cells)))
    return "\n".join(parts)


def table_rows(content: bytes, header: str) -> list[list[str]]:
    """The rows of the first table whose header row starts with `header`."""
    doc = Document(io.BytesIO(content))
    for table in doc.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows and rows[0][0] == header:
            return rows[1:]
    raise AssertionError(f"no table headed {header!r}")


def page_setup(content: bytes) -> tuple[float, float, str, float]:
    doc = Document(io.BytesIO(content))
    section = doc.sections[0]
    style = doc.styles["Normal"]
    return (
        round(section.page_width.cm, 1),
        round(section.page_height.cm, 1),
        style.font.name,
        style.font.size.pt,
    )


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_minutes(year: Year, lang: str) -> None:
    async with year.pool() as session:
        made = await produce.minutes(session, seed_plan(), seed_calendar(), NOW, lang, OPTS, 4)
    assert page_setup(made.content) == (21.0, 29.7, "Times New Roman", 14.0)
    text = docx_text(made.content)
    heads = (
        ("ХАТТАМА № 4", "ТЫҢДАЛДЫ:", "ҚАУЛЫ ЕТТІ:", "КҮН ТӘРТІБІ:", "Кеңес төрағасы", "Хатшы")
        if lang == "kk"
        else ("ПРОТОКОЛ № 4", "СЛУШАЛИ:", "ПОСТАНОВИЛИ:", "ПОВЕСТКА ДНЯ:", "Председатель совета",
              "Секретарь")
    )  # fmt: skip
    for head in heads:
        assert head in text, head
    assert "№1 мектеп" in text and "26.11.2026" in text
    # The agenda in the paper's language, whatever language it was recorded in.
    point = (
        "Работа с родителями учащихся, нарушающих требования к внешнему виду"
        if lang == "ru"
        else "Мектептің сыртқы келбетіне қойылатын талаптарын бұзған"
    )
    assert point in text
    for name in year.tally.present_4:
        assert name in text
    absent_line = next(
        line for line in text.splitlines() if line.startswith(("Қатыспағандар", "Отсутствовали"))
    )
    assert absent_line.split(": ", 1)[1] == ", ".join(year.tally.absent_4)
    assert "Жұмабаев Е.С. — ювеналдық полиция инспекторы" in text
    for decision, owner, due in year.tally.decisions[2:]:  # session 4's
        line = next(line for line in text.splitlines() if decision in line)
        owner_shown = (
            owner if owner != "сынып жетекшілері" or lang == "kk" else "классные руководители"
        )
        assert owner_shown in line and due in line, line
    # Counts only, no child's name, unless the closed appendix is asked for.
    assert "1 оқушы" in text or "учащихся — 1" in text
    for _, name, _ in year.tally.students:
        assert name not in text
    assert not made.sensitive
    async with year.pool() as session:
        closed = await produce.minutes(
            session, seed_plan(), seed_calendar(), NOW, lang, OPTS, 4, with_appendix=True
        )
    assert closed.sensitive
    assert year.tally.students[0][1] in docx_text(closed.content)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_register_xlsx_and_docx(year: Year, lang: str) -> None:
    tally = year.tally
    names = {sid: name for sid, name, _ in tally.students}
    async with year.pool() as session:
        current = await produce.register(
            session, seed_plan(), seed_calendar(), NOW, lang, OPTS, RegisterFilter.CURRENT
        )
        whole = await produce.register(
            session, seed_plan(), seed_calendar(), NOW, lang, OPTS, RegisterFilter.YEAR, "docx"
        )
        removed = await produce.register(
            session, seed_plan(), seed_calendar(), NOW, lang, OPTS, RegisterFilter.REMOVED
        )
    assert current.sensitive and current.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(current.content)).active
    rows = [r for r in sheet.iter_rows(min_row=6, values_only=True) if isinstance(r[0], int)]
    assert sorted(r[1] for r in rows) == sorted(names[sid] for sid in tally.registered)
    assert sheet.auto_filter.ref is not None and sheet.freeze_panes == "C6"
    header = [c.value for c in sheet[5]]
    assert header[1] == ("Аты-жөні" if lang == "kk" else "ФИО")
    first = next(r for r in rows if r[1] == names[tally.students[0][0]])
    kind = "Мектепішілік есеп" if lang == "kk" else "Внутришкольный учёт"
    assert first[4] == kind and first[5] == "10.09.2026" and first[7] == "Амангелді С.М."
    assert "Сабақтан жүйелі" in first[6]
    whole_rows = table_rows(whole.content, "№")
    assert len(whole_rows) == len(tally.registered) + len(tally.removed)
    gone = next(r for r in whole_rows if r[1] == names[tally.removed[0]])
    assert gone[9].startswith("26.11.2026") and "4" in gone[9]
    sheet = load_workbook(io.BytesIO(removed.content)).active
    rows = [r for r in sheet.iter_rows(min_row=6, values_only=True) if isinstance(r[0], int)]
    assert [r[1] for r in rows] == [names[sid] for sid in tally.removed]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_analysis_figures_equal_the_years_own_counts(year: Year, lang: str) -> None:
    tally = year.tally
    async with year.pool() as session:
        doc = await produce.analysis(
            session, seed_plan(), seed_calendar(), NOW, lang, OPTS, half=True
        )
        book = await produce.analysis(
            session, seed_plan(), seed_calendar(), NOW, lang, OPTS, half=True, fmt="xlsx"
        )
    text = docx_text(doc.content)
    assert not doc.sensitive and not book.sensitive
    for _, name, _ in tally.students:
        assert name not in text
    # Notes by category, month and class: the docx tables and the xlsx sheet agree with the tally.
    cats = {CATEGORIES[lang][c]: n for c, n in tally.notes_by_category.items()}
    category_rows = table_rows(doc.content, "Санаты" if lang == "kk" else "Категория")
    assert {r[0]: int(r[1]) for r in category_rows} == cats
    months = {f"{MONTHS[lang][m - 1]} {y}": n for (y, m), n in tally.notes_by_month.items()}
    assert {
        r[0]: int(r[1]) for r in table_rows(doc.content, "Ай" if lang == "kk" else "Месяц")
    } == months
    classes = {
        r[0]: int(r[1]) for r in table_rows(doc.content, "Сынып" if lang == "kk" else "Класс")
    }
    assert classes == dict(tally.notes_by_class)
    total = sum(tally.notes_by_category.values())
    assert (f"{total} жазба" if lang == "kk" else f"записей: {total}") in text
    # Register movement, sessions, decisions.
    if lang == "kk":
        assert f"Есепке алынды: {tally.put_on}, есептен шығарылды: {len(tally.removed)}" in text
        assert f"есепте: {len(tally.registered)}" in text
        assert f"отырыстың {len(tally.sessions)} өтті" in text
        assert (
            f"мерзімінде орындалды: {tally.decisions_on_time}, кешігіп орындалды: "
            f"{tally.decisions_late}, орындалмады: {tally.decisions_open}" in text
        )
        assert f"әңгімелесулер (3.3): {tally.talks}" in text
    else:
        assert f"Поставлено на учёт: {tally.put_on}, снято с учёта: {len(tally.removed)}" in text
        assert f"проведено {len(tally.sessions)}" in text
        assert (
            f"исполнено в срок: {tally.decisions_on_time}, с опозданием: {tally.decisions_late}"
            in text
        )
    # Plan items: the one left undone, the partly one and the "can't" with its reason.
    shortfalls = table_rows(doc.content, "Тармақ" if lang == "kk" else "Пункт")
    refs = {r[0].split()[0]: r for r in shortfalls}
    assert tally.not_done_item in refs and tally.partly_item in refs
    assert refs[tally.cant_item][3] == tally.cant_reason
    assert tally.done_item not in refs
    sections = table_rows(doc.content, "Бөлім" if lang == "kk" else "Раздел")
    totals = sections[-1]
    assert int(totals[1]) == sum(int(r[1]) for r in sections[:-1])
    assert int(totals[3]) == sum(int(r[3]) for r in sections[:-1]) >= 2
    # The workbook: the same figures, and native charts.
    wb = load_workbook(io.BytesIO(book.content))
    notes = wb.worksheets[3]
    values = {
        r[0]: r[1] for r in notes.iter_rows(min_row=7, max_col=2, values_only=True) if r[0] in cats
    }
    assert values == cats
    assert sum(len(ws._charts) for ws in wb.worksheets) >= 5
    plan_sheet = wb.worksheets[0]
    assert [r[1:4] for r in plan_sheet.iter_rows(min_row=6, max_row=10, values_only=True)] == [
        tuple(int(x) for x in r[1:4]) for r in sections[:-1]
    ]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_case_file_is_complete_and_audited(year: Year, lang: str) -> None:
    sid, name, klass = year.tally.students[0]
    async with year.pool() as session:
        made = await produce.case_file(
            session, seed_plan(), seed_calendar(), NOW, lang, OPTS, sid, actor=None, via="test"
        )
        audits = (await session.exec(select(AuditLog))).all()
    assert made is not None and made.sensitive
    text = docx_text(made.content)
    assert f"{name}, {klass}" in text
    assert ("ОҚУШЫНЫҢ ЖЕКЕ ІСІ" if lang == "kk" else "ЛИЧНОЕ ДЕЛО УЧАЩЕГОСЯ") in text
    assert "245-VIII" in text
    assert "Жазба 1: сабақта тәртіп бұзды." in text  # the note's text, for note readers
    assert "Үйге барылды" in text  # the home-visit act
    assert ("Кеңесте қаралды: №4" if lang == "kk" else "Рассмотрен на совете: №4") in text
    stages = table_rows(made.content, "Кезең" if lang == "kk" else "Этап")
    assert len(stages) == 4
    plan_rows = table_rows(made.content, "№")
    assert plan_rows[0][0].startswith("1.")  # the first configurable section
    [entry] = [a for a in audits if a.action == "document.case_file"]
    assert entry.target == f"student:{sid}" and name not in str(entry.details)
    async with year.pool() as session:
        assert (
            await produce.case_file(
                session, seed_plan(), seed_calendar(), NOW, lang, OPTS, 9999, actor=None, via="t"
            )
            is None
        )


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_effective_plan(year: Year, lang: str) -> None:
    async with year.pool() as session:
        made = await produce.effective_plan(
            session, seed_plan(), seed_calendar(), NOW, lang,
            DocOptions(director="Жанұзақов Б.К."),
        )  # fmt: skip
    text = docx_text(made.content)
    assert ("БЕКІТЕМІН" if lang == "kk" else "УТВЕРЖДАЮ") in text and "Жанұзақов Б.К." in text
    assert "2026-2027" in text
    plan = seed_plan()
    for item in plan.items():
        assert item.ref in text
    assert "30.09.2026" in text  # 1.1: September's last school day, this year
    for n in range(1, 11):
        assert f"№{n} —" in text
    # The plan's own texts in the paper's language (Russian is Russian).
    own, other = ("Организационная работа", "Ұйымдастыру жұмыстары")[:: 1 if lang == "ru" else -1]
    assert own in text and other not in text
    assert ("Итоги вечерних рейдов" in text) is (lang == "ru")
    doc = Document(io.BytesIO(made.content))
    assert doc.sections[0].page_width > doc.sections[0].page_height  # landscape


def _school_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(BUILTIN_TEMPLATES, folder)
    return folder


def _add_paragraph(path: Path, text: str) -> None:
    doc = Document(str(path))
    doc.add_paragraph(text)
    doc.save(str(path))


async def test_a_schools_own_template_with_an_added_field_is_filled(
    year: Year, tmp_path: Path
) -> None:
    folder = _school_templates(tmp_path)
    _add_paragraph(
        folder / "kk" / "minutes.docx", "Оқу жылы: {{ school_year }}, орны: {{ place }}!"
    )
    async with year.pool() as session:
        made = await produce.minutes(
            session, seed_plan(), seed_calendar(), NOW, "kk", DocOptions(templates_dir=folder), 4
        )
    assert "Оқу жылы: 2026-2027, орны: !" in docx_text(made.content)


async def test_a_broken_or_unknown_field_template_gives_one_clear_line(
    year: Year, tmp_path: Path
) -> None:
    folder = _school_templates(tmp_path)
    _add_paragraph(folder / "kk" / "minutes.docx", "Директор: {{ director_phone }}")
    _add_paragraph(folder / "ru" / "minutes.docx", "Сломано: {{ school ")
    (folder / "kk" / "plan.docx").write_bytes(b"not a word file")
    opts = DocOptions(templates_dir=folder)
    async with year.pool() as session:
        with pytest.raises(TemplateProblem) as unknown:
            await produce.minutes(session, seed_plan(), seed_calendar(), NOW, "kk", opts, 4)
        with pytest.raises(TemplateProblem) as broken:
            await produce.minutes(session, seed_plan(), seed_calendar(), NOW, "ru", opts, 4)
        with pytest.raises(TemplateProblem) as not_word:
            await produce.effective_plan(session, seed_plan(), seed_calendar(), NOW, "kk", opts)
    assert str(unknown.value) == (
        "template kk/minutes.docx: unknown field «director_phone»; see the fields in "
        "bot/documents/context.py"
    )
    assert str(broken.value).startswith("template ru/minutes.docx: broken tag")
    assert "\n" not in str(broken.value)
    assert str(not_word.value).startswith("template kk/plan.docx: not a Word .docx file")


async def test_minutes_naming_a_child_in_a_decision_are_protected(year: Year) -> None:
    from db.models import Decision

    surname = year.tally.students[1][1].split()[0]
    async with year.pool() as session:
        decision = (await session.exec(select(Decision))).all()[-1]
        decision.text = f"{surname} Д. мектепішілік есепке алынсын"
        await session.commit()
        made = await produce.minutes(session, seed_plan(), seed_calendar(), NOW, "kk", OPTS, 4)
    assert made.sensitive  # the bot sends it with protect_content


async def test_a_silent_routine_duty_is_not_judged_in_the_analysis(year: Year) -> None:
    """#12: a duty nobody is asked about (routine "silent") is left out of done / not done
    where nobody reported on it; where somebody did, it counts like any other."""
    from sqlmodel import col, delete

    from bot.core.overrides import PlanOverrides, apply_overrides
    from bot.documents.data import half_year_bounds, load_analysis
    from db.models import Occurrence as OccurrenceRow
    from db.models import Report

    start, end = half_year_bounds(seed_calendar())

    async def figures(plan: object) -> dict[str, tuple[int, str]]:
        async with year.pool() as session:
            data = await load_analysis(session, plan, seed_calendar(), start, end, NOW)  # type: ignore[arg-type]
        return {i.ref: (i.due, i.status) for s in data.sections for i in s.items}

    async with year.pool() as session:  # nobody reported on the weekly talks (3.3)
        ids = select(OccurrenceRow.id).where(col(OccurrenceRow.key).startswith("3.3@"))
        await session.exec(delete(Report).where(col(Report.occurrence_id).in_(ids)))  # type: ignore[call-overload]
        await session.commit()
    silent = apply_overrides(
        seed_plan(), PlanOverrides(routine={"1.8": "silent", "3.3": "silent"})
    )
    before, after = await figures(seed_plan()), await figures(silent)
    assert before["3.3"][1] == "not_done" and "3.3" not in after
    assert after["1.8"] == before["1.8"]  # reported on in the sample year: still counted
