"""`python -m bot schedule` output: a table a deputy director can read (kk or ru), and CSV,
XLSX and iCalendar for Excel and calendars.

The table folds what repeats (an every-day, weekly, monthly or quarterly item is one row: "every
school Friday, 37 times"), wraps full titles, aligns times, and says in its header which dates
are provisional and why (the calendar follows a pattern, not a published order; a session dated
by month has a default day until the chair sets it; a date that fell on a day off was moved to
the working day before). Every occurrence is a row in CSV, XLSX and ICS.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from datetime import UTC, date, datetime

from bot.core.calendar import SchoolCalendar
from bot.core.schedule import Occurrence, ref_sort_key
from bot.texts import t, tp

FOLDED = ("daily", "weekly", "monthly", "quarterly")
WIDTHS = (22, 9, 46, 34)  # when, ref, title, who

TEXTS_CLI = {
    "head": {"kk": "Kenes кестесі: {start} … {end}; оқу жылы {year} ({tz})",
             "ru": "Расписание Kenes: {start} … {end}; учебный год {year} ({tz})"},
    "cols": {"kk": ("Қашан", "№", "Не істеу керек", "Жауапты"),
             "ru": ("Когда", "№", "Что сделать", "Ответственные")},
    "prov_head": {"kk": "* — болжамды күндер:", "ru": "* — предварительные даты:"},
    "prov_cal": {"kk": "  оқу жылының күнтізбесі болжамды (министрлік бұйрығы әлі жоқ)",
                 "ru": "  календарь учебного года предварительный (приказа пока нет)"},
    "prov_month": {"kk": "  {refs}: отырыс айы ғана белгілі; күнін төраға белгілейді",
                   "ru": "  {refs}: известен только месяц; дату назначит председатель"},
    "prov_moved": {"kk": "  {ref}: {was} — демалыс күні, алдыңғы жұмыс күніне ауыстырылды",
                   "ru": "  {ref}: {was} — выходной, перенесено на рабочий день раньше"},
    "fold_daily": {"kk": "күн сайын, {n}", "ru": "каждый учебный день, {n}"},
    "fold_weekly": {"kk": "{wd}, {n}", "ru": "{wd}, {n}"},
    "fold_monthly": {"kk": "ай сайын, {n}", "ru": "ежемесячно, {n}"},
    "fold_quarterly": {"kk": "тоқсан сайын, {n}", "ru": "раз в четверть, {n}"},
    "session": {"kk": "Кеңес отырысы №{n}", "ru": "Заседание совета №{n}"},
    "guests": {"kk": "шақырады: {names}", "ru": "приглашает: {names}"},
    "nothing": {"kk": "бұл кезеңде ештеңе жоқ", "ru": "в этот период ничего нет"},
    "undated": {"kk": "Мерзімі жоқ (әкімші /plan арқылы белгілейді): {refs}",
                "ru": "Без даты (администратор задаёт срок через /plan): {refs}"},
    "count": {"kk": "Барлығы: {n}", "ru": "Всего: {n}"},
}  # fmt: skip


def _t(lang: str, key: str, **values: object) -> str:
    entry = TEXTS_CLI[key][lang]
    assert isinstance(entry, str)
    return entry.format(**values)


def _title(lang: str, occ: Occurrence) -> str:
    if occ.kind == "session" and occ.ref.startswith("council-"):
        return _t(lang, "session", n=occ.ref.removeprefix("council-"))
    return " ".join(occ.title.split())


def _who(lang: str, occ: Occurrence) -> str:
    who = ", ".join(occ.responsible_names) or "—"
    if occ.guests:
        who += " (" + _t(lang, "guests", names=", ".join(occ.guests)) + ")"
    return who


def _day(lang: str, d: date) -> str:
    return f"{t(lang, f'wd_short_{d.weekday()}')} {d:%d.%m.%Y}"


def schedule_table(
    found: Sequence[Occurrence],
    calendar: SchoolCalendar,
    start: date,
    end: date,
    lang: str = "kk",
    undated: Sequence[str] = (),
) -> list[str]:
    lines = [
        _t(lang, "head", start=_day(lang, start), end=_day(lang, end), year=calendar.year,
           tz=calendar.timezone)
    ]  # fmt: skip
    month_only = sorted({o.ref for o in found if "month_only" in o.provisional}, key=ref_sort_key)
    moved = [(o.ref, p.split(":", 1)[1]) for o in found for p in o.provisional if ":" in p]
    if calendar.provisional or month_only or moved:
        lines.append(_t(lang, "prov_head"))
        if calendar.provisional:
            lines.append(_t(lang, "prov_cal"))
        if month_only:
            refs = ", ".join(r.replace("council-", "№") for r in month_only)
            lines.append(_t(lang, "prov_month", refs=refs))
        for ref, was in moved:
            was_day = date.fromisoformat(was)
            lines.append(_t(lang, "prov_moved", ref=ref.replace("council-", "№"),
                            was=_day(lang, was_day)))  # fmt: skip
    lines.append("")
    if not found:
        lines.append(_t(lang, "nothing"))
    else:
        rows: list[tuple[datetime, str, Occurrence, int]] = []
        groups: dict[tuple[str, str], list[Occurrence]] = {}
        for occ in found:
            if occ.rule in FOLDED and occ.kind == "task":
                groups.setdefault((occ.ref, occ.rule), []).append(occ)
            else:
                mark = "*" if occ.provisional or calendar.provisional else " "
                when = f"{_day(lang, occ.due.date())} {occ.due:%H:%M}{mark}"
                rows.append((occ.due, when, occ, 1))
        for (_, rule), occs in groups.items():
            if len(occs) == 1:
                occ = occs[0]
                when = f"{_day(lang, occ.due.date())} {occ.due:%H:%M} "
            else:
                days = [o.due.weekday() for o in occs]
                wd = t(lang, f"wd_every_{max(set(days), key=days.count)}")
                when = _t(lang, f"fold_{rule}", n=tp(lang, "n_times", len(occs)), wd=wd)
            rows.append((occs[0].due, when, occs[0], len(occs)))
        rows.sort(key=lambda r: (r[0], r[2].ref))
        heads = TEXTS_CLI["cols"][lang]
        w = WIDTHS
        lines.append(f"{heads[0]:<{w[0]}} {heads[1]:<{w[1]}} {heads[2]:<{w[2]}} {heads[3]}")
        lines.append("-" * (sum(w) + 3))
        for _, when, occ, _count in rows:
            whens = textwrap.wrap(when, w[0]) or [""]
            titles = textwrap.wrap(_title(lang, occ), w[2]) or [""]
            whos = textwrap.wrap(_who(lang, occ), w[3]) or [""]
            ref = occ.ref.replace("council-", "№")
            for k in range(max(len(whens), len(titles), len(whos))):
                a = whens[k] if k < len(whens) else ""
                b = ref if k == 0 else ""
                c = titles[k] if k < len(titles) else ""
                d = whos[k] if k < len(whos) else ""
                lines.append(f"{a:<{w[0]}} {b:<{w[1]}} {c:<{w[2]}} {d}".rstrip())
        lines.append("")
        lines.append(_t(lang, "count", n=len(found)))
    if undated:
        lines.append(_t(lang, "undated", refs=", ".join(undated)))
    return lines


CSV_HEAD = ("date", "time", "ref", "title", "responsible", "guests", "rule", "provisional", "key")


def _row(occ: Occurrence, lang: str) -> list[str]:
    return [
        occ.due.date().isoformat(),
        f"{occ.due:%H:%M}",
        occ.ref,
        _title(lang, occ),
        ", ".join(occ.responsible_names),
        ", ".join(occ.guests),
        occ.rule,
        " ".join(occ.provisional),
        occ.key,
    ]


def schedule_csv(found: Sequence[Occurrence], lang: str = "kk") -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEAD)
    for occ in found:
        writer.writerow(_row(occ, lang))
    return out.getvalue()


def schedule_xlsx(found: Sequence[Occurrence], lang: str = "kk") -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Kenes")
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for col, (name, width) in enumerate(zip(CSV_HEAD, (11, 6, 9, 60, 35, 25, 12, 14, 26),
                                            strict=True)):  # fmt: skip
        sheet.write(0, col, name, bold)
        sheet.set_column(col, col, width, wrap)
    for r, occ in enumerate(found, start=1):
        for col, value in enumerate(_row(occ, lang)):
            sheet.write_string(r, col, value, wrap)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(found), len(CSV_HEAD) - 1)
    book.close()
    return buffer.getvalue()


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 3.1: lines of at most 75 octets, continued with a leading space."""
    out, current = [], ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def schedule_ics(found: Sequence[Occurrence], calendar: SchoolCalendar, lang: str = "kk") -> str:
    """An iCalendar file (RFC 5545): sessions at their time, tasks as all-day deadlines."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tz = calendar.timezone
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kenes//Council plan//KK",
        "CALSCALE:GREGORIAN",
        "BEGIN:VTIMEZONE",
        f"TZID:{tz}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0500",
        "TZOFFSETTO:+0500",
        "TZNAME:+05",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    for occ in found:
        lines += ["BEGIN:VEVENT", f"UID:{occ.key}@kenes", f"DTSTAMP:{stamp}"]
        if occ.kind == "session":
            lines.append(f"DTSTART;TZID={tz}:{occ.due:%Y%m%dT%H%M%S}")
            lines.append("DURATION:PT1H30M")
        else:
            lines.append(f"DTSTART;VALUE=DATE:{occ.due:%Y%m%d}")
        summary = f"{occ.ref.replace('council-', '№')} {_title(lang, occ)}"
        lines.append("SUMMARY:" + _ics_text(summary))
        lines.append("DESCRIPTION:" + _ics_text(_who(lang, occ)))
        if occ.provisional:
            lines.append("STATUS:TENTATIVE")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
