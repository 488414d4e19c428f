"""The import review in the reader's language: what was read, each timing in words with its
first dates, who each responsible cell names, and every cell that could not be read with its
place. One function for the CLI and the bot (the bot sends the head as a message and the whole
as a file when it is long)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.calendar import SchoolCalendar
from bot.core.importer import Imported, Problem
from bot.core.plan import Plan, PlanError
from bot.core.schedule import occurrences
from bot.core.timing import (
    AllYear,
    FixedDate,
    Monthly,
    Months,
    Quarterly,
    TimingRule,
    WeekOfMonth,
)
from bot.escape import quote
from bot.texts import role_name, t


def rule_words(lang: str, rule: TimingRule) -> str:
    match rule:
        case FixedDate(month=month, day=day):
            return t(lang, "rule_fixed_date", day=day, month=t(lang, f"month_gen_{month}"))
        case Months(months=months):
            names = ", ".join(t(lang, f"month_name_{m}") for m in months)
            return t(lang, "rule_months", months=names)
        case WeekOfMonth(week=week, month=month):
            return t(lang, "rule_week_of_month", week=week, month=t(lang, f"month_name_{month}"))
        case Monthly(extraordinary=True):
            return t(lang, "rule_monthly_extra")
        case Monthly(by_day=int(day)):
            return t(lang, "rule_monthly_day", day=day)
        case Quarterly(quarters=quarters) if quarters:
            return t(lang, "rule_quarters", quarters=", ".join(map(str, quarters)))
        case AllYear(by_timetable=True):
            return t(lang, "rule_all_year_table")
    return t(lang, f"rule_{rule.kind}")


def timing_words(lang: str, rules: Sequence[TimingRule]) -> str:
    return "; ".join(rule_words(lang, rule) for rule in rules)


def first_dates(plan: Plan, calendar: SchoolCalendar, count: int = 2) -> dict[str, list[date]]:
    """Each item's, sub-item's and session's first due dates in the calendar's year."""
    found: dict[str, list[date]] = {}
    for occ in occurrences(plan, calendar, *calendar.span):
        days = found.setdefault(occ.ref, [])
        if len(days) < count:
            days.append(occ.due.date())
    return found


def _dates(lang: str, days: Sequence[date]) -> str:
    if not days:
        return ""
    return t(lang, "imp_dates", dates=", ".join(f"{d:%d.%m.%Y}" for d in days))


def problem_line(lang: str, problem: Problem) -> str:
    code = problem.code if f"imp_p_{problem.code}" in _KNOWN else "row"
    text = t(lang, f"imp_p_{code}", text=quote(" ".join(problem.text.split())[:120]))
    ref = problem.message.split(":", 1)[0] if ":" in problem.message else ""
    where = ""
    if problem.place is not None:
        p = problem.place
        column = f"{p.column} «{quote(p.column_name)}»" if p.column_name else str(p.column)
        where = t(lang, "imp_place", table=p.table, row=p.row, column=column)
    head = " · ".join(x for x in (where, ref if ref and " " not in ref else "") if x)
    return f"• {head}: {text}" if head else f"• {text}"


_KNOWN = {
    "imp_p_timing",
    "imp_p_no_timing",
    "imp_p_responsible",
    "imp_p_nobody",
    "imp_p_row",
    "imp_p_session",
    "imp_p_column",
}


def review_head(
    lang: str,
    name: str,
    imported: Imported,
    plan_errors: Sequence[PlanError] = (),
) -> list[str]:
    """The short review: counts, the share of timings understood, what could not be read."""
    ok, total = imported.understood
    pct = round(100 * ok / total) if total else 100
    sections = len(imported.data.get("sections", []))
    new_people = imported.new_people
    lines = [
        t(
            lang,
            "imp_head",
            name=quote(name),
            items=imported.items,
            sections=sections,
            sessions=imported.sessions,
        ),
        t(lang, "imp_timings", ok=ok, total=total, pct=pct),
        t(
            lang,
            "imp_people",
            people=len(imported.people),
            groups=len(imported.groups),
            new=quote(", ".join(new_people[:12]) + (" …" if len(new_people) > 12 else ""))
            or t(lang, "dash"),
        ),
    ]
    if imported.ignored_columns:
        names = ", ".join(f"«{quote(p.column_name)}»" for p in imported.ignored_columns)
        lines.append(t(lang, "imp_ignored", names=names))
    problems = [*imported.problems]
    if problems or plan_errors:
        lines += ["", t(lang, "imp_unread_head", count=len(problems) + len(plan_errors))]
        lines += [problem_line(lang, p) for p in problems]
        lines += [
            "• " + t(lang, "imp_p_plan", text=quote(f"{e.where}: {e.message}"))
            for e in plan_errors
        ]
    else:
        lines += ["", t(lang, "imp_all_read")]
    return lines


def _who(lang: str, plan: Plan, people: Sequence[str], groups: Sequence[str]) -> str:
    by_key = {p.key: p for p in plan.people}
    by_group = {g.key: g for g in plan.groups}
    names = []
    for key in people:
        person = by_key.get(key)
        if person is None:
            continue
        roles = ", ".join(role_name(lang, r) for r in person.roles)
        names.append(f"{quote(person.name)} ({roles})")
    for key in groups:
        group = by_group.get(key)
        if group is not None:
            names.append(f"[{quote(getattr(group.names, lang, group.names.kk))}]")
    return ", ".join(names) or t(lang, "dash")


def review_lines(
    lang: str,
    name: str,
    imported: Imported,
    plan: Plan | None,
    calendar: SchoolCalendar | None,
    plan_errors: Sequence[PlanError] = (),
) -> list[str]:
    """The whole review: the head, then item by item and session by session."""
    lines = review_head(lang, name, imported, plan_errors)
    if plan is None:
        return lines
    dates = first_dates(plan, calendar) if calendar is not None else {}
    lines += ["", t(lang, "imp_items_head")]
    for item in plan.items():
        lines.append(
            t(
                lang,
                "imp_item",
                ref=item.ref,
                title=quote(" ".join(item.title.split())),
                when=quote(" ".join(item.when.split())),
                rule=timing_words(lang, item.timing),
                dates=_dates(lang, dates.get(item.ref, ())),
                who=_who(lang, plan, item.responsible.people, item.responsible.groups),
            )
        )
        for sub in item.subitems:
            if sub.timing is not None:
                lines.append(
                    f"   {sub.ref} {quote(' '.join(sub.title.split()))}: "
                    f"{timing_words(lang, sub.timing)}{_dates(lang, dates.get(sub.ref, ()))}"
                )
    for session in plan.sessions:
        lines.append(
            t(
                lang,
                "imp_session",
                number=session.number,
                when=quote(" ".join(session.when.split())),
                rule=timing_words(lang, session.timing),
                dates=_dates(lang, dates.get(session.ref, ())),
                points=len(session.agenda),
            )
        )
    return lines
