"""The seed's text format (a Word table flattened to text, see `bot.core.convert`) as a table.

Each cell starts with a TAB. A section row has one cell; an item row four (ref, content, when,
responsible); a session row four, or three when the number cell is missing (sessions №5..№10 of
the seed). The first row is the header (three cells: the seed has no № heading).
"""

from __future__ import annotations

import re

from bot.core.importer.tables import Table

_SECTION = re.compile(r"^(\d+)\.\s+(\S.*)$")
_ITEM_REF = re.compile(r"^\d+(\.\d+)+\.?$")
_NUMBER = re.compile(r"^\d+\.?$")
_SESSION_HEAD = re.compile(r"^(№\s*\d+\s*(отырыс|заседание))|((заседание|отырыс)\s*№\s*\d+)", re.I)


def read_txt(text: str) -> list[Table]:
    cells = [c.strip() for c in text.split("\t")[1:]]
    rows: list[tuple[str, ...]] = []
    i = 0
    header_done = False
    while i < len(cells):
        cell = cells[i]
        if not cell:
            i += 1
            continue
        if not header_done:
            rows.append(("№", *cells[i : i + 3]))
            header_done = True
            i += 3
            continue
        if _SECTION.match(cell) and "\n" not in cell:
            rows.append((cell, cell, cell, cell))
            i += 1
        elif _ITEM_REF.match(cell) or _NUMBER.match(cell):
            rows.append((cell, *(cells[i + 1 : i + 4] + [""] * 3)[:3]))
            i += 4
        elif _SESSION_HEAD.match(cell.split("\n", 1)[0].strip()):
            rows.append(("", *(cells[i : i + 3] + [""] * 3)[:3]))
            i += 3
        else:
            rows.append(("", cell, "", ""))
            i += 1
    return [Table(1, tuple(rows))]
