"""/documents through the real dispatcher against the strict fake Telegram: who gets which
paper, one message per file, protect_content whenever a child's name is in it, audited case
files, forged and forbidden buttons refused."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from bot.documents.sample import SECRETARY, SampleYear, seed_year
from db.models import AuditLog, Person
from fakegram.chats import FakeMessage, FakeUser
from tests.conftest import TZ
from tests.harness import Kenes, tap


async def _year(kenes: Kenes) -> SampleYear:
    kenes.clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=TZ))
    async with kenes.pool() as session:
        return await seed_year(session, kenes.plan, kenes.calendar)


async def _document(user: FakeUser) -> FakeMessage:
    message = await user.next_message()
    assert message.document is not None, message.text
    return message


def _text(message: FakeMessage) -> str:
    doc = Document(io.BytesIO(message.document_bytes or b""))
    return "\n".join(
        [p.text for p in doc.paragraphs]
        + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )


async def test_the_secretary_gets_the_council_papers_and_not_the_childrens(kenes: Kenes) -> None:
    year = await _year(kenes)
    async with kenes.pool() as session:
        secretary = (await session.exec(select(Person).where(Person.name == SECRETARY))).one()
    user = await kenes.join(secretary.key, "Айгерім")
    await user.command("/documents")
    menu = await user.next_message()
    assert menu.button_labels == ["📝 Хаттама", "📊 Талдау", "📅 Жоспар (бекітуге)"]
    await tap(user, "📝 Хаттама")
    assert "№4 · 26.11" in menu.button_labels  # the menu became the list of sessions
    assert await tap(user, "№4 · 26.11") == "Жіберілді."
    minutes = await _document(user)
    assert minutes.document is not None and minutes.document.filename.endswith(".docx")
    assert "ХАТТАМА № 4" in _text(minutes)
    params = kenes.fake.calls_to("sendDocument")[-1]
    assert not params.get("protect_content")
    assert all(name not in _text(minutes) for _, name, _ in year.students)
    # The analysis as a workbook with charts; the plan for signature.
    await user.command("/documents")
    await user.next_message()
    await tap(user, "📊 Талдау")
    await tap(user, "I жартыжылдық · Excel")
    book = await _document(user)
    assert len(load_workbook(io.BytesIO(book.document_bytes or b"")).worksheets) == 5
    await tap(user, "⬅️ Артқа")
    await tap(user, "📅 Жоспар (бекітуге)")
    assert "БЕКІТЕМІН" in _text(await _document(user))
    # The register is not hers: a forged button is refused, nothing is sent.
    sent = len(kenes.fake.calls_to("sendDocument"))
    await user.tap_data(menu, "d1:rg:current.xlsx")
    assert "рұқсатыңыз жоқ" in ((await user.next_callback_answer()).text or "")
    await user.tap_data(menu, "d1:mi:99")
    assert "ескірген" in ((await user.next_callback_answer()).text or "")
    assert len(kenes.fake.calls_to("sendDocument")) == sent


async def test_the_chair_gets_the_register_and_a_case_file_protected_and_audited(
    kenes: Kenes,
) -> None:
    year = await _year(kenes)
    chair = await kenes.join("eshkeeva-at", "Айгүл", language_code="ru")
    await chair.command("/language")
    await chair.next_message()
    await tap(chair, "Русский")
    await chair.command("/documents")
    menu = await chair.next_message()
    assert (
        "📋 Реестр учёта" in menu.button_labels and "🗂 Личное дело ученика" in menu.button_labels
    )
    await tap(chair, "📋 Реестр учёта")
    await tap(chair, "Сейчас на учёте · Excel")
    register = await _document(chair)
    assert kenes.fake.calls_to("sendDocument")[-1].get("protect_content") in (True, "true")
    assert "🔒" in (register.caption or "")
    sheet = load_workbook(io.BytesIO(register.document_bytes or b"")).active
    names = [r[1] for r in sheet.iter_rows(min_row=6, values_only=True) if isinstance(r[0], int)]
    by_id = {sid: name for sid, name, _ in year.students}
    assert sorted(names) == sorted(by_id[sid] for sid in year.registered)
    # A case file: the student found by name, the file protected, the opening audited.
    await chair.command("/documents")
    await chair.next_message()
    await tap(chair, "🗂 Личное дело ученика")
    sid, name, klass = year.students[0]
    await chair.send(name.split()[0])
    pick = await chair.next_message()
    await tap(chair, f"{name} · {klass}")
    case = await _document(chair)
    assert "ЛИЧНОЕ ДЕЛО УЧАЩЕГОСЯ" in _text(case) and name in _text(case)
    assert kenes.fake.calls_to("sendDocument")[-1].get("protect_content") in (True, "true")
    assert pick.text == "Какой ученик?"
    async with kenes.pool() as session:
        actions = [(a.action, a.target) for a in (await session.exec(select(AuditLog))).all()]
    assert ("document.case_file", f"student:{sid}") in actions
    assert ("student.open", f"student:{sid}") in actions


async def test_who_gets_the_menu(kenes: Kenes) -> None:
    psych = await kenes.join("rakhimzhanova-ar", "Әсел")
    await psych.command("/documents")
    assert (await psych.next_message()).button_labels == ["🗂 Оқушының жеке ісі"]
    librarian = await kenes.join("bisenbaeva-gd", "Гүлнар")
    await librarian.command("/documents")
    assert "рұқсатыңыз жоқ" in (await librarian.next_message()).text
    await librarian.command("/help")
    assert "/documents" not in (await librarian.next_message()).text
    deputy = await kenes.join("mukanova-azh", "Алма")
    await deputy.command("/help")
    assert "/documents" in (await deputy.next_message()).text


async def test_the_council_has_one_secretary(kenes: Kenes) -> None:
    from bot.services import staff

    async with kenes.pool() as session:
        first = await staff.add_person(
            session, "Бірінші Х.", ["secretary"], by=None, now=kenes.clock.now()
        )
        second = (await session.exec(select(Person).where(Person.key == "sarybaeva-ga"))).one()
        await staff.set_roles(
            session, second, [*second.roles, "secretary"], by=None, now=kenes.clock.now()
        )
        await session.refresh(first)
        assert "secretary" not in first.roles and "secretary" in second.roles


def test_the_demo_writes_one_of_each_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    assert main(["demo", "--documents", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    assert names == ["analysis", "analysis", "case", "minutes", "plan", "register"]
    for path in tmp_path.iterdir():
        assert str(path) in out
    assert "ХАТТАМА № 4" in _text_of(tmp_path / next(p.name for p in tmp_path.iterdir()
                                                     if p.name.startswith("minutes")))  # fmt: skip
    assert "Fake Telegram saw no violations." in out


def _text_of(path: Path) -> str:
    doc = Document(str(path))
    return "\n".join(p.text for p in doc.paragraphs)
