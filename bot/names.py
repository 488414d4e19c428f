"""Who answers for something, as a user reads it: names, groups in the reader's language, and
the plan's vacancies ("Медиатор": a position nobody fills by name) — shown to the admin as
"Mediator — not assigned (admin: /staff)", to everyone else not at all. Never a key."""

from __future__ import annotations

from bot.core.plan import Plan, Responsible
from bot.core.plan_lang import names_of, position_of, vacancies
from bot.texts import t


def vacancy_text(plan: Plan, key: str, lang: str) -> str | None:
    """ "Mediator — not assigned (admin: /staff)" for a vacancy's key, else None."""
    for person in vacancies(plan, [key]):
        return t(lang, "vacancy_admin", position=position_of(person, lang) or person.name)
    return None


def who_text(plan: Plan, resp: Responsible, lang: str, *, admin: bool = False) -> str:
    """The names of `resp` (plain text: the caller escapes it)."""
    names = names_of(plan, resp, lang)
    if admin:
        names += [v for k in resp.people if (v := vacancy_text(plan, k, lang)) is not None]
    return ", ".join(names)


def ref_text(ref: str, lang: str) -> str:
    """A plan number as a user reads it: "1.4" as is, an agenda point "council-3.2" as
    "№3 отырыс, 2-мәселе" / "заседание №3, вопрос 2", a session "council-3" as "№3 отырыс"."""
    if not ref.startswith("council-"):
        return ref
    number, _, point = ref.removeprefix("council-").partition(".")
    if point:
        return t(lang, "ref_agenda", number=number, point=point)
    return t(lang, "ref_session", number=number)


def vacancy_position(plan: Plan, key: str, position: str | None, lang: str) -> str:
    """How a vacancy reads: the plan's position in `lang`, else the position as stored."""
    for person in plan.people:
        if person.key == key:
            return position_of(person, lang) or person.name
    return position or "—"


def position_text(plan: Plan, key: str, position: str | None, lang: str) -> str | None:
    """A person's position as stored, in `lang` where it is the plan's ("ДТЖЖО" reads
    "Заместитель директора по воспитательной работе" on a Russian screen)."""
    for person in plan.people:
        if person.key == key and person.position == position:
            return position_of(person, lang)
    return position
