"""The council's work plan: the schema of `seed/plan.json`, and loading it whole or not at all.

The Kazakh text is kept as written (`title`, `when`, `responsible.text`); the structured reading
sits beside it (`timing`, `people`, `groups`), and the Russian text beside the Kazakh one
(`title_ru`, `position_ru`, a group's `names.ru`: see `bot.core.plan_lang`). `python -m bot plan
check` prints them.

Loading (`load_plan`, `check_plan`, `parse_plan`) checks, beyond the schema:

* every `when` text reads with `parse_when` and agrees with its `timing`; a `timing` left out of
  the file is filled from `when`. A `when` that cannot be read needs a hand-written `timing`
  (then `when` stays as written and `timing` is the reading); without one it is an error;
* every person and group key that is referred to exists, keys and refs are unique, names and
  aliases name one person or group only, a sub-item ref starts with its item's ref, an item
  ref with its section's number, session numbers are unique;
* every item and agenda point names somebody responsible.

A problem is reported as `PlanError(path, where, message)` with `where` the JSON path in the
file, e.g. `sections[1].items[3].timing` or `sessions[4].agenda[0].reporters.people[1]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.core.roles import Role
from bot.core.timing import TimingError, TimingRule, describe_timing, parse_when


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Names(_Model):
    kk: str
    ru: str


class Person(_Model):
    """One real person. `aliases` are the spelling variants found in the source."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    roles: tuple[Role, ...] = Field(min_length=1)
    position: str | None = None  # as written, e.g. "ДТЖЖО", "Педагог – психолог"
    position_ru: str | None = None  # the position in Russian ("Заместитель директора по ВР")
    aliases: tuple[str, ...] = ()
    class_name: str | None = None
    external: bool = False  # police, doctor: not school staff
    # A position, not a person: the plan names a role nobody fills by name ("Медиатор").
    # Shown as a vacancy (to the admin, "not assigned"); never as somebody's name.
    vacancy: bool = False
    note: str | None = None  # how the source was read, where it needed a decision


class Group(_Model):
    """A group named in the plan. Membership: people with `roles`, plus listed `members`."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    names: Names
    roles: tuple[Role, ...] = ()
    members: tuple[str, ...] = ()  # person keys
    external: bool = False  # parents' committee, school parliament, district police
    aliases: tuple[str, ...] = ()
    note: str | None = None


class Responsible(_Model):
    """Who answers for an item: the text as written and its reading.

    `host`: the school staff who invite and host the item when everyone named is external
    (police, a doctor); empty: the plan's default host (`default_host`)."""

    text: str = ""
    people: tuple[str, ...] = ()  # person keys
    groups: tuple[str, ...] = ()  # group keys
    host: tuple[str, ...] = ()  # person keys


def _timing_optional(schema: dict[str, Any]) -> None:
    """In the file `timing` may be left out: it is then read from `when`."""
    required = schema.get("required", [])
    if "timing" in required:
        required.remove("timing")
    schema["properties"]["timing"]["description"] = (
        "The reading of `when`. Left out: read from `when` by parse_when. Given: it must agree "
        "with `when` where `when` can be read, and is the reading where it cannot."
    )


def _fill_timing(data: Any) -> Any:
    """Before validation: a missing `timing` is read from `when` (or it is an error)."""
    if not isinstance(data, dict) or data.get("timing") is not None:
        return data
    when = data.get("when")
    if not isinstance(when, str):
        return data  # no `when` (a sub-item without its own timing), or the schema says why
    try:
        rules = parse_when(when)
    except TimingError as error:
        raise PydanticCustomError(
            "when_unreadable",
            "{detail} (give `timing` by hand, or reword `when`)",
            {"detail": str(error)},
        ) from None
    return {**data, "timing": [rule.model_dump() for rule in rules]}


class _Timed(_Model):
    """Something with a `when` text and its `timing` reading (item, sub-item, session)."""

    model_config = ConfigDict(json_schema_extra=_timing_optional)

    @model_validator(mode="before")
    @classmethod
    def _read_when(cls, data: Any) -> Any:
        return _fill_timing(data)

    @model_validator(mode="after")
    def _timing_agrees(self) -> Self:
        _check_timing(getattr(self, "when", None), getattr(self, "timing", None))
        return self


def _check_timing(when: str | None, timing: Sequence[TimingRule] | None) -> None:
    """After validation: a given `timing` must agree with a `when` that can be read."""
    if when is None or timing is None:
        return
    try:
        rules = parse_when(when)
    except TimingError:
        return  # a hand-written timing for a phrase the parser does not know
    if list(timing) != rules:
        raise PydanticCustomError(
            "timing_mismatch",
            "timing says '{given}' but when {when} reads as '{read}'",
            {"given": describe_timing(timing), "when": repr(when), "read": describe_timing(rules)},
        )


class SubItem(_Timed):
    """A numbered sub-point. With its own `timing` it has its own occurrences (3.4 lectures)."""

    ref: str = Field(pattern=r"^\d+\.\d+\.\d+$")  # "2.1.3", "3.4.7"
    title: str
    title_ru: str | None = None  # the title in Russian (None: Kazakh is shown, logged once)
    when: str | None = None  # None: the parent's timing
    timing: tuple[TimingRule, ...] | None = None
    responsible: Responsible | None = None  # None: the parent's


class Item(_Timed):
    ref: str = Field(pattern=r"^\d+\.\d+$")  # "1.4"
    title: str
    title_ru: str | None = None
    when: str  # as written; "" for item 2.4
    timing: tuple[TimingRule, ...] = Field(min_length=1)
    responsible: Responsible
    subitems: tuple[SubItem, ...] = ()
    remind: bool = True  # False: tracked, but reminders come from elsewhere (1.6: sessions)
    # A routine duty (daily, weekly, all year): "card" (a reminder each time), "weekly_checkin"
    # (one Friday question for the week), "silent" (counted only). None: the default,
    # `bot.core.routine.mode_for` (a weekly check-in for daily duties, a card otherwise).
    routine: Literal["card", "weekly_checkin", "silent"] | None = None
    note: str | None = None  # how the source was read, where it needed a decision


class Section(_Model):
    number: int
    title: str
    title_ru: str | None = None
    items: tuple[Item, ...]


class AgendaPoint(_Model):
    number: int
    title: str
    title_ru: str | None = None
    reporters: Responsible


class Session(_Timed):
    """A council session (отырыс №N) with its agenda."""

    number: int = Field(ge=1)
    when: str
    timing: tuple[TimingRule, ...] = Field(min_length=1)  # a fixed date or a month
    agenda: tuple[AgendaPoint, ...] = Field(min_length=1)
    responsible: Responsible  # who reports, as written in the session's last column
    note: str | None = None  # how the source was read (the reporters of each point)
    reviews: tuple[str, ...] = ()  # item refs whose work this session looks at

    @property
    def ref(self) -> str:
        return f"council-{self.number}"


class Plan(_Model):
    title: str
    title_ru: str | None = None
    school: str
    school_ru: str | None = None
    source_year: str = Field(pattern=r"^\d{4}-\d{4}$")  # the year the plan was written for
    source: str  # file name of the source text in seed/
    people: tuple[Person, ...]
    groups: tuple[Group, ...]
    sections: tuple[Section, ...]
    sessions_title: str | None = None  # the heading of the sessions' section, as written
    sessions_title_ru: str | None = None
    sessions: tuple[Session, ...]
    # Who hosts items whose responsible are all external; empty: see `default_host`.
    default_host: tuple[str, ...] = ()

    def person(self, key: str) -> Person:
        """The person with this key (KeyError if none)."""
        for person in self.people:
            if person.key == key:
                return person
        raise KeyError(key)

    def group(self, key: str) -> Group:
        """The group with this key (KeyError if none)."""
        for group in self.groups:
            if group.key == key:
                return group
        raise KeyError(key)

    def items(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    def item(self, ref: str) -> Item:
        """The item with this ref, e.g. "1.4" (KeyError if none)."""
        for item in self.items():
            if item.ref == ref:
                return item
        raise KeyError(ref)

    def session(self, number: int) -> Session:
        """Session №`number` (KeyError if none)."""
        for session in self.sessions:
            if session.number == number:
                return session
        raise KeyError(number)

    def find_person(self, name: str) -> Person | None:
        """The person a name or an alias as written in the source stands for."""
        wanted = " ".join(name.split())
        for person in self.people:
            if wanted in {" ".join(n.split()) for n in (person.name, *person.aliases)}:
                return person
        return None


class PlanError(ValueError):
    """A plan file that cannot be loaded: `path` names the file, `where` the place in it.

    `load_plan` raises the first problem found; `others` holds the rest (`check_plan` lists
    them all).
    """

    def __init__(
        self, path: str, where: str, message: str, *, others: Sequence[PlanError] = ()
    ) -> None:
        text = f"{path}: {where}: {message}" if where else f"{path}: {message}"
        if others:
            text += f" (and {len(others)} more problem{'s' if len(others) > 1 else ''})"
        super().__init__(text)
        self.path = path
        self.where = where
        self.message = message
        self.others = tuple(others)

    def line(self) -> str:
        """One line naming the file, the place and the problem (without the count of others)."""
        return (
            f"{self.path}: {self.where}: {self.message}"
            if self.where
            else f"{self.path}: {self.message}"
        )


# --- Loading ---------------------------------------------------------------------------------

_RULE_KINDS = {
    "fixed_date",
    "months",
    "week_of_month",
    "daily",
    "weekly",
    "monthly",
    "all_year",
    "before_holidays",
    "per_student",
    "when_needed",
    "missing",
}


def json_path(loc: Iterable[int | str]) -> str:
    """A pydantic location as a JSON path: ("sections", 1, "items", 3) -> sections[1].items[3].
    Shared by the plan and the calendar, so both name a problem's place the same way."""
    out = ""
    previous: list[int | str] = []
    for part in loc:
        # a discriminated union puts the tag in the location: timing[0].months.months
        tagged = len(previous) >= 2 and previous[-2] == "timing" and isinstance(previous[-1], int)
        previous.append(part)
        if isinstance(part, int):
            out += f"[{part}]"
        elif tagged and part in _RULE_KINDS:
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _schema_problems(error: ValidationError) -> list[tuple[str, str]]:
    errors = error.errors()
    problems = []
    for err in errors:
        loc = err["loc"]
        if err["type"] == "too_short" and any(
            other["loc"][: len(loc)] == loc and len(other["loc"]) > len(loc) for other in errors
        ):
            continue  # "too short" only because an element inside failed: that one is reported
        where = json_path(loc)
        kind = err["type"]
        if kind == "when_unreadable":
            where = f"{where}.when" if where else "when"
            message = err["msg"]
        elif kind == "timing_mismatch":
            where = f"{where}.timing" if where else "timing"
            message = err["msg"]
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = "unknown field"
        else:
            message = err["msg"]
        problems.append((where, message))
    return problems


def _unique(
    values: Iterable[tuple[str, object]], what: str, problems: list[tuple[str, str]]
) -> None:
    """Report every value after its first use: (where, value) pairs in file order."""
    seen: dict[object, str] = {}
    for where, value in values:
        if value in seen:
            problems.append((where, f"duplicate {what} {value!r} (first at {seen[value]})"))
        else:
            seen[value] = where


def _reference_problems(plan: Plan) -> list[tuple[str, str]]:
    """Everything the schema cannot say: keys that exist and are unique, refs that fit."""
    problems: list[tuple[str, str]] = []
    people = {p.key for p in plan.people}
    groups = {g.key for g in plan.groups}

    _unique(
        ((f"people[{i}].key", p.key) for i, p in enumerate(plan.people)), "person key", problems
    )
    _unique(
        ((f"groups[{i}].key", g.key) for i, g in enumerate(plan.groups)), "group key", problems
    )
    for i, group in enumerate(plan.groups):
        if group.key in people:
            problems.append((f"groups[{i}].key", f"{group.key!r} is a person key as well"))

    def names() -> Iterator[tuple[str, str]]:
        for i, person in enumerate(plan.people):
            yield f"people[{i}].name", " ".join(person.name.split())
            for k, alias in enumerate(person.aliases):
                yield f"people[{i}].aliases[{k}]", " ".join(alias.split())
        for i, group in enumerate(plan.groups):
            for lang in ("kk", "ru"):
                yield f"groups[{i}].names.{lang}", " ".join(getattr(group.names, lang).split())
            for k, alias in enumerate(group.aliases):
                yield f"groups[{i}].aliases[{k}]", " ".join(alias.split())

    # A name may repeat inside one entry (an alias equal to the name), not across entries.
    owners: dict[str, tuple[str, str]] = {}
    for where, name in names():
        owner = where.split(".", 1)[0]
        if name in owners and owners[name][0] != owner:
            problems.append((where, f"{name!r} also names {owners[name][1]}"))
        owners.setdefault(name, (owner, where))

    for i, group in enumerate(plan.groups):
        for k, key in enumerate(group.members):
            if key not in people:
                problems.append((f"groups[{i}].members[{k}]", f"unknown person {key!r}"))
        _unique(((f"groups[{i}].members[{k}]", m) for k, m in enumerate(group.members)),
                "member", problems)  # fmt: skip

    def responsible(where: str, resp: Responsible, required: bool) -> None:
        for k, key in enumerate(resp.people):
            if key not in people:
                problems.append((f"{where}.people[{k}]", f"unknown person {key!r}"))
        for k, key in enumerate(resp.groups):
            if key not in groups:
                problems.append((f"{where}.groups[{k}]", f"unknown group {key!r}"))
        _unique(((f"{where}.people[{k}]", p) for k, p in enumerate(resp.people)), "person",
                problems)  # fmt: skip
        _unique(((f"{where}.groups[{k}]", g) for k, g in enumerate(resp.groups)), "group",
                problems)  # fmt: skip
        for k, key in enumerate(resp.host):
            if key not in people:
                problems.append((f"{where}.host[{k}]", f"unknown person {key!r}"))
        if required and not resp.people and not resp.groups:
            problems.append((where, "names nobody: give people or groups"))

    _unique(
        ((f"sections[{i}].number", s.number) for i, s in enumerate(plan.sections)),
        "section number",
        problems,
    )
    refs: list[tuple[str, str]] = []
    for i, section in enumerate(plan.sections):
        for j, item in enumerate(section.items):
            at = f"sections[{i}].items[{j}]"
            refs.append((f"{at}.ref", item.ref))
            if not item.ref.startswith(f"{section.number}."):
                problems.append((f"{at}.ref", f"{item.ref!r} is not in section {section.number}"))
            responsible(f"{at}.responsible", item.responsible, required=True)
            for k, sub in enumerate(item.subitems):
                refs.append((f"{at}.subitems[{k}].ref", sub.ref))
                if not sub.ref.startswith(f"{item.ref}."):
                    problems.append(
                        (f"{at}.subitems[{k}].ref", f"{sub.ref!r} does not start with {item.ref}.")
                    )
                if sub.responsible is not None:
                    responsible(f"{at}.subitems[{k}].responsible", sub.responsible, required=True)
    _unique(refs, "ref", problems)

    _unique(
        ((f"sessions[{i}].number", s.number) for i, s in enumerate(plan.sessions)),
        "session number",
        problems,
    )
    for k, key in enumerate(plan.default_host):
        if key not in people:
            problems.append((f"default_host[{k}]", f"unknown person {key!r}"))
    item_refs = {ref for _, ref in refs}
    for i, session in enumerate(plan.sessions):
        for k, ref in enumerate(session.reviews):
            if ref not in item_refs:
                problems.append((f"sessions[{i}].reviews[{k}]", f"no item {ref!r} in the plan"))
        responsible(f"sessions[{i}].responsible", session.responsible, required=False)
        _unique(
            (
                (f"sessions[{i}].agenda[{k}].number", p.number)
                for k, p in enumerate(session.agenda)
            ),
            "agenda point number",
            problems,
        )
        for k, point in enumerate(session.agenda):
            responsible(f"sessions[{i}].agenda[{k}].reporters", point.reporters, required=True)
    return problems


def _problems(data: object, path: str) -> tuple[Plan | None, list[PlanError]]:
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        return None, [PlanError(path, w, m) for w, m in _schema_problems(error)]
    return plan, [PlanError(path, w, m) for w, m in _reference_problems(plan)]


def _read(path: Path) -> tuple[object, list[PlanError]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return None, [PlanError(name, "", f"cannot read the file: {error.strerror or error}")]
    except UnicodeDecodeError as error:
        return None, [PlanError(name, "", f"not UTF-8 text: {error.reason} at byte {error.start}")]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as error:
        return None, [
            PlanError(name, f"line {error.lineno}, column {error.colno}", f"bad JSON: {error.msg}")
        ]


def check_plan(path: str | Path) -> tuple[Plan | None, list[PlanError]]:
    """Every problem that can be found, for `plan check`: the file, the schema, the references.

    The plan comes back whenever the schema accepts the file, so that what was understood can
    be shown next to the problems; it is a loaded plan only if the list is empty. To load a
    plan, use `load_plan`.
    """
    data, problems = _read(Path(path))
    if problems:
        return None, problems
    return _problems(data, str(path))


def _raise_first(problems: Sequence[PlanError]) -> None:
    if problems:
        first = problems[0]
        raise PlanError(first.path, first.where, first.message, others=problems[1:])


def parse_plan(data: object, path: str = "<plan>") -> Plan:
    """A checked plan from already-parsed JSON data, or the first `PlanError`."""
    plan, problems = _problems(data, path)
    _raise_first(problems)
    assert plan is not None
    return plan


def load_plan(path: str | Path) -> Plan:
    """Load a plan file whole, or raise `PlanError(path, where, message)`: never half-loaded.

    The error is the first problem found; `error.others` holds the rest.
    """
    plan, problems = check_plan(path)
    _raise_first(problems)
    assert plan is not None
    return plan


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of a plan file, generated from the models (published in seed/)."""
    schema = Plan.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "plan.schema.json",
        **schema,
        "title": "Kenes council work plan",
        "description": (
            "The yearly work plan of a school's Council for the prevention of offences, "
            "as read by the Kenes bot. Texts are kept as written in the source; `timing`, "
            "`people` and `groups` are their reading; `title_ru` (and `position_ru`, "
            "`names.ru`) is the Russian a Russian-speaking user reads."
        ),
    }


def plan_schema_text() -> str:
    """The schema as it is committed in `seed/plan.schema.json`."""
    return json.dumps(plan_json_schema(), ensure_ascii=False, indent=2) + "\n"


# --- Saying what was understood --------------------------------------------------------------


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def describe_responsible(plan: Plan, resp: Responsible) -> str:
    """Who, by display name: people first, then groups (kk name)."""
    people = {p.key: p for p in plan.people}
    groups = {g.key: g for g in plan.groups}
    names: list[str] = []
    for key in resp.people:
        person = people.get(key)
        if person is None:
            names.append(f"?{key}")
        else:
            names.append(f"{person.name} ({person.position})" if person.position else person.name)
    names.extend(
        f"[{groups[key].names.kk}]" if key in groups else f"?{key}" for key in resp.groups
    )
    return ", ".join(names) if names else "nobody"


def _describe_when(when: str | None, timing: Sequence[TimingRule]) -> str:
    written = _short(when or "", 40)
    try:
        by_hand = when is not None and list(timing) != parse_when(when)
    except TimingError:
        by_hand = True
    tail = " (timing given by hand)" if by_hand else ""
    return f"{written!r} -> {describe_timing(timing)}{tail}"


def describe_plan(
    plan: Plan,
    *,
    header: Sequence[str] = (),
    notes: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """Item by item, what was understood: ref, title, timing in plain words, who is responsible.

    `header` lines follow the counts; `notes` adds lines under a ref (an item, a sub-item,
    "council-3" or an agenda point "council-3.2"): what the plan in use changed.
    """
    extra = notes or {}
    lines = [
        f"{plan.title} ({plan.school}; written for {plan.source_year}; source {plan.source})",
        f"{len(plan.people)} people, {len(plan.groups)} groups, "
        f"{sum(1 for _ in plan.items())} items, {len(plan.sessions)} sessions",
        *header,
    ]
    for section in plan.sections:
        lines.append(f"{section.number}. {_short(section.title)}")
        for item in section.items:
            lines.append(f"  {item.ref}  {_short(item.title)}")
            lines.append(f"        when: {_describe_when(item.when, item.timing)}")
            lines.append(f"        who:  {describe_responsible(plan, item.responsible)}")
            if not item.remind:
                lines.append("        reminders: none for this item")
            if item.note:
                lines.append(f"        note: {item.note}")
            lines.extend(f"        {line}" for line in extra.get(item.ref, ()))
            for sub in item.subitems:
                lines.append(f"    {sub.ref}  {_short(sub.title)}")
                if sub.timing is not None:
                    lines.append(f"          when: {_describe_when(sub.when, sub.timing)}")
                if sub.responsible is not None:
                    lines.append(f"          who:  {describe_responsible(plan, sub.responsible)}")
                lines.extend(f"          {line}" for line in extra.get(sub.ref, ()))
    lines.append("Council sessions")
    for session in plan.sessions:
        lines.append(f"  {session.ref}  {_describe_when(session.when, session.timing)}")
        lines.extend(f"        {line}" for line in extra.get(session.ref, ()))
        for point in session.agenda:
            lines.append(f"    {point.number}. {_short(point.title)}")
            lines.append(f"          who:  {describe_responsible(plan, point.reporters)}")
            lines.extend(
                f"          {line}" for line in extra.get(f"{session.ref}.{point.number}", ())
            )
        if session.note:
            lines.append(f"        note: {session.note}")
    return lines
