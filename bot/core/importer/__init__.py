"""Reading a school's own plan (pure): tables in, plan data and a review out.

`read_txt` turns the seed's text format into a table; the shell's readers do the same for
.docx and .xlsx (`bot.plan_import.readers`). `import_tables` decides what every row means.
"""

from bot.core.importer.build import (
    Imported,
    Problem,
    ResponsibleRead,
    TimingRead,
    import_tables,
)
from bot.core.importer.tables import Place, Table
from bot.core.importer.txt import read_txt

__all__ = [
    "Imported",
    "Place",
    "Problem",
    "ResponsibleRead",
    "Table",
    "TimingRead",
    "import_tables",
    "read_txt",
]
