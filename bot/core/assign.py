"""Reassigned items: the plan as it stands after an admin changed who answers for an item.

The plan file stays as written; reassignments live in the database and are applied on top of
it, here, as a pure function. A reassignment replaces the item's named people; its groups stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.plan import Item, Person, Plan, Responsible, SubItem


def _replace(resp: Responsible, people: Sequence[str]) -> Responsible:
    return resp.model_copy(update={"people": tuple(people)})


def with_assignments(
    plan: Plan, people_by_ref: Mapping[str, Sequence[str]], extra_people: Sequence[Person] = ()
) -> Plan:
    """`plan` with the named people of each reassigned item or sub-item replaced.

    `extra_people` are people known to the database but not to the plan file (added in the
    chat), so that their names resolve wherever the plan is shown.
    """
    if not people_by_ref and not extra_people:
        return plan

    def sub(item: Item, s: SubItem) -> SubItem:
        if s.ref not in people_by_ref:
            return s
        base = s.responsible or item.responsible
        return s.model_copy(update={"responsible": _replace(base, people_by_ref[s.ref])})

    def item(i: Item) -> Item:
        update: dict[str, object] = {"subitems": tuple(sub(i, s) for s in i.subitems)}
        if i.ref in people_by_ref:
            update["responsible"] = _replace(i.responsible, people_by_ref[i.ref])
        return i.model_copy(update=update)

    sections = tuple(
        s.model_copy(update={"items": tuple(item(i) for i in s.items)}) for s in plan.sections
    )
    known = {p.key for p in plan.people}
    people = plan.people + tuple(p for p in extra_people if p.key not in known)
    return plan.model_copy(update={"sections": sections, "people": people})


def assignable_refs(plan: Plan) -> dict[str, str]:
    """Every item and sub-item ref with its title: what an admin may reassign."""
    refs: dict[str, str] = {}
    for i in plan.items():
        refs[i.ref] = i.title
        for s in i.subitems:
            refs[s.ref] = s.title
    return refs
