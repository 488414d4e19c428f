"""Build the Word templates in `bot/documents/templates/{kk,ru}/` (run once; the .docx files are
committed, and a school edits its own copies in Word).

    python -m bot.documents.build_templates [--out DIR]

Each template is an ordinary A4 document in Times New Roman 14 with docxtpl tags: ``{{ field }}``
for a value, ``{%p for ... %}`` / ``{%p if ... %}`` paragraphs that repeat or appear, and
``{%tr for ... %}`` table rows. The fields each document receives are listed in
`bot/documents/context.py`; a field a template asks for and Kenes does not have is reported as
one clear line, not a crash.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table

from bot.documents.labels import HEADINGS, LANGS

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
WIDE_TABLE_PT = 10

Run = tuple[str, bool]  # (text, bold)


def new_document(*, landscape: bool = False) -> DocumentObject:
    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        section.left_margin, section.right_margin = Cm(2.0), Cm(1.5)
    else:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing = 1.0
    return doc


def text_width(doc: DocumentObject) -> int:
    section = doc.sections[0]
    return int(section.page_width - section.left_margin - section.right_margin)


def para(
    doc: DocumentObject,
    runs: str | Sequence[Run],
    *,
    bold: bool = False,
    align: str = "left",
    size: int | None = None,
    italic: bool = False,
    indent: bool = False,
    space_after: int = 0,
    right_tab: bool = False,
) -> None:
    p = doc.add_paragraph()
    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.25)
    if space_after:
        p.paragraph_format.space_after = Pt(space_after)
    if right_tab:
        p.paragraph_format.tab_stops.add_tab_stop(text_width(doc), WD_TAB_ALIGNMENT.RIGHT)
    parts = [(runs, bold)] if isinstance(runs, str) else list(runs)
    for text, strong in parts:
        run = p.add_run(text)
        run.bold = strong
        run.italic = italic
        if size is not None:
            run.font.size = Pt(size)


def tag(doc: DocumentObject, text: str) -> None:
    """A paragraph holding only a docxtpl ``{%p ... %}`` tag (it vanishes when rendered)."""
    doc.add_paragraph().add_run(text)


def page_break(doc: DocumentObject) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _cell(cell: object, text: str, *, bold: bool = False, size: int, align: str = "left") -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if align == "center" else None
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    run.font.name = FONT


def table(
    doc: DocumentObject,
    headers: Sequence[str],
    cells: Sequence[str],
    loop: str,
    widths: Sequence[float],
    *,
    size: int = TABLE_PT,
    group_row: str | None = None,
    group_loop: str | None = None,
    footer: Sequence[str] | None = None,
) -> Table:
    """A grid table: a bold header row, then one row repeated by ``{%tr for loop %}``.

    With `group_loop`, rows are grouped: a full-width row `group_row` starts each group (a
    plan's section) and the item rows repeat inside it."""
    columns = len(headers)
    t = doc.add_table(rows=0, cols=columns)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER

    def row(texts: Sequence[str], *, bold: bool = False, merged: bool = False) -> None:
        r = t.add_row()
        if merged:
            merged_cell = r.cells[0].merge(r.cells[-1])
            _cell(merged_cell, texts[0], bold=bold, size=size)
            return
        for c, text in zip(r.cells, texts, strict=True):
            _cell(c, text, bold=bold, size=size, align="center" if bold else "left")

    def control(text: str) -> None:
        r = t.add_row()
        r.cells[0].paragraphs[0].add_run(text)

    row(headers, bold=True)
    if group_loop is not None:
        control(f"{{%tr for {group_loop} %}}")
        row([group_row or ""], bold=True, merged=True)
    control(f"{{%tr for {loop} %}}")
    row(cells)
    control("{%tr endfor %}")
    if group_loop is not None:
        control("{%tr endfor %}")
    if footer is not None:
        row(footer, bold=True)
    t.autofit = False
    for column, width in zip(t.columns, widths, strict=False):
        column.width = Cm(width)  # the grid: what LibreOffice and Word lay out by
    for r in t.rows:
        for c, width in zip(r.cells, widths, strict=False):
            c.width = Cm(width)
    # repeat the header row on every page
    tr_pr = t.rows[0]._tr.get_or_add_trPr()
    header = tr_pr.makeelement(qn("w:tblHeader"), {})
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
    return t


def signatures(doc: DocumentObject, lines: Sequence[tuple[str, str]]) -> None:
    for title, name in lines:
        para(doc, "")
        para(doc, [(f"{title}\t", False), ("____________  ", False), (name, False)],
             right_tab=True)  # fmt: skip


# --- the five documents -------------------------------------------------------------------------


def minutes(lang: str) -> DocumentObject:
    h = HEADINGS[lang]
    doc = new_document()
    para(doc, "{{ school }}", bold=True, align="center")
    para(doc, "")
    para(doc, f"{h['minutes']} № {{{{ number }}}}", bold=True, align="center")
    para(doc, h["minutes_of"], bold=True, align="center")
    tag(doc, "{%p if extraordinary %}")
    para(doc, h["extraordinary"], align="center")
    tag(doc, "{%p endif %}")
    para(doc, "")
    para(doc, [("{{ date }}\t", False), ("{{ place }}", False)], right_tab=True)
    para(doc, "")
    para(doc, [(f"{h['present']} ({{{{ present_count }}}}): ", True), ("{{ present }}", False)],
         align="justify")  # fmt: skip
    para(doc, [(f"{h['absent']}: ", True), ("{{ absent }}", False)], align="justify")
    tag(doc, "{%p if guests %}")
    para(doc, [(f"{h['guests']}: ", True), ("{{ guests }}", False)], align="justify")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if quorum %}")
    para(doc, f"{h['quorum']} ({{{{ members_present }}}}/{{{{ members_total }}}}).")
    tag(doc, "{%p else %}")
    para(doc, f"{h['no_quorum']} ({{{{ members_present }}}}/{{{{ members_total }}}})",
         bold=True, align="justify")  # fmt: skip
    tag(doc, "{%p endif %}")
    para(doc, "")
    para(doc, h["agenda"], bold=True, align="center")
    tag(doc, "{%p for it in items %}")
    agenda_line = "{{ it.number }}. {{ it.title }}"
    agenda_line += "{% if it.reporters %} ({{ it.reporters }}){% endif %}"
    para(doc, agenda_line, align="justify")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for it in items %}")
    para(doc, "")
    para(doc, [("{{ it.number }}. ", True), (f"{h['heard']} ", True),
               ("{{ it.reporters }}{% if it.reporters %} — {% endif %}{{ it.title }}", False)],
         align="justify")  # fmt: skip
    tag(doc, "{%p if it.cases %}")
    para(doc, "{{ it.cases }}", align="justify", indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if it.spoke %}")
    para(doc, [(f"{h['spoke']} ", True), ("{{ it.spoke }}", False)], align="justify")
    tag(doc, "{%p endif %}")
    para(doc, h["decided"], bold=True)
    tag(doc, "{%p for d in it.decisions %}")
    para(doc, [("{{ it.number }}.{{ d.n }}. {{ d.text }}. ", False),
               (f"{h['owner']}: ", False), ("{{ d.owner }}, ", False),
               (f"{h['due'].lower()}: ", False), ("{{ d.due }}.", False)],
         align="justify", indent=True)  # fmt: skip
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not it.decisions %}")
    para(doc, h["noted"], indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    para(doc, "")
    signatures(doc, [(h["chair"], "{{ chair }}"), (h["secretary"], "{{ secretary }}")])
    tag(doc, "{%p if appendix %}")
    page_break(doc)
    para(doc, f"{h['appendix']} {h['no']} 1", bold=True, align="center")
    para(doc, f"{h['minutes']} № {{{{ number }}}}, {{{{ date }}}}", align="center")
    para(doc, h["appendix_note"], italic=True, align="center", size=12, space_after=6)
    cells = ["{{ a.n }}", "{{ a.name }}", "{{ a.klass }}"]
    table(doc, [h["no"], h["full_name"], h["class"]], cells, "a in appendix", [1.5, 11.0, 3.0])
    tag(doc, "{%p endif %}")
    return doc


def register(lang: str) -> DocumentObject:
    h = HEADINGS[lang]
    doc = new_document(landscape=True)
    para(doc, "{{ school }}", bold=True, align="center")
    para(doc, h["register"], bold=True, align="center")
    para(doc, f"{h['register_of']}: {{{{ school_year }}}} · {{{{ filter }}}} · "
              f"{h['as_of']} {{{{ today }}}}", align="center", space_after=6)  # fmt: skip
    table(
        doc,
        [h["no"], h["full_name"], h["class"], h["birth"], h["kind"], h["registered"],
         h["grounds"], h["responsible"], h["measures"], h["removed"]],
        ["{{ r.n }}", "{{ r.name }}", "{{ r.klass }}", "{{ r.birth }}", "{{ r.kind }}",
         "{{ r.registered }}", "{{ r.grounds }}", "{{ r.responsible }}", "{{ r.measures }}",
         "{{ r.removed }}"],
        "r in rows",
        [0.9, 4.0, 1.7, 2.2, 2.6, 2.2, 3.9, 3.2, 3.6, 2.9],
        size=WIDE_TABLE_PT,
    )  # fmt: skip
    para(doc, f"{h['total']}: {{{{ rows|length }}}}", space_after=6)
    signatures(doc, [(h["chair"], "{{ chair }}")])
    return doc


def analysis(lang: str) -> DocumentObject:
    h = HEADINGS[lang]
    doc = new_document()
    para(doc, "{{ school }}", bold=True, align="center")
    para(doc, h["council"], bold=True, align="center")
    para(doc, "{{ title }}", bold=True, align="center")
    para(doc, "({{ period }})", align="center", space_after=6)
    para(doc, h["plan_section"], bold=True)
    para(doc, "{{ plan_text }}", align="justify", indent=True, space_after=6)
    table(
        doc,
        [h["section"], h["done"], h["partly"], h["not_done"]],
        ["{{ s.title }}", "{{ s.done }}", "{{ s.partly }}", "{{ s.not_done }}"],
        "s in sections",
        [8.6, 2.7, 2.5, 2.7],
        footer=[h["total"], "{{ items_done }}", "{{ items_partly }}", "{{ items_not_done }}"],
    )
    para(doc, "")
    tag(doc, "{%p if shortfalls %}")
    para(doc, f"{h['partly']} / {h['not_done']}:", bold=True)
    table(
        doc,
        [h["item"], h["responsible"], h["done"], h["reasons"]],
        ["{{ i.ref }} {{ i.title }}", "{{ i.responsible }}", "{{ i.done }}/{{ i.due }}",
         "{{ i.reasons }}"],
        "i in shortfalls",
        [6.6, 3.9, 2.5, 3.5],
    )  # fmt: skip
    para(doc, "")
    tag(doc, "{%p endif %}")
    para(doc, h["by_person"], bold=True)
    table(
        doc,
        [h["responsible"], h["assigned"], h["done"], h["not_done"]],
        ["{{ p.name }}", "{{ p.assigned }}", "{{ p.done }}", "{{ p.not_done }}"],
        "p in people",
        [7.9, 2.8, 2.8, 3.0],
    )
    para(doc, "")
    para(doc, h["sessions_section"], bold=True)
    para(doc, "{{ sessions_text }} {{ decisions_text }}", align="justify", indent=True,
         space_after=6)  # fmt: skip
    para(doc, h["notes_section"], bold=True)
    para(doc, "{{ notes_text }}", align="justify", indent=True)
    tag(doc, "{%p if notes_by_category %}")
    table(doc, [h["category"], h["count"]], ["{{ c.label }}", "{{ c.count }}"],
          "c in notes_by_category", [12.0, 4.5])  # fmt: skip
    para(doc, "")
    table(doc, [h["month"], h["count"]], ["{{ m.label }}", "{{ m.count }}"],
          "m in notes_by_month", [12.0, 4.5])  # fmt: skip
    para(doc, "")
    table(doc, [h["class"], h["count"]], ["{{ c.label }}", "{{ c.count }}"],
          "c in notes_by_class", [12.0, 4.5])  # fmt: skip
    tag(doc, "{%p endif %}")
    para(doc, "")
    para(doc, h["register_section"], bold=True)
    para(doc, "{{ register_text }}", align="justify", indent=True, space_after=6)
    para(doc, h["talks_section"], bold=True)
    para(doc, "{{ talks_text }}", align="justify", indent=True, space_after=6)
    para(doc, h["conclusion"], bold=True)
    para(doc, h["conclusion_hint"], italic=True)
    for _ in range(4):
        para(doc, "_" * 62)
    signatures(doc, [(h["chair"], "{{ chair }}"), (h["secretary"], "{{ secretary }}")])
    return doc


def case_file(lang: str) -> DocumentObject:
    h = HEADINGS[lang]
    doc = new_document()
    para(doc, "{{ school }}", bold=True, align="center")
    para(doc, h["case_file"], bold=True, align="center")
    para(doc, "{{ name }}, {{ klass }}", bold=True, align="center", space_after=6)
    para(doc, h["card"], bold=True)
    for label, field in (
        (h["full_name"], "name"),
        (h["class"], "klass"),
        (h["birth"], "birth"),
        (h["kind"], "kind"),
        (h["registered"], "registered"),
        (h["grounds"], "grounds"),
        (h["responsible"], "responsible"),
        (h["family"], "family"),
    ):
        para(doc, [(f"{label}: ", True), (f"{{{{ {field} }}}}", False)], align="justify")
    para(doc, "")
    para(doc, h["chronology"], bold=True)
    table(doc, [h["date"], h["what"], h["author"]],
          ["{{ e.date }}", "{{ e.what }}", "{{ e.author }}"], "e in chronology",
          [2.6, 10.4, 3.5])  # fmt: skip
    para(doc, "")
    para(doc, h["analyses"], bold=True)
    table(doc, [h["stage"], h["when"], h["state"]],
          ["{{ a.stage }}", "{{ a.due }}", "{{ a.state }}"], "a in analyses",
          [6.0, 4.5, 6.0])  # fmt: skip
    para(doc, "")
    para(doc, h["ipp"], bold=True)
    para(doc, h["ipp_law"], italic=True, space_after=6)
    table(doc, [h["no"], h["measure"], h["when"], h["responsible"]],
          ["{{ m.n }}", "{{ m.text }}", "{{ m.when }}", "{{ m.who }}"], "m in s.measures",
          [1.3, 9.0, 2.8, 3.4], group_row="{{ s.title }}", group_loop="s in plan")  # fmt: skip
    para(doc, "")
    para(doc, h["visits"], bold=True)
    table(doc, [h["date"], h["what"], h["author"]],
          ["{{ v.date }}", "{{ v.what }}", "{{ v.author }}"], "v in visits",
          [2.6, 10.4, 3.5])  # fmt: skip
    para(doc, "")
    para(doc, h["decisions"], bold=True)
    table(doc, [h["session"], h["date"], h["what"]],
          ["№{{ d.session }}", "{{ d.date }}", "{{ d.what }}"], "d in decisions",
          [2.5, 2.6, 11.4])  # fmt: skip
    signatures(doc, [(h["responsible"], "{{ responsible }}"), (h["chair"], "{{ chair }}")])
    return doc


def effective_plan(lang: str) -> DocumentObject:
    h = HEADINGS[lang]
    doc = new_document(landscape=True)
    para(doc, h["approve"], bold=True, align="right")
    para(doc, f"{h['director']} ____________ {{{{ director }}}}", align="right")
    para(doc, "«____» ______________ {{ approve_year }}", align="right", space_after=12)
    para(doc, "{{ school }}", bold=True, align="center")
    para(doc, "{{ title }}", bold=True, align="center")
    para(doc, f"{{{{ school_year }}}} {h['year_suffix']}", bold=True, align="center",
         space_after=6)  # fmt: skip
    table(
        doc,
        [h["no"], h["content"], h["timing"], h["responsible"]],
        ["{{ i.ref }}", "{{ i.title }}", "{{ i.timing }}", "{{ i.responsible }}"],
        "i in s.lines",
        [1.4, 13.2, 6.0, 5.6],
        group_row="{{ s.number }}. {{ s.title }}",
        group_loop="s in sections",
    )
    para(doc, "")
    para(doc, h["sessions_plan"], bold=True, align="center", space_after=6)
    table(
        doc,
        [h["no"], h["agenda"].rstrip(":"), h["timing"], h["reporters"]],
        ["{{ a.n }}", "{{ a.title }}", "{{ a.when }}", "{{ a.reporters }}"],
        "a in s.agenda",
        [1.4, 13.2, 6.0, 5.6],
        group_row="{{ s.title }}",
        group_loop="s in sessions",
    )
    signatures(doc, [(h["chair"], "{{ chair }}")])
    return doc


BUILDERS = {
    "minutes": minutes,
    "register": register,
    "analysis": analysis,
    "case_file": case_file,
    "plan": effective_plan,
}


def build(out: Path = TEMPLATES_DIR) -> list[Path]:
    written = []
    for lang in LANGS:
        folder = out / lang
        folder.mkdir(parents=True, exist_ok=True)
        for name, builder in BUILDERS.items():
            path = folder / f"{name}.docx"
            doc = builder(lang)
            doc.core_properties.author = "Kenes"
            doc.core_properties.title = name
            doc.save(str(path))
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=TEMPLATES_DIR)
    args = parser.parse_args()
    for path in build(args.out):
        print(path)


if __name__ == "__main__":
    main()
