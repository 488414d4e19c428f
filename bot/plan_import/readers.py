"""A plan file's bytes to tables: .docx (python-docx), .xlsx (openpyxl), .txt (the seed's
format). Merged cells are spread: each place a merged cell covers carries its text (python-docx
does so for Word; openpyxl's merged ranges are filled here).

`read_plan_file(name, content)` picks the reader by the file's extension and returns the
tables and the document's title (the paragraph above the table that names the plan).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.core.importer import Table, read_txt

MAX_BYTES = 5 * 1024 * 1024  # a plan of 300 items in Word is ~60 KB
SUFFIXES = (".docx", ".xlsx", ".txt")


class ReadError(ValueError):
    """A file that cannot be read as a plan; `code` names the reason for the user's message."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code  # "type", "size", "broken", "empty"


@dataclass(frozen=True, slots=True)
class Document:
    tables: list[Table]
    title: str = ""


def _title(paragraphs: list[str]) -> str:
    texts = [" ".join(p.split()) for p in paragraphs if p.strip()]
    for text in texts:
        low = text.casefold()
        if "жоспар" in low or "план" in low:
            return text
    return texts[0] if texts else ""


def read_docx(content: bytes) -> Document:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(content))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError("broken", f"not a Word .docx file: {exc}") from None
    tables = []
    for index, table in enumerate(document.tables, start=1):
        rows = tuple(tuple(cell.text for cell in row.cells) for row in table.rows)
        tables.append(Table(index, rows))
    return Document(tables, _title([p.text for p in document.paragraphs[:20]]))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value.day:02d}.{value.month:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(content: bytes) -> Document:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ReadError("broken", f"not an Excel .xlsx file: {exc}") from None
    tables = []
    title = ""
    for index, sheet in enumerate(book.worksheets, start=1):
        grid = [[_text(c.value) for c in row] for row in sheet.iter_rows()]
        for merged in sheet.merged_cells.ranges:
            top = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, merged.max_row):
                for c in range(merged.min_col - 1, merged.max_col):
                    grid[r][c] = top
        # Rows above the heading row that hold one text are the title.
        lead = [row for row in grid[:5] if sum(1 for c in row if c.strip()) == 1]
        if not title and lead:
            title = _title([next(c for c in row if c.strip()) for row in lead])
        tables.append(Table(index, tuple(tuple(row) for row in grid), sheet.title))
    return Document(tables, title)


def read_plan_file(name: str, content: bytes) -> Document:
    """The tables of a plan file, by its extension. Raises `ReadError`."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ReadError("type", f"{name}: a plan is a .docx, .xlsx or .txt file")
    if len(content) > MAX_BYTES:
        raise ReadError("size", f"{name}: {len(content)} bytes, more than {MAX_BYTES}")
    if suffix == ".docx":
        found = read_docx(content)
    elif suffix == ".xlsx":
        found = read_xlsx(content)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ReadError("broken", f"{name}: not UTF-8 text") from None
        lines = [line for line in text.splitlines() if line.strip()]
        found = Document(read_txt(text), _title(lines[:3]) if "\t" not in lines[0:1] else "")
    if not any(table.rows for table in found.tables):
        raise ReadError("empty", f"{name}: no table found")
    return found
