"""Excel workbooks (XlsxWriter): the register, and the analysis tables with native charts.

The figures are the query layer's (`data.py`); the words are the templates' (`labels.py`).
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from bot.documents import context as ctx
from bot.documents import data as q
from bot.documents.labels import HEADINGS, MONTHS, category_label, word


def _formats(book: Any) -> dict[str, Any]:
    base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top", "text_wrap": True}
    return {
        "title": book.add_format({**base, "bold": True, "font_size": 14, "text_wrap": False}),
        "sub": book.add_format({**base, "text_wrap": False}),
        "head": book.add_format(
            {**base, "bold": True, "border": 1, "align": "center", "bg_color": "#E7E6E6"}
        ),
        "cell": book.add_format({**base, "border": 1}),
        "num": book.add_format({**base, "border": 1, "align": "center"}),
        "bold": book.add_format({**base, "border": 1, "bold": True}),
    }


def _sheet(book: Any, name: str, landscape: bool = True) -> Any:
    sheet = book.add_worksheet(name[:31])
    if landscape:
        sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    return sheet


def _table(
    sheet: Any,
    f: dict[str, Any],
    top: int,
    headers: list[str],
    rows: list[list[Any]],
    widths: list[float],
) -> int:
    """Headers and rows from `top`; returns the row after the table."""
    for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
        sheet.write(top, c, h, f["head"])
        sheet.set_column(c, c, w)
    for r, values in enumerate(rows, start=top + 1):
        for c, value in enumerate(values):
            sheet.write(r, c, value, f["num"] if isinstance(value, int) else f["cell"])
    return top + 1 + len(rows)


def register_xlsx(
    school: str, lang: str, year: str, which: q.RegisterFilter, rows: list[q.RegisterRow],
    today_text: str,
) -> bytes:  # fmt: skip
    h = HEADINGS[lang]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    f = _formats(book)
    sheet = _sheet(book, h["register"][:31].title() if lang == "ru" else "Тізілім")
    sheet.write(0, 0, school, f["title"])
    sheet.write(1, 0, h["register"], f["title"])
    sheet.write(
        2, 0, f"{h['register_of']}: {year} · {word(lang, 'filter_' + which.value)} · "
        f"{h['as_of']} {today_text}", f["sub"],
    )  # fmt: skip
    headers = [
        h["no"], h["full_name"], h["class"], h["birth"], h["kind"], h["registered"],
        h["grounds"], h["responsible"], h["measures"], h["removed"],
    ]  # fmt: skip
    values = [
        [
            i, r.full_name, r.class_name, ctx.ddmmyyyy(r.birth_date) if r.birth_date else "",
            ctx.kind_label(lang, r.kind),
            ctx.ddmmyyyy(r.registered_on) if r.registered_on else "", r.grounds or "",
            r.responsible or "", ctx.measures_text(lang, r.measures), ctx.removed_text(lang, r),
        ]
        for i, r in enumerate(rows, start=1)
    ]  # fmt: skip
    end = _table(sheet, f, 4, headers, values, [5, 28, 7, 12, 18, 12, 30, 20, 26, 24])
    sheet.autofilter(4, 0, max(end - 1, 4), len(headers) - 1)
    sheet.freeze_panes(5, 2)
    sheet.repeat_rows(4)
    sheet.write(end + 1, 0, f"{h['total']}: {len(rows)}", f["sub"])
    book.close()
    return out.getvalue()


def analysis_xlsx(school: str, lang: str, a: q.AnalysisData, *, half: bool) -> bytes:
    h = HEADINGS[lang]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    f = _formats(book)
    title = h["analysis_h1"] if half else h["analysis_year"]
    period = f"{ctx.ddmmyyyy(a.start)} – {ctx.ddmmyyyy(a.as_of)}"

    def head(sheet: Any, heading: str) -> None:
        sheet.write(0, 0, school, f["title"])
        sheet.write(1, 0, f"{title} ({period})", f["sub"])
        sheet.write(2, 0, heading, f["title"])

    # 1. Plan by section, with a stacked column chart.
    plan = _sheet(book, h["plan_section"].split(". ", 1)[1])
    head(plan, h["plan_section"])
    rows = [[f"{s.number}. {s.title}", s.count("done"), s.count("partly"), s.count("not_done")]
            for s in a.sections]  # fmt: skip
    end = _table(plan, f, 4, [h["section"], h["done"], h["partly"], h["not_done"]], rows,
                 [60, 14, 14, 14])  # fmt: skip
    plan.write(end, 0, h["total"], f["bold"])
    for c, status in enumerate(("done", "partly", "not_done"), start=1):
        plan.write(end, c, a.items_count(status), f["num"])
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    colors = ("#70AD47", "#FFC000", "#C00000")
    for c, color in zip(range(1, 4), colors, strict=True):
        chart.add_series({
            "name": [plan.name, 4, c],
            "categories": [plan.name, 5, 0, end - 1, 0],
            "values": [plan.name, 5, c, end - 1, c],
            "fill": {"color": color},
        })  # fmt: skip
    chart.set_title({"name": h["plan_section"]})
    chart.set_legend({"position": "bottom"})
    plan.insert_chart(end + 2, 0, chart, {"x_scale": 1.6, "y_scale": 1.2})
    # Items not (fully) done, with reasons.
    top = end + 22
    plan.write(top, 0, f"{h['partly']} / {h['not_done']}", f["title"])
    items = [
        [f"{i.ref} {i.title}", ", ".join(i.responsible), f"{i.done}/{i.due}", "; ".join(i.reasons)]
        for s in a.sections
        for i in s.items
        if i.status != "done"
    ]
    _table(plan, f, top + 1, [h["item"], h["responsible"], h["done"], h["reasons"]], items,
           [60, 30, 14, 40])  # fmt: skip

    # 2. By responsible person, with a bar chart.
    people = _sheet(book, h["by_person"])
    head(people, h["by_person"])
    rows = [[p.name, p.assigned, p.done, p.not_done] for p in a.people]
    end = _table(people, f, 4, [h["responsible"], h["assigned"], h["done"], h["not_done"]],
                 rows, [34, 12, 12, 14])  # fmt: skip
    if rows:
        chart = book.add_chart({"type": "bar", "subtype": "stacked"})
        for c, color in ((2, "#70AD47"), (3, "#C00000")):
            chart.add_series({
                "name": [people.name, 4, c],
                "categories": [people.name, 5, 0, end - 1, 0],
                "values": [people.name, 5, c, end - 1, c],
                "fill": {"color": color},
            })  # fmt: skip
        chart.set_title({"name": h["by_person"]})
        chart.set_legend({"position": "bottom"})
        people.insert_chart(4, 5, chart, {"x_scale": 1.4, "y_scale": 1.6})

    # 3. Sessions and decisions.
    sessions = _sheet(book, h["session"])
    head(sessions, h["sessions_section"])
    d = a.decisions
    words = ctx.analysis_texts(lang, a)
    sessions.write(3, 0, words["sessions_text"], f["sub"])
    rows = [[f"№{n}", ctx.ddmmyyyy(day)] for n, day in a.sessions_held]
    end = _table(sessions, f, 5, [h["session"], h["date"]], rows, [16, 16])
    top = end + 1
    decision_rows = [
        [word(lang, "decisions_fig").split(":")[0], d.total],
        [h["done"] + " ✓", d.on_time],
        [h["done"] + " ⏰", d.late],
        [h["not_done"], d.open],
        ["—", d.no_deadline],
    ]
    end = _table(sessions, f, top, [h["decisions"].split(". ", 1)[-1], h["count"]],
                 decision_rows, [40, 12])  # fmt: skip
    chart = book.add_chart({"type": "pie"})
    chart.add_series({
        "name": h["sessions_section"],
        "categories": [sessions.name, top + 2, 0, end - 1, 0],
        "values": [sessions.name, top + 2, 1, end - 1, 1],
        "points": [{"fill": {"color": c}} for c in ("#70AD47", "#FFC000", "#C00000", "#A5A5A5")],
    })  # fmt: skip
    chart.set_title({"name": h["decisions"].split(". ", 1)[-1]})
    sessions.insert_chart(5, 4, chart)

    # 4. Notes by category, month and class.
    notes = _sheet(book, h["notes_section"].split(". ", 1)[1][:31])
    head(notes, h["notes_section"])
    notes.write(3, 0, words["notes_text"], f["sub"])
    cat_rows = [[category_label(lang, c), n] for c, n in a.notes_by_category]
    end1 = _table(notes, f, 5, [h["category"], h["count"]], cat_rows, [30, 10])
    month_rows = [[f"{MONTHS[lang][m - 1]} {y}", n] for y, m, n in a.notes_by_month]
    top2 = end1 + 1
    end2 = _table(notes, f, top2, [h["month"], h["count"]], month_rows, [30, 10])
    class_rows = [[c, n] for c, n in a.notes_by_class]
    top3 = end2 + 1
    end3 = _table(notes, f, top3, [h["class"], h["count"]], class_rows, [30, 10])
    if cat_rows:
        pie = book.add_chart({"type": "pie"})
        pie.add_series({"name": h["category"], "categories": [notes.name, 6, 0, end1 - 1, 0],
                        "values": [notes.name, 6, 1, end1 - 1, 1]})  # fmt: skip
        pie.set_title({"name": h["category"]})
        notes.insert_chart(5, 3, pie)
    if month_rows:
        col = book.add_chart({"type": "column"})
        col.add_series({"name": h["month"], "categories": [notes.name, top2 + 1, 0, end2 - 1, 0],
                        "values": [notes.name, top2 + 1, 1, end2 - 1, 1]})  # fmt: skip
        col.set_title({"name": h["month"]})
        col.set_legend({"none": True})
        notes.insert_chart(21, 3, col)
    if class_rows:
        col = book.add_chart({"type": "column"})
        col.add_series({"name": h["class"], "categories": [notes.name, top3 + 1, 0, end3 - 1, 0],
                        "values": [notes.name, top3 + 1, 1, end3 - 1, 1]})  # fmt: skip
        col.set_title({"name": h["class"]})
        col.set_legend({"none": True})
        notes.insert_chart(37, 3, col)

    # 5. Register movement, talks and lectures.
    reg = _sheet(book, h["register_section"].split(". ", 1)[1][:31])
    head(reg, h["register_section"])
    rows = [
        [word(lang, "register_fig").split(":")[0], a.put_on],
        [word(lang, "register_fig").split(", ")[1].split(":")[0], a.removed],
        [word(lang, "register_fig").split(", ")[2].split(":")[0], a.on_register],
        ["3.3", a.talks],
        [f"3.3 ({h['done']})", a.talk_weeks_done],
        [f"3.4 ({h['count']})", a.lectures],
        [f"3.4 ({h['done']})", a.lectures_done],
    ]
    end = _table(reg, f, 4, [h["register_section"].split(". ", 1)[1], h["count"]], rows, [44, 10])
    chart = book.add_chart({"type": "column"})
    chart.add_series({"name": h["register_section"], "categories": [reg.name, 5, 0, 7, 0],
                      "values": [reg.name, 5, 1, 7, 1], "fill": {"color": "#4472C4"}})  # fmt: skip
    chart.set_legend({"none": True})
    chart.set_title({"name": h["register_section"].split(". ", 1)[1]})
    reg.insert_chart(end + 1, 0, chart)
    book.close()
    return out.getvalue()
