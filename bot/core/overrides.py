"""What an admin set in the chat beside the plan file: timings and hosts, by plan number.

The plan file stays as written; the database keeps the overrides (`plan_override`) and they are
laid on the plan here, as a pure function, like the reassignments (`bot.core.assign`).

* **timing** — an item or sub-item whose *When* cell was empty or unreadable (2.4) gets the
  timing an admin picked: once on a date, monthly, each quarter, all year, on event;
* **host** — who in the school hosts an item whose responsible are all external (3.4.1): an
  item, a sub-item, or a session's agenda point ("council-3.2");
* **routine** — how a routine duty reaches its people (`bot.core.routine`): a card each time,
  a weekly check-in, or silent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.core.plan import AgendaPoint, Item, Plan, Session, SubItem
from bot.core.timing import AllYear, FixedDate, Monthly, Quarterly, TimingRule, WhenNeeded

# The choices an admin has in the chat, in the order shown.
TIMING_CHOICES = ("date", "monthly", "quarterly", "all_year", "on_event")


def timing_choice(choice: str, day: date | None = None) -> tuple[TimingRule, ...]:
    """The rules of one chat choice; "date" needs the day."""
    if choice == "date":
        if day is None:
            raise ValueError("a date is needed")
        return (FixedDate(month=day.month, day=day.day),)
    rules: dict[str, TimingRule] = {
        "monthly": Monthly(),
        "quarterly": Quarterly(),
        "all_year": AllYear(),
        "on_event": WhenNeeded(),
    }
    if choice not in rules:
        raise ValueError(f"unknown timing choice {choice!r}")
    return (rules[choice],)


@dataclass(frozen=True, slots=True)
class PlanOverrides:
    timing: Mapping[str, tuple[TimingRule, ...]] = field(default_factory=dict)
    hosts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    routine: Mapping[str, str] = field(default_factory=dict)  # item ref -> mode

    def __bool__(self) -> bool:
        return bool(self.timing or self.hosts or self.routine)


def needs_timing(plan: Plan) -> list[tuple[str, str]]:
    """(ref, title) of every item and sub-item whose timing is missing: "no date — set
    timing"."""
    out: list[tuple[str, str]] = []
    for item in plan.items():
        if any(rule.kind == "missing" for rule in item.timing):
            out.append((item.ref, item.title))
        for sub in item.subitems:
            if sub.timing is not None and any(rule.kind == "missing" for rule in sub.timing):
                out.append((sub.ref, sub.title))
    return out


def known_refs(plan: Plan) -> set[str]:
    """Every number an override may name: items, sub-items, agenda points ("council-3.2")."""
    refs: set[str] = set()
    for item in plan.items():
        refs.add(item.ref)
        refs.update(sub.ref for sub in item.subitems)
    for session in plan.sessions:
        refs.update(f"{session.ref}.{point.number}" for point in session.agenda)
    return refs


def apply_overrides(plan: Plan, overrides: PlanOverrides) -> Plan:
    """`plan` with the chat's timings and hosts laid on it (refs it does not have are left)."""
    if not overrides:
        return plan
    timing, hosts, routine = overrides.timing, overrides.hosts, overrides.routine

    def sub(s: SubItem) -> SubItem:
        update: dict[str, object] = {}
        if s.ref in timing:
            update["timing"] = timing[s.ref]
        if s.ref in hosts and s.responsible is not None:
            update["responsible"] = s.responsible.model_copy(update={"host": hosts[s.ref]})
        return s.model_copy(update=update) if update else s

    def item(i: Item) -> Item:
        update: dict[str, object] = {"subitems": tuple(sub(s) for s in i.subitems)}
        if i.ref in timing:
            update["timing"] = timing[i.ref]
        if i.ref in hosts:
            update["responsible"] = i.responsible.model_copy(update={"host": hosts[i.ref]})
        if i.ref in routine:
            update["routine"] = routine[i.ref]
        return i.model_copy(update=update)

    def point(s: Session, p: AgendaPoint) -> AgendaPoint:
        ref = f"{s.ref}.{p.number}"
        if ref not in hosts:
            return p
        return p.model_copy(
            update={"reporters": p.reporters.model_copy(update={"host": hosts[ref]})}
        )

    sections = tuple(
        s.model_copy(update={"items": tuple(item(i) for i in s.items)}) for s in plan.sections
    )
    sessions = tuple(
        s.model_copy(update={"agenda": tuple(point(s, p) for p in s.agenda)})
        for s in plan.sessions
    )
    return plan.model_copy(update={"sections": sections, "sessions": sessions})


def unknown_refs(plan: Plan, refs: Sequence[str]) -> list[str]:
    """The refs the plan no longer has (after a new plan came in)."""
    known = known_refs(plan)
    return [ref for ref in refs if ref not in known]
