"""Contexts for the Word templates: plain dicts of strings made from `data.py`'s dataclasses.

Formatting only: every number comes from the query layer. The fields of each document:

* minutes: school, number, extraordinary, date, place, present, present_count, absent, guests,
  quorum, members_present, members_total, items[number, title, reporters, spoke, cases,
  decisions[n, text, owner, due]], chair, secretary, appendix[n, name, klass], school_year
* register: school, school_year, filter, today, rows[n, name, klass, birth, kind, registered,
  grounds, responsible, measures, removed], chair
* analysis: school, school_year, title, period, plan_text, sections[title, done, partly,
  not_done], items_done, items_partly, items_not_done, shortfalls[ref, title, responsible, done,
  due, reasons], people[name, assigned, done, not_done], sessions_text, decisions_text,
  notes_text, notes_by_category / notes_by_month / notes_by_class[label, count],
  register_text, talks_text, chair, secretary
* case_file: school, name, klass, birth, kind, registered, grounds, responsible, family,
  chronology[date, what, author], analyses[stage, due, state], plan[title, measures[n, text,
  when, who]], visits[date, what, author], decisions[session, date, what], chair, today
* plan: school, school_year, title, director, approve_year, sections[number, title, lines[ref,
  title, timing, responsible]], sessions[title, agenda[n, title, when, reporters]], chair
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from bot.core.plan import Plan
from bot.documents import data as q
from bot.documents.labels import HEADINGS, MONTHS, category_label, role_label, word


def ddmmyyyy(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else "—"


def owner_text(lang: str, line: q.DecisionLine) -> str:
    if line.owner_name:
        return line.owner_name
    if line.owner_role:
        return role_label(lang, line.owner_role)
    return "—"


def due_text(lang: str, line: q.DecisionLine) -> str:
    if line.deadline is None:
        return "—"
    return ddmmyyyy(line.deadline)


def kind_label(lang: str, kind: str) -> str:
    try:
        return word(lang, f"kind_{kind}")
    except KeyError:
        return kind


def cases_text(lang: str, cases: q.CasesSummary) -> str:
    classes = ", ".join(f"{klass} — {n}" for klass, n in cases.by_class)
    return word(lang, "cases", students=cases.students, classes=classes, notes=cases.notes)


def minutes_context(school: str, lang: str, m: q.MinutesData) -> dict[str, Any]:
    items = []
    for it in m.items:
        items.append(
            {
                "number": it.number,
                # the flagged cases' item in the document's language, whoever recorded it
                "title": word(lang, "cases_title") if it.cases else it.title,
                "reporters": ", ".join(it.reporters),
                "spoke": it.spoke or "",
                "cases": cases_text(lang, it.cases) if it.cases else "",
                "decisions": [
                    {
                        "n": d.number,
                        "text": d.text.rstrip("."),
                        "owner": owner_text(lang, d),
                        "due": due_text(lang, d),
                    }
                    for d in it.decisions
                ],
            }
        )
    guests = "; ".join(f"{name} — {post}" if post else name for name, post in m.guests)
    return {
        "school": school,
        "school_year": m.school_year,
        "number": m.number,
        "extraordinary": m.extraordinary,
        "date": ddmmyyyy(m.held_on),
        "place": f"{HEADINGS[lang]['place']}: {m.place}" if m.place else "",
        "present_count": word(lang, "people_n", n=len(m.present)),
        "present": ", ".join(m.present) or word(lang, "none"),
        "absent": ", ".join(m.absent) or word(lang, "none"),
        "guests": guests,
        "quorum": m.quorum,
        "members_present": m.members_present,
        "members_total": m.members_total,
        "items": items,
        "chair": m.chair or "",
        "secretary": m.secretary or "",
        "appendix": [
            {"n": i, "name": name, "klass": klass}
            for i, (name, klass) in enumerate(m.appendix or (), start=1)
        ],
    }


def measures_text(lang: str, measures: tuple[tuple[str, int], ...]) -> str:
    return "; ".join(f"{word(lang, 'm_' + kind)}: {n}" for kind, n in measures) or "—"


def removed_text(lang: str, row: q.RegisterRow) -> str:
    if row.removed_on is None:
        return ""
    text = ddmmyyyy(row.removed_on)
    if row.removed_session:
        text += ", " + word(lang, "removed_by", number=row.removed_session)
    return text


def register_context(
    school: str,
    lang: str,
    year: str,
    which: q.RegisterFilter,
    rows: list[q.RegisterRow],
    today: date,
    chair: str,
) -> dict[str, Any]:
    return {
        "school": school,
        "school_year": year,
        "filter": word(lang, f"filter_{which.value}"),
        "today": ddmmyyyy(today),
        "chair": chair,
        "rows": [
            {
                "n": i,
                "name": r.full_name,
                "klass": r.class_name,
                "birth": ddmmyyyy(r.birth_date) if r.birth_date else "",
                "kind": kind_label(lang, r.kind),
                "registered": ddmmyyyy(r.registered_on) if r.registered_on else "",
                "grounds": r.grounds or "",
                "responsible": r.responsible or "",
                "measures": measures_text(lang, r.measures),
                "removed": removed_text(lang, r),
            }
            for i, r in enumerate(rows, start=1)
        ],
    }


def month_label(lang: str, year: int, month: int) -> str:
    return f"{MONTHS[lang][month - 1]} {year}"


def analysis_texts(lang: str, a: q.AnalysisData) -> dict[str, str]:
    extra = word(lang, "extra_held", n=a.extraordinary_held) if a.extraordinary_held else ""
    d = a.decisions
    return {
        "plan_text": word(
            lang,
            "plan_fig",
            total=a.items_total,
            done=a.items_count("done"),
            partly=a.items_count("partly"),
            not_done=a.items_count("not_done"),
        ),
        "sessions_text": word(
            lang,
            "sessions_held",
            planned=a.sessions_planned,
            held=len(a.sessions_held),
            extra=extra,
        ),
        "decisions_text": word(
            lang,
            "decisions_fig",
            total=d.total,
            on_time=d.on_time,
            late=d.late,
            open=d.open,
            no_deadline=d.no_deadline,
        ),
        "notes_text": word(lang, "notes_fig", total=a.notes_total),
        "register_text": word(
            lang, "register_fig", put_on=a.put_on, removed=a.removed, current=a.on_register
        ),
        "talks_text": word(
            lang,
            "talks_fig",
            talks=a.talks,
            weeks=a.talk_weeks,
            weeks_done=a.talk_weeks_done,
            lectures=a.lectures,
            lectures_done=a.lectures_done,
        ),
    }


def analysis_context(
    school: str, lang: str, a: q.AnalysisData, *, half: bool, chair: str, secretary: str
) -> dict[str, Any]:
    h = HEADINGS[lang]
    title = h["analysis_h1"] if half else h["analysis_year"]
    shortfalls = [
        {
            "ref": i.ref,
            "title": i.title,
            "responsible": ", ".join(i.responsible),
            "done": i.done,
            "due": i.due,
            "reasons": "; ".join(i.reasons),
        }
        for s in a.sections
        for i in s.items
        if i.status != "done"
    ]
    return {
        "school": school,
        "school_year": a.school_year,
        "title": title,
        "period": f"{ddmmyyyy(a.start)} – {ddmmyyyy(a.as_of)}",
        "sections": [
            {
                "title": f"{s.number}. {s.title}",
                "done": s.count("done"),
                "partly": s.count("partly"),
                "not_done": s.count("not_done"),
            }
            for s in a.sections
        ],
        "items_done": a.items_count("done"),
        "items_partly": a.items_count("partly"),
        "items_not_done": a.items_count("not_done"),
        "shortfalls": shortfalls,
        "people": [
            {"name": p.name, "assigned": p.assigned, "done": p.done, "not_done": p.not_done}
            for p in a.people
        ],
        "notes_by_category": [
            {"label": category_label(lang, c), "count": n} for c, n in a.notes_by_category
        ],
        "notes_by_month": [
            {"label": month_label(lang, y, m), "count": n} for y, m, n in a.notes_by_month
        ],
        "notes_by_class": [{"label": c, "count": n} for c, n in a.notes_by_class],
        "chair": chair,
        "secretary": secretary,
        **analysis_texts(lang, a),
    }


def load_prevention_plan(lang: str, folder: Path | None, builtin: Path) -> list[dict[str, Any]]:
    """The configurable sections of the individual prevention plan (school's file first)."""
    for base in ([folder] if folder else []) + [builtin]:
        path = base / "prevention_plan.json"
        if path.is_file():
            raw = json.loads(path.read_text(encoding="utf-8"))
            sections = raw.get(lang) or raw.get("kk") or []
            return [
                {
                    "title": f"{i}. {s['title']}",
                    "measures": [
                        {
                            "n": f"{i}.{k}",
                            "text": m["text"],
                            "when": m.get("when", ""),
                            "who": m.get("who", ""),
                        }
                        for k, m in enumerate(s.get("measures", []), start=1)
                    ],
                }
                for i, s in enumerate(sections, start=1)
            ]
    return []


def _what(lang: str, e: q.ChronologyEntry) -> str:
    if e.kind == "incident":
        head = word(
            lang, "incident", id=e.incident_id, category=category_label(lang, e.category or "")
        )
        return f"{head}: {e.text}" if e.text else head
    if e.kind == "status_change" and "→" in e.text:
        before, _, after = e.text.partition("→")
        text = f"{kind_label(lang, before) if before != 'none' else '—'} → " + (
            kind_label(lang, after) if after != "none" else "—"
        )
    else:
        text = e.text
    head = word(lang, f"ev_{e.kind}")
    return f"{head}: {text}" if text else head


def case_file_context(
    school: str,
    lang: str,
    c: q.CaseFileData,
    plan_sections: list[dict[str, Any]],
    tz: Any,
    today: date,
    chair: str,
) -> dict[str, Any]:
    def entry(e: q.ChronologyEntry) -> dict[str, str]:
        return {
            "date": ddmmyyyy(e.at.astimezone(tz).date()),
            "what": _what(lang, e),
            "author": e.author or "",
            "session": str(e.session_number or ""),
        }

    return {
        "school": school,
        "name": c.full_name,
        "klass": c.class_name,
        "birth": ddmmyyyy(c.birth_date) if c.birth_date else "—",
        "kind": kind_label(lang, c.status) if c.status != "none" else word(lang, "dash"),
        "registered": ddmmyyyy(c.registered_on) if c.registered_on else "—",
        "grounds": c.grounds or "—",
        "responsible": c.responsible or "—",
        "family": c.family_notes or "—",
        "chronology": [entry(e) for e in c.chronology],
        "analyses": [
            {
                "stage": word(lang, f"stage_{a.stage}"),
                "due": ddmmyyyy(a.due),
                "state": word(
                    lang, "st_done" if a.done else ("st_overdue" if a.due < today else "st_open")
                ),
            }
            for a in c.analyses
        ],
        "plan": plan_sections,
        "visits": [entry(e) for e in c.visits],
        "decisions": [entry(e) for e in c.decisions],
        "chair": chair,
        "today": ddmmyyyy(today),
    }


def timing_text(lang: str, line: q.PlanLine) -> str:
    """This year's dates of a plan item, as a secretary writes them."""
    rule = line.rule
    if rule == "daily":
        return word(lang, "every_day")
    if rule == "weekly":
        return f"{word(lang, 'every_week')} ({word(lang, 'times', n=len(line.dates))})"
    if rule == "all_year":
        return f"{word(lang, 'all_year')}: " + ", ".join(
            d.strftime("%d.%m.%Y") for d in line.dates
        )
    if rule == "per_student":
        return word(lang, "per_student")
    if rule in ("when_needed", "missing") or not line.dates:
        return word(lang, "when_needed") if rule == "when_needed" else (line.when or "—")
    shown = [d.strftime("%d.%m.%Y") for d in line.dates[:12]]
    more = "…" if len(line.dates) > 12 else ""
    return ", ".join(shown) + more


def plan_context(
    school: str, lang: str, p: q.EffectivePlan, plan: Plan, director: str, chair: str
) -> dict[str, Any]:
    h = HEADINGS[lang]
    sessions = []
    for s in p.sessions:
        if s.when is not None and s.date_set:
            when = ddmmyyyy(s.when)
        elif s.month is not None:
            when = f"{MONTHS[lang][s.month - 1]} ({word(lang, 'date_tbd')})"
        else:
            when = word(lang, "date_tbd")
        sessions.append(
            {
                "title": f"{h['session']} №{s.number} — {when}",
                "agenda": [
                    {
                        "n": f"{s.number}.{n}",
                        "title": title,
                        "when": when,
                        "reporters": q.responsible_names(plan, resp, lang),
                    }
                    for n, title, resp in s.agenda
                ],
            }
        )
    start_year = int(p.school_year[:4])
    return {
        "school": school,
        "school_year": p.school_year,
        "title": f"{h['council']}: {h['plan_title']}",
        "director": director,
        "approve_year": f"{start_year}",
        "chair": chair,
        "sections": [
            {
                "number": s.number,
                "title": s.title,
                "lines": [
                    {
                        "ref": i.ref,
                        "title": i.title,
                        "timing": timing_text(lang, i),
                        "responsible": q.responsible_names(plan, i.responsible, lang),
                    }
                    for i in s.lines
                ],
            }
            for s in p.sections
        ],
        "sessions": sessions,
    }
