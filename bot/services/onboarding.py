"""Bulk onboarding: the admin pastes or uploads the staff list and gets every invite link at once.

A list is one person a line — name, role(s), class — in a pasted text, a .txt, a .csv or an
.xlsx file. Cells are split by a tab, ";" or "," (a CSV file's own delimiter is sniffed); a
heading row ("Аты-жөні", "ФИО", "Name") is skipped. Roles are read in Kazakh, Russian or
English ("сынып жетекшісі", "классный руководитель", "психолог", "ЗДВР", "class_teacher"…),
several joined by "+" or "/"; a class with no role makes a class teacher, nothing makes a
teacher. A row that cannot be read (no name, an unknown role, a class that is none) is listed
with its line number; nothing of it is stored.

`read_staff_list` is pure; `onboard` stores the people (someone already known by the same name
is reused, not doubled: the plan's people are there from the start) and makes their invites.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.roles import Role
from bot.core.school_class import normalize_class
from bot.services import staff
from db.models import Account, Person

MAX_ROWS = 300
MAX_BYTES = 1_000_000
SUFFIXES = (".txt", ".csv", ".xlsx")
NAME_MAX = 80

# Folded role words (the first that a cell starts with or equals wins; longer first).
_ROLE_WORDS: tuple[tuple[str, Role], ...] = tuple(
    sorted(
        (
            *((w, Role.CLASS_TEACHER) for w in (
                "сынып жетекшісі", "сынып жетекшi", "класс жетекшісі", "кл. жетекші",
                "классный руководитель", "кл. руководитель", "кл.рук", "кл. рук",
                "class teacher", "class_teacher",
            )),
            *((w, Role.SOCIAL_PEDAGOGUE) for w in (
                "әлеуметтік педагог", "социальный педагог", "соц. педагог", "соцпедагог",
                "social pedagogue", "social_pedagogue",
            )),
            *((w, Role.PSYCHOLOGIST) for w in (
                "педагог-психолог", "педагог – психолог", "педагог - психолог", "психолог",
                "psychologist",
            )),
            *((w, Role.DEPUTY_DIRECTOR) for w in (
                "директор орынбасары", "директордың орынбасары", "заместитель директора",
                "зам. директора", "замдиректора", "завуч", "дтжжо", "дотжо", "здвр", "здувр",
                "deputy director", "deputy_director",
            )),
            *((w, Role.CHAIR) for w in (
                "кеңес төрағасы", "төраға", "председатель совета", "председатель", "chair",
            )),
            *((w, Role.COUNCIL_MEMBER) for w in (
                "кеңес мүшесі", "член совета", "council member", "council_member",
            )),
            *((w, Role.SECRETARY) for w in (
                "кеңес хатшысы", "хатшы", "секретарь совета", "секретарь", "secretary",
            )),
            *((w, Role.LIBRARIAN) for w in ("кітапханашы", "библиотекарь", "librarian")),
            *((w, Role.ORGANISER) for w in (
                "педагог-ұйымдастырушы", "тәлімгер", "педагог-организатор", "вожатый",
                "вожатая", "organiser",
            )),
            *((w, Role.TEACHER) for w in ("пән мұғалімі", "мұғалім", "учитель", "teacher")),
            *((w, Role.ADMIN) for w in ("әкімші", "администратор", "admin")),
        ),
        key=lambda pair: -len(pair[0]),
    )
)  # fmt: skip
_HEADINGS = ("аты-жөні", "аты жөні", "фио", "ф.и.о", "name", "толық аты")
_SPLIT = re.compile(r"\t|;")


def _fold(text: str) -> str:
    return " ".join(text.replace("–", "-").replace("—", "-").casefold().split())


def read_roles(cell: str) -> list[Role] | None:
    """The roles a cell names ("психолог + кеңес мүшесі"); None if a part names none."""
    roles: list[Role] = []
    for part in re.split(r"\s*[+/&]\s*|\s+және\s+|\s+и\s+", _fold(cell)):
        part = part.strip(" .")
        if not part:
            continue
        found = next((r for w, r in _ROLE_WORDS if part == w or part.startswith(w)), None)
        if found is None:
            return None
        if found not in roles:
            roles.append(found)
    return roles


@dataclass(frozen=True, slots=True)
class StaffLine:
    line: int  # 1-based, as the admin sees it in the file
    name: str
    roles: tuple[Role, ...]
    class_name: str | None


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    text: str
    why: str  # "name", "role", "class", "cells"


@dataclass(slots=True)
class StaffList:
    rows: list[StaffLine] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)


def _cells(line: str, delimiter: str | None) -> list[str]:
    if delimiter is not None:
        return [c.strip() for c in line.split(delimiter)]
    if _SPLIT.search(line):
        return [c.strip() for c in _SPLIT.split(line)]
    return [c.strip() for c in line.split(",")]


def read_rows(rows: Sequence[tuple[int, Sequence[str]]]) -> StaffList:
    """Numbered rows of cells (name, role, class) as people and the rows that cannot be."""
    out = StaffList()
    for number, raw in rows:
        cells = [" ".join(str(c).split()) for c in raw]
        while cells and not cells[-1]:
            cells.pop()
        text = " | ".join(cells)
        if not any(cells):
            continue
        if not out.rows and not out.bad and any(h in _fold(cells[0]) for h in _HEADINGS):
            continue  # the heading row
        if len(cells) > 3:
            out.bad.append(BadLine(number, text, "cells"))
            continue
        name = cells[0]
        role_cell = cells[1] if len(cells) > 1 else ""
        class_cell = cells[2] if len(cells) > 2 else ""
        if not (2 <= len(name) <= NAME_MAX) or not any(ch.isalpha() for ch in name):
            out.bad.append(BadLine(number, text, "name"))
            continue
        klass = None
        if class_cell:
            klass = normalize_class(class_cell)
            if klass is None:
                out.bad.append(BadLine(number, text, "class"))
                continue
        elif role_cell and normalize_class(role_cell) is not None:
            klass, role_cell = normalize_class(role_cell), ""  # "Name, 7Ә"
        roles = read_roles(role_cell) if role_cell else []
        if roles is None:
            out.bad.append(BadLine(number, text, "role"))
            continue
        if not roles:
            roles = [Role.CLASS_TEACHER if klass else Role.TEACHER]
        out.rows.append(StaffLine(number, name, tuple(roles), klass))
        if len(out.rows) + len(out.bad) >= MAX_ROWS:
            break
    return out


def read_staff_text(text: str, delimiter: str | None = None) -> StaffList:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return read_rows([(n, _cells(line, delimiter)) for n, line in enumerate(lines, start=1)])


class UnreadableList(ValueError):
    """Not a staff list this reads: the file's kind or its bytes."""


def read_staff_file(filename: str, content: bytes) -> StaffList:
    """A .txt, .csv or .xlsx staff list (UnreadableList otherwise)."""
    name = filename.casefold()
    if len(content) > MAX_BYTES:
        raise UnreadableList("too big")
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise UnreadableList("not an Excel file") from exc
        if sheet is None:
            raise UnreadableList("no sheet")
        rows = [
            (n, ["" if v is None else str(v) for v in row])
            for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        return read_rows(rows)
    if not name.endswith((".txt", ".csv")):
        raise UnreadableList("not .txt, .csv or .xlsx")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1251")
        except UnicodeDecodeError as exc:
            raise UnreadableList("not text") from exc
    if name.endswith(".csv"):
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
            delimiter: str | None = dialect.delimiter
        except csv.Error:
            delimiter = None
        reader = csv.reader(io.StringIO(text), delimiter=delimiter or ",")
        return read_rows([(n, row) for n, row in enumerate(reader, start=1)])
    return read_staff_text(text)


def is_list(text: str) -> bool:
    """Typed text that is a staff list rather than one new person's name: several lines, or a
    line with cells (a role or a class after the name)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) > 1 or any(sep in text for sep in ("\t", ";", ","))


@dataclass(frozen=True, slots=True)
class Invited:
    line: int
    person: Person
    token: str | None  # None: already joined, no invite needed


async def onboard(
    session: AsyncSession, found: StaffList, *, by: Person, now: datetime
) -> list[Invited]:
    """Store the people of the list (a known name is reused, its roles and class kept) and
    make an invite for each who has not joined yet. Audited (`person.add`, `invite.create`),
    ids only; committed."""
    known: dict[str, Person] = {}
    for person in (await session.exec(select(Person).where(col(Person.active)))).all():
        known.setdefault(_fold(person.name), person)
    joined = set((await session.exec(select(Account.person_id))).all())
    out: list[Invited] = []
    seen: set[int] = set()
    for row in found.rows:
        person = known.get(_fold(row.name))
        if person is None:
            person = await staff.add_person(
                session, row.name, [r.value for r in row.roles], by=by, now=now,
                class_name=row.class_name,
            )  # fmt: skip
            known[_fold(row.name)] = person
        assert person.id is not None
        if person.id in seen:
            continue  # the same name twice in the list: one link
        seen.add(person.id)
        token = None
        if person.id not in joined:
            token = await staff.create_invite(session, person, by=by, now=now)
        out.append(Invited(row.line, person, token))
    await session.commit()
    return out
