"""Reading a *Responsible* cell (Жауапты / Ответственные): people by name, roles and groups by
the words a Kazakh or Russian plan uses for them.

A cell is cut into pieces at line breaks, commas and semicolons. A piece with a name (Иванова
А.А., А.А. Иванова) is a person; the words around the name are the person's position, and they
give the roles ("социальный педагог Иванова А.А." is the social pedagogue). A piece without a
name is a group or a role: "Кл.жетекшілер" / "классные руководители" are the class teachers,
"социальный педагог" alone is whoever holds that role in the school (a role group, resolved
against the staff in the database). Police, doctors, prosecutors, the parents' committee and the
school parliament are outside the school (external). A piece with none of these is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.roles import Role

_UP = "А-ЯЁӘҒҚҢӨҰҮҺІ"
_LO = "а-яёәғқңөұүһі"
_NAME = re.compile(
    rf"(?P<sur>[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?)\s*(?P<i1>[{_UP}])\s*\.\s*(?P<i2>[{_UP}])\.?"
    rf"|(?P<j1>[{_UP}])\s*\.\s*(?P<j2>[{_UP}])\s*\.\s*(?P<sur2>[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?)"
)
_SPLIT = re.compile(r"[\n,;]+")


@dataclass(frozen=True, slots=True)
class GroupKind:
    key: str
    kk: str
    ru: str
    roles: tuple[Role, ...] = ()
    external: bool = False


GROUPS: dict[str, GroupKind] = {
    g.key: g
    for g in (
        GroupKind("class-teachers", "1-11 сынып жетекшілері", "Классные руководители 1-11",
                  (Role.CLASS_TEACHER,)),
        GroupKind("council-members", "Кеңес мүшелері", "Члены совета",
                  (Role.CHAIR, Role.COUNCIL_MEMBER)),
        GroupKind("psych-service", "Мектеп психологиялық қызметінің мүшелері",
                  "Члены психологической службы школы",
                  (Role.SOCIAL_PEDAGOGUE, Role.PSYCHOLOGIST)),
        GroupKind("parents-committee", "Ата-аналар комитетінің мүшелері",
                  "Члены родительского комитета", external=True),
        GroupKind("school-parliament", "Мектеп парламенті", "Школьный парламент",
                  external=True),
        GroupKind("social-pedagogue", "Әлеуметтік педагог", "Социальный педагог",
                  (Role.SOCIAL_PEDAGOGUE,)),
        GroupKind("psychologists", "Психологтар", "Психологи", (Role.PSYCHOLOGIST,)),
        GroupKind("deputy-directors", "Директор орынбасарлары", "Заместители директора",
                  (Role.DEPUTY_DIRECTOR,)),
        GroupKind("chair", "Кеңес төрағасы", "Председатель совета", (Role.CHAIR,)),
        GroupKind("librarian", "Кітапханашы", "Библиотекарь", (Role.LIBRARIAN,)),
        GroupKind("organisers", "Педагог-ұйымдастырушы", "Педагог-организатор",
                  (Role.ORGANISER,)),
        GroupKind("teachers", "Пән мұғалімдері", "Учителя-предметники", (Role.TEACHER,)),
    )
}  # fmt: skip

# (folded fragment, what it means). Meanings: "group:<key>", "role:<role>", "external".
_WORDS: tuple[tuple[str, str], ...] = (
    ("психологиялық қызмет", "group:psych-service"),
    ("психологическ", "group:psych-service"),
    ("спс", "group:psych-service"),
    ("кеңес мүшел", "group:council-members"),
    ("кеңестің мүшел", "group:council-members"),
    ("члены совета", "group:council-members"),
    ("члены сп", "group:council-members"),
    ("ата-аналар комитет", "group:parents-committee"),
    ("ата- аналар комитет", "group:parents-committee"),
    ("родительск", "group:parents-committee"),
    ("парламент", "group:school-parliament"),
    (" мп ", "group:school-parliament"),
    ("самоуправлен", "group:school-parliament"),
    ("совет старшеклассник", "group:school-parliament"),
    ("сынып жетекшілер", "group:class-teachers"),
    ("класс жетекшілер", "group:class-teachers"),
    ("кл.жетекшілер", "group:class-teachers"),
    ("кл. жетекшілер", "group:class-teachers"),
    ("кл.жетек", "group:class-teachers"),
    ("классные руководител", "group:class-teachers"),
    ("кл. руководител", "group:class-teachers"),
    ("кл.руководител", "group:class-teachers"),
    ("классных руководител", "group:class-teachers"),
    ("пән мұғалімдер", "group:teachers"),
    ("учителя-предметник", "group:teachers"),
    ("учителя предметник", "group:teachers"),
    ("учителя", "group:teachers"),
    ("әлеуметтік педагог", "role:social_pedagogue"),
    ("социальный педагог", "role:social_pedagogue"),
    ("соц. педагог", "role:social_pedagogue"),
    ("соц.педагог", "role:social_pedagogue"),
    ("соцпедагог", "role:social_pedagogue"),
    ("психолог", "role:psychologist"),
    ("дтжжо", "role:deputy_director"),
    ("дотжо", "role:deputy_director"),
    ("здвр", "role:deputy_director"),
    ("здур", "role:deputy_director"),
    ("зам. директора", "role:deputy_director"),
    ("зам.директора", "role:deputy_director"),
    ("заместитель директора", "role:deputy_director"),
    ("зам по", "role:deputy_director"),
    ("директор орынбасар", "role:deputy_director"),
    ("кеңес төраға", "role:chair"),
    ("председатель совета", "role:chair"),
    ("председатель сп", "role:chair"),
    ("төраға", "role:chair"),
    ("председатель", "role:chair"),
    ("кітапханашы", "role:librarian"),
    ("библиотекар", "role:librarian"),
    ("ұйымдастырушы", "role:organiser"),
    ("тәлімгер", "role:organiser"),
    ("организатор", "role:organiser"),
    ("вожат", "role:organiser"),
    ("медиатор", "role:teacher"),
    ("мұғалім", "role:teacher"),
    ("учитель", "role:teacher"),
    ("педагог", "role:teacher"),
    ("жетекші", "role:teacher"),
    ("руководител", "role:teacher"),
    ("ііб", "external"),
    ("иіб", "external"),
    ("полиц", "external"),
    ("инспектор", "external"),
    ("пдн", "external"),
    ("ювенал", "external"),
    ("участков", "external"),
    ("прокурат", "external"),
    ("нарколог", "external"),
    ("дәрігер", "external"),
    ("врач", "external"),
    ("емхан", "external"),
    ("поликлиник", "external"),
    ("больниц", "external"),
    ("кдн", "external"),
    ("сөс", "external"),
    ("оп ", "external"),
)
# Roles that, named without a person, stand for a role group.
_ROLE_GROUPS = {
    Role.SOCIAL_PEDAGOGUE: "social-pedagogue",
    Role.PSYCHOLOGIST: "psychologists",
    Role.DEPUTY_DIRECTOR: "deputy-directors",
    Role.CHAIR: "chair",
    Role.LIBRARIAN: "librarian",
    Role.ORGANISER: "organisers",
    Role.TEACHER: "teachers",
}

_TRANSLIT = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        "ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
        "ъ": "", "ь": "", "ю": "yu", "я": "ya", "ә": "a", "ғ": "g", "қ": "k", "ң": "n",
        "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    }
)  # fmt: skip


def fold(text: str) -> str:
    return " ".join(text.replace("–", "-").replace("—", "-").casefold().split())


def slug(text: str) -> str:
    """A key for the plan file: "Иванова А.А." -> "ivanova-aa"."""
    out = re.sub(r"[^a-z0-9]+", "-", fold(text).translate(_TRANSLIT)).strip("-")
    return out or "x"


def _meanings(text: str) -> list[str]:
    """What the words of `text` say, each fragment once, longest first."""
    folded = " " + fold(text) + " "
    found: list[str] = []
    taken = [False] * len(folded)
    for fragment, meaning in sorted(_WORDS, key=lambda w: -len(w[0])):
        start = folded.find(fragment)
        while start >= 0:
            end = start + len(fragment)
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                found.append(meaning)
            start = folded.find(fragment, end)
    return found


@dataclass(slots=True)
class PersonReading:
    key: str
    name: str
    roles: list[Role]
    position: str | None
    external: bool
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Mapped:
    """One piece of a cell and what it was read as."""

    text: str
    kind: str  # "person", "group", "unread"
    key: str = ""


@dataclass(slots=True)
class Directory:
    """The people and groups met so far in one import; known people (from the plan in use)
    keep their keys, so their Telegram accounts and reports stay theirs."""

    known: dict[str, PersonReading] = field(default_factory=dict)  # folded name -> person
    people: dict[str, PersonReading] = field(default_factory=dict)  # key -> person
    groups: dict[str, GroupKind] = field(default_factory=dict)

    def person(self, name: str, position: str, meanings: Iterable[str]) -> PersonReading:
        roles = [Role(m[5:]) for m in meanings if m.startswith("role:")]
        external = "external" in meanings
        wanted = fold(name)
        found = self.known.get(wanted)
        if found is None:
            for person in self.people.values():
                if fold(person.name) == wanted or wanted in map(fold, person.aliases):
                    found = person
                    break
        if found is None:
            key = slug(name)
            while key in self.people and fold(self.people[key].name) != wanted:
                key += "-2"
            if len(roles) > 1 and Role.TEACHER in roles:
                roles.remove(Role.TEACHER)  # "Педагог – психолог": the psychologist
            found = PersonReading(
                key=key,
                name=name,
                roles=[Role.EXTERNAL] if external else roles or [Role.TEACHER],
                position=position or None,
                external=external,
            )
        if found.key not in self.people:
            self.people[found.key] = found
        elif not found.position and position:
            found.position = position
            if found.roles == [Role.TEACHER] and roles:
                found.roles = [r for r in roles if r is not Role.TEACHER] or roles
        return found

    def group(self, key: str) -> str:
        self.groups.setdefault(key, GROUPS[key])
        return key

    def external_group(self, text: str) -> str:
        key = "ext-" + slug(text)[:40]
        self.groups.setdefault(key, GroupKind(key, text, text, external=True))
        return key


def read_responsible(text: str, directory: Directory) -> list[Mapped]:
    """The pieces of a *Responsible* cell, each read as a person, a group or nothing."""
    out: list[Mapped] = []
    pieces = [
        (n, piece) for n, line in enumerate(text.split("\n")) for piece in _SPLIT.split(line)
    ]
    line_of: dict[int, int] = {}
    for n, piece in pieces:
        piece = " ".join(piece.split()).strip(" .–-")
        if not piece:
            continue
        names = list(_NAME.finditer(piece))
        if names:
            rest = _NAME.sub(" ", piece)
            position = " ".join(rest.replace("–", " ").split()).strip(" -.")
            meanings = _meanings(rest)
            for m in names:
                if m.group("sur"):
                    name = f"{m.group('sur')} {m.group('i1')}.{m.group('i2')}."
                else:
                    name = f"{m.group('sur2')} {m.group('j1')}.{m.group('j2')}."
                person = directory.person(name, position, meanings)
                line_of[len(out)] = n
                out.append(Mapped(piece, "person", person.key))
            continue
        alias = directory.known.get(fold(piece))
        if alias is not None:  # the plan in use reads this spelling as a person
            directory.people.setdefault(alias.key, alias)
            out.append(Mapped(piece, "person", alias.key))
            continue
        meanings = _meanings(piece)
        groups = [m[6:] for m in meanings if m.startswith("group:")]
        if groups:
            out.extend(Mapped(piece, "group", directory.group(g)) for g in groups)
        elif "external" in meanings:
            out.append(Mapped(piece, "group", directory.external_group(piece)))
        elif roles := [Role(m[5:]) for m in meanings if m.startswith("role:")]:
            last = out[-1] if out and line_of.get(len(out) - 1) == n else None
            named = directory.people.get(last.key) if last and last.kind == "person" else None
            if named is not None and named.position is None and not named.external:
                # "Сидоров А.Б., учитель права": the position written after the name
                named.position = piece
                if named.roles == [Role.TEACHER] or not named.roles:
                    named.roles = roles
                continue
            out.append(Mapped(piece, "group", directory.group(_ROLE_GROUPS[roles[0]])))
        else:
            out.append(Mapped(piece, "unread"))
    return out
