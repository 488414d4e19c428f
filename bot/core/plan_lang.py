"""The plan's texts in the reader's language.

The plan keeps its Kazakh text as written (`title`) and the Russian beside it (`title_ru` of the
plan, its sections, items, sub-items and agenda points; `position_ru` of a person; `names.ru` of
a group). A Russian-speaking user reads the Russian everywhere: reminders, /tasks, /status,
sessions, the papers, the schedule. Where a Russian text is missing, the Kazakh one is shown
and the place is logged once per process, by its id only ("no Russian text for plan 1.4").
`missing_russian(plan)` lists every such place (the seed plan has none: a test says so).

* `in_lang`, `title_of`, `group_name`, `position_of`, `session_title`: one text;
* `plan_in(plan, lang)`: the plan whose `title` fields hold the reader's language (for screens
  and papers that walk the plan); never for keys or matching;
* `localize(occ, plan, lang)`: an occurrence (`bot.core.schedule`) with its title, checklist,
  agenda and names in the reader's language.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from bot.core.plan import (
    AgendaPoint,
    Group,
    Item,
    Person,
    Plan,
    Responsible,
    Section,
    SubItem,
)
from bot.core.schedule import AgendaLine, Occurrence

log = logging.getLogger(__name__)

SESSION_TITLE: Final = {"kk": "Кеңес отырысы №{number}", "ru": "Заседание совета №{number}"}

_MARKED: set[str] = set()


def _fallback(where: str) -> None:
    if where not in _MARKED:
        _MARKED.add(where)
        log.warning("no Russian text for plan %s: the Kazakh one is shown", where)


def in_lang(kk: str, ru: str | None, lang: str, where: str) -> str:
    """`ru` for a Russian reader (the Kazakh, logged once by `where`, if there is none)."""
    if lang != "ru":
        return kk
    if ru:
        return ru
    _fallback(where)
    return kk


def title_of(thing: Section | Item | SubItem | AgendaPoint, lang: str, where: str) -> str:
    return in_lang(thing.title, thing.title_ru, lang, where)


def group_name(group: Group, lang: str) -> str:
    return group.names.ru if lang == "ru" else group.names.kk


def position_of(person: Person, lang: str) -> str | None:
    if person.position is None:
        return None
    return in_lang(person.position, person.position_ru, lang, f"person {person.key} position")


def session_title(number: int | str, lang: str) -> str:
    return SESSION_TITLE["ru" if lang == "ru" else "kk"].format(number=number)


# --- who, by name ------------------------------------------------------------------------------


def person_name(plan: Plan, key: str) -> str | None:
    """A person's name; None for a vacancy ("Медиатор": a position nobody fills by name) and
    for a key the plan does not know (never shown as a key)."""
    for person in plan.people:
        if person.key == key:
            return None if person.vacancy else person.name
    return None


def names_of(plan: Plan, resp: Responsible, lang: str) -> list[str]:
    """Who answers for `resp`, by name: the people (vacancies left out), then the groups in
    `lang`."""
    names = [n for k in resp.people if (n := person_name(plan, k)) is not None]
    groups = {g.key: g for g in plan.groups}
    names += [group_name(groups[k], lang) for k in resp.groups if k in groups]
    return names


def vacancies(plan: Plan, keys: Iterable[str]) -> list[Person]:
    """The vacancies among `keys` (for the admin: "Mediator — not assigned")."""
    wanted = set(keys)
    return [p for p in plan.people if p.vacancy and p.key in wanted]


# --- the whole plan in one language -------------------------------------------------------------

_PLANS: dict[tuple[int, str], tuple[Plan, Plan]] = {}


def plan_in(plan: Plan, lang: str) -> Plan:
    """`plan` with every title (and position) in `lang`; the same object for Kazakh. Cached
    per plan object (a plan is immutable; the cache keeps it alive, so its id is not reused)."""
    if lang != "ru":
        return plan
    found = _PLANS.get((id(plan), lang))
    if found is not None and found[0] is plan:
        return found[1]

    def sub(s: SubItem) -> SubItem:
        return s.model_copy(update={"title": title_of(s, lang, s.ref)})

    def item(i: Item) -> Item:
        return i.model_copy(
            update={
                "title": title_of(i, lang, i.ref),
                "subitems": tuple(sub(s) for s in i.subitems),
            }
        )

    def section(s: Section) -> Section:
        return s.model_copy(
            update={
                "title": title_of(s, lang, f"section {s.number}"),
                "items": tuple(item(i) for i in s.items),
            }
        )

    sessions = tuple(
        s.model_copy(
            update={
                "agenda": tuple(
                    p.model_copy(update={"title": title_of(p, lang, f"{s.ref}.{p.number}")})
                    for p in s.agenda
                )
            }
        )
        for s in plan.sessions
    )
    people = tuple(
        p.model_copy(update={"position": position_of(p, lang)}) if p.position else p
        for p in plan.people
    )
    update: dict[str, object] = {
        "title": in_lang(plan.title, plan.title_ru, lang, "title"),
        "school": in_lang(plan.school, plan.school_ru, lang, "school"),
        "sections": tuple(section(s) for s in plan.sections),
        "sessions": sessions,
        "people": people,
    }
    if plan.sessions_title is not None:
        update["sessions_title"] = in_lang(
            plan.sessions_title, plan.sessions_title_ru, lang, "sessions title"
        )
    translated = plan.model_copy(update=update)
    if len(_PLANS) > 16:
        _PLANS.clear()
    _PLANS[(id(plan), lang)] = (plan, translated)
    return translated


def missing_russian(plan: Plan) -> list[str]:
    """Every text of the plan a Russian reader would read in Kazakh, by its id."""
    out: list[str] = []
    if not plan.title_ru:
        out.append("title")
    if not plan.school_ru:
        out.append("school")
    if plan.sessions_title is not None and not plan.sessions_title_ru:
        out.append("sessions title")
    for section in plan.sections:
        if not section.title_ru:
            out.append(f"section {section.number}")
        for item in section.items:
            if not item.title_ru:
                out.append(item.ref)
            out += [sub.ref for sub in item.subitems if not sub.title_ru]
    for session in plan.sessions:
        out += [f"{session.ref}.{p.number}" for p in session.agenda if not p.title_ru]
    for group in plan.groups:
        if not group.names.ru.strip():
            out.append(f"group {group.key}")
    out += [f"person {p.key} position" for p in plan.people if p.position and not p.position_ru]
    return out


# --- an occurrence in one language --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Index:
    titles: dict[str, tuple[str, str]]  # ref -> (Kazakh, in the language)
    checklist: dict[str, str]  # a sub-item's Kazakh title -> in the language
    agenda: dict[tuple[str, int], str]  # (session ref, point) -> in the language
    names: dict[str, str]  # a group's Kazakh name -> in the language


_INDEXES: dict[tuple[int, str], tuple[Plan, _Index]] = {}


def _things(plan: Plan) -> Iterator[Item | SubItem]:
    for item in plan.items():
        yield item
        yield from item.subitems


def _index(plan: Plan, lang: str) -> _Index:
    found = _INDEXES.get((id(plan), lang))
    if found is not None and found[0] is plan:
        return found[1]
    titles = {t.ref: (t.title, title_of(t, lang, t.ref)) for t in _things(plan)}
    checklist = {s.title: title_of(s, lang, s.ref) for i in plan.items() for s in i.subitems}
    agenda = {
        (s.ref, p.number): title_of(p, lang, f"{s.ref}.{p.number}")
        for s in plan.sessions
        for p in s.agenda
    }
    names = {g.names.kk: group_name(g, lang) for g in plan.groups}
    index = _Index(titles, checklist, agenda, names)
    if len(_INDEXES) > 16:
        _INDEXES.clear()
    _INDEXES[(id(plan), lang)] = (plan, index)
    return index


def _title(occ: Occurrence, index: _Index, lang: str) -> str:
    if occ.kind == "session" and occ.ref.startswith("council-"):
        return session_title(occ.ref.removeprefix("council-"), lang)
    known = index.titles.get(occ.ref)
    if known is None:
        return occ.title  # a decision's typed text: one language
    kk, translated = known
    if occ.title.startswith(kk):  # a plan title, maybe with what follows it (a class)
        return translated + occ.title[len(kk) :]
    return occ.title


def localize(occ: Occurrence, plan: Plan, lang: str) -> Occurrence:
    """`occ` with its title, checklist, agenda and group names in `lang` (Kazakh: as is).

    A registered student's analysis (rule ``per_student``, ref "3.1.2") gets its stage's
    plan title in front of what it says about the child (the class)."""
    if occ.rule == "per_student":
        stage = _index(plan, lang).titles.get(occ.ref)
        if stage is not None and not occ.title.startswith(stage[1]):
            occ = dataclasses.replace(occ, title=stage[1] + occ.title)
    if lang != "ru":
        return occ
    index = _index(plan, lang)

    def names(found: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(index.names.get(n, n) for n in found)

    agenda = tuple(
        AgendaLine(
            line.number,
            index.agenda.get((occ.ref, line.number), line.title),
            line.people,
            line.groups,
            names(line.reporters),
            names(line.guests),
        )
        for line in occ.agenda
    )
    return dataclasses.replace(
        occ,
        title=_title(occ, index, lang),
        checklist=tuple(index.checklist.get(c, c) for c in occ.checklist),
        responsible_names=names(occ.responsible_names),
        agenda=agenda,
        guests=names(occ.guests),
    )
