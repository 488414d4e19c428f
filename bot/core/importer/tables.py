"""Tables as the readers hand them over: rows of cell texts, merged cells already spread (a
cell merged across columns or rows repeats its text in each place it covers), and where each
cell came from, so a problem can name its place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Table:
    index: int  # 1-based, in document order (a sheet counts as a table)
    rows: tuple[tuple[str, ...], ...]
    name: str = ""  # a sheet's name


@dataclass(frozen=True, slots=True, order=True)
class Place:
    table: int
    row: int  # 1-based, as a person counts rows in Word
    column: int  # 1-based
    column_name: str = ""

    def __str__(self) -> str:
        name = f" «{self.column_name}»" if self.column_name else ""
        return f"table {self.table}, row {self.row}, column {self.column}{name}"
