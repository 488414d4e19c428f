"""Hosts: who in the school answers for an item whose responsible are all external people.

Lectures by the juvenile police inspector or the district narcologist (3.4.1, 3.4.2 …) name
only people from outside the school; nobody there gets a reminder. Such an item gets a school
*host*, who is reminded to invite and host the guests: the item's own `responsible.host`, else
the plan's `default_host`, else the deputy director for upbringing work (ДТЖЖО / ЗДВР), else
the social pedagogue, else any deputy director, else the chair.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.plan import Person, Plan, Responsible
from bot.core.roles import Role

# Folded fragments of a position that say "deputy director for upbringing work".
_UPBRINGING = ("дтжж", "здвр", "зам по вр", "тәрбие", "воспитат")


def is_external_person(person: Person) -> bool:
    return person.external or Role.EXTERNAL in person.roles


def external_only(plan: Plan, resp: Responsible) -> bool:
    """True if `resp` names somebody and every one of them is outside the school."""
    if not resp.people and not resp.groups:
        return False
    people = {p.key: p for p in plan.people}
    groups = {g.key: g for g in plan.groups}
    for key in resp.people:
        person = people.get(key)
        if person is None or not is_external_person(person):
            return False
    for key in resp.groups:
        group = groups.get(key)
        if group is None or not group.external:
            return False
    return True


def default_host(plan: Plan) -> tuple[str, ...]:
    """The plan's host for external-only items (see the module's docstring)."""
    if plan.default_host:
        return plan.default_host
    staff = [p for p in plan.people if not is_external_person(p)]
    deputies = [p for p in staff if Role.DEPUTY_DIRECTOR in p.roles]
    for person in deputies:
        position = (person.position or "").casefold()
        if any(marker in position for marker in _UPBRINGING):
            return (person.key,)
    for role in (Role.SOCIAL_PEDAGOGUE, Role.DEPUTY_DIRECTOR, Role.CHAIR):
        for person in staff:
            if role in person.roles:
                return (person.key,)
    return ()


def host_of(plan: Plan, resp: Responsible) -> tuple[str, ...]:
    """The hosts of an external-only `resp`: its own, else the plan's default."""
    return resp.host or default_host(plan)


def guest_names(plan: Plan, resp: Responsible, lang: str = "kk") -> tuple[str, ...]:
    """The external people and groups of `resp`, by name (groups in `lang`, Kazakh else)."""
    people = {p.key: p for p in plan.people}
    groups = {g.key: g for g in plan.groups}
    names = [people[k].name for k in resp.people if k in people]
    names += [
        groups[k].names.ru if lang == "ru" else groups[k].names.kk
        for k in resp.groups
        if k in groups
    ]
    return tuple(names)


@dataclass(frozen=True, slots=True)
class Hosted:
    """Something in the plan whose people are all external, so a school host answers for it:
    an item, a sub-item with its own people, or a session's agenda point ("council-3.2")."""

    ref: str
    title: str
    responsible: Responsible


def hosted(plan: Plan) -> list[Hosted]:
    """Everything a school host answers for, in plan order (the refs a "host" override may
    name; see `bot.core.overrides`)."""
    out: list[Hosted] = []
    for item in plan.items():
        if external_only(plan, item.responsible):
            out.append(Hosted(item.ref, item.title, item.responsible))
        for sub in item.subitems:
            if sub.responsible is not None and external_only(plan, sub.responsible):
                out.append(Hosted(sub.ref, sub.title, sub.responsible))
    for session in plan.sessions:
        for point in session.agenda:
            if external_only(plan, point.reporters):
                out.append(Hosted(f"{session.ref}.{point.number}", point.title, point.reporters))
    return out


def guests_of(plan: Plan, ref: str, lang: str = "kk") -> tuple[str, ...]:
    """The guests of the hosted item, sub-item or agenda point `ref`, named in `lang`."""
    for found in hosted(plan):
        if found.ref == ref:
            return guest_names(plan, found.responsible, lang)
    return ()
