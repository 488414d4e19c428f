"""The plan laid on this year's calendar, for the director's signature."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan, Responsible
from bot.core.schedule import DEFAULT_POLICY, Occurrence, occurrences
from bot.services.assignments import effective_plan
from bot.services.tasks import load_overrides
from db.models import (
    Person,
)


@dataclass(frozen=True, slots=True)
class PlanLine:
    ref: str
    title: str
    when: str  # as written in the plan
    rule: str  # the first timing rule's kind
    dates: tuple[date, ...]  # this year's due dates
    responsible: Responsible


@dataclass(frozen=True, slots=True)
class PlanSection:
    number: int
    title: str
    lines: tuple[PlanLine, ...]


@dataclass(frozen=True, slots=True)
class SessionLine:
    number: int
    when: date | None
    date_set: bool
    month: int | None
    agenda: tuple[tuple[int, str, Responsible], ...]


@dataclass(frozen=True, slots=True)
class EffectivePlan:
    plan: Plan
    school_year: str
    sections: tuple[PlanSection, ...]
    sessions: tuple[SessionLine, ...]


async def load_effective_plan(
    session: AsyncSession, plan: Plan, calendar: SchoolCalendar
) -> EffectivePlan:
    plan = await effective_plan(session, plan)
    overrides = await load_overrides(session, calendar)
    lo, hi = calendar.span
    occs = occurrences(plan, calendar, lo, hi, DEFAULT_POLICY, overrides.session_times)
    dates: dict[str, list[date]] = defaultdict(list)
    sessions: dict[str, Occurrence] = {}
    for o in occs:
        if o.kind == "session":
            sessions[o.ref] = o
        else:
            dates[o.item_ref].append(o.due.astimezone(calendar.tz).date())
    sections = []
    for s in plan.sections:
        lines = []
        for item in s.items:
            rule = item.timing[0].kind if item.timing else "missing"
            lines.append(
                PlanLine(
                    ref=item.ref,
                    title=item.title,
                    when=item.when,
                    rule=rule,
                    dates=tuple(sorted(set(dates.get(item.ref, [])))),
                    responsible=item.responsible,
                )
            )
        sections.append(PlanSection(s.number, s.title, tuple(lines)))
    session_lines = []
    for ps in plan.sessions:
        occ = sessions.get(ps.ref)
        month = None
        for rule in ps.timing:
            month = getattr(rule, "month", None) or (getattr(rule, "months", None) or [None])[0]
            break
        session_lines.append(
            SessionLine(
                number=ps.number,
                when=occ.due.astimezone(calendar.tz).date() if occ else None,
                date_set=occ.date_set if occ else False,
                month=month,
                agenda=tuple((a.number, a.title, a.reporters) for a in ps.agenda),
            )
        )
    return EffectivePlan(plan, calendar.year, tuple(sections), tuple(session_lines))


def responsible_names(plan: Plan, resp: Responsible, lang: str) -> str:
    names = []
    for key in resp.people:
        try:
            names.append(plan.person(key).name)
        except KeyError:
            continue
    for key in resp.groups:
        try:
            group = plan.group(key)
        except KeyError:
            continue
        names.append(group.names.ru if lang == "ru" else group.names.kk)
    return ", ".join(names) or (resp.text.strip() if resp.text else "")


def person_names(people: Sequence[Person]) -> str:
    return ", ".join(p.name for p in people)
