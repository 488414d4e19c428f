"""Tables to plan data: which column is which, which row is a section, an item or a council
session, and every cell that could not be read, with its place.

Columns are found by their headings, in any order (№; Іс-шара / Мазмұны / Мероприятие /
Содержание; Мерзімі / Орындау уақыты / Сроки; Жауапты / Ответственные); other columns (a mark of
completion, a form of report) are left out and named in the review. A table without a heading
row continues the previous table (Word splits a long table at a page break when it is pasted).

Rows: a row whose cells all say the same (merged across) or that has a heading but no timing
and nobody responsible is a section; a section titled with "отырыс" / "заседани" holds the
council sessions. A session row starts with "№3 отырыс" / "Заседание №3"; its numbered lines
are the agenda; a sessions table may also give each agenda point its own row with the session's
number in the first column (merged down).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.importer.people import (
    Directory,
    GroupKind,
    Mapped,
    PersonReading,
    fold,
    read_responsible,
)
from bot.core.importer.tables import Place, Table
from bot.core.plan import Plan
from bot.core.timing import TimingError, TimingRule, parse_when

# Folded heading fragments per column, most specific first.
_HEADINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("number", ("№", "р/с", "п/п", "n п/п", "no")),
    ("when", ("мерзім", "срок", "орындау уақыт", "уақыты", "дата", "время", "когда")),
    ("responsible", ("жауапты", "ответствен", "орындалуына", "исполнител", "баяндамашы",
                     "докладчик", "кто")),
    ("title", ("іс-шара", "іс шара", "мазмұн", "мероприят", "содержан", "наименован",
               "тақырып", "атауы", "жұмыс түр", "вопрос", "повестк", "тема", "жұмыс")),
)  # fmt: skip
_ITEM_REF = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?\.?$")
_INT = re.compile(r"^№?\s*(\d+)[.)]?$")
_SECTION_TEXT = re.compile(r"^\s*(?:раздел|бөлім)?\s*(\d+|[IVXІ]+)\s*[.)]\s*(\S.*)$", re.I | re.S)
_SESSION_HEAD = re.compile(
    r"^\s*(?:№\s*(?P<a>\d+)\s*-?\s*(?:отырыс|заседани)\w*"
    r"|(?:отырыс|заседани)\w*\s*№\s*(?P<b>\d+)"
    r"|(?P<c>\d+)\s*-?\s*(?:отырыс|заседани)\w*)\s*[:.]?\s*",
    re.I,
)
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s*(.*)$")
_LETTERED = re.compile(r"^\s*([а-яәіңғүұқөһ])\)\s*(.*)$")
_LETTERS = "аәбвгғдежз"
_AGENDA_WORDS = ("повестк", "күн тәртіб", "заседани", "отырыс")
_YEAR_PAIR = re.compile(r"(?<!\d)(\d{4})\s*[-–—]\s*(\d{4})(?!\d)")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}


@dataclass(frozen=True, slots=True)
class Problem:
    place: Place | None
    message: str  # English, for the log and the CLI; the bot shows `code` in its language
    code: str = "unread"  # "timing", "responsible", "row", "column", "session"
    text: str = ""  # the cell as written


@dataclass(slots=True)
class TimingRead:
    ref: str
    title: str
    when: str
    rules: list[TimingRule] | None  # None: not understood
    place: Place | None
    error: str = ""


@dataclass(slots=True)
class ResponsibleRead:
    ref: str
    text: str
    mapped: list[Mapped]
    place: Place | None


@dataclass(slots=True)
class Imported:
    data: dict[str, Any]
    timings: list[TimingRead] = field(default_factory=list)
    responsible: list[ResponsibleRead] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[Place] = field(default_factory=list)
    items: int = 0
    sessions: int = 0
    people: dict[str, PersonReading] = field(default_factory=dict)
    groups: dict[str, GroupKind] = field(default_factory=dict)
    new_people: list[str] = field(default_factory=list)  # names not in the plan in use

    @property
    def understood(self) -> tuple[int, int]:
        """(timings understood, timings read)."""
        return sum(t.rules is not None for t in self.timings), len(self.timings)


@dataclass(slots=True)
class _Columns:
    number: int | None = None
    title: int | None = None
    when: int | None = None
    responsible: int | None = None
    names: dict[int, str] = field(default_factory=dict)
    ignored: list[int] = field(default_factory=list)


def _columns(row: Sequence[str]) -> _Columns | None:
    cols = _Columns()
    for i, cell in enumerate(row):
        text = fold(cell)
        if not text:
            continue
        for name, words in _HEADINGS:
            if getattr(cols, name) is not None:
                continue
            if name == "number":
                hit = text in words or (text.startswith("№") and len(text) <= 6)
            else:
                hit = any(w in text for w in words)
            if hit:
                setattr(cols, name, i)
                cols.names[i] = " ".join(cell.split())
                break
        else:
            cols.ignored.append(i)
            cols.names[i] = " ".join(cell.split())
    if cols.title is None or (cols.when is None and cols.responsible is None):
        return None
    return cols


def _cell(row: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _split_points(text: str, *, letters: bool) -> tuple[str, list[str]]:
    heading: list[str] = []
    points: list[list[str]] = []
    for line in text.split("\n"):
        numbered = _NUMBERED.match(line)
        lettered = _LETTERED.match(line) if letters else None
        expected = len(points) + 1
        if numbered and int(numbered.group(1)) == expected:
            points.append([numbered.group(2)])
        elif lettered and _LETTERS.find(lettered.group(1)) == expected - 1:
            points.append([lettered.group(2)])
        elif points:
            points[-1].append(line)
        else:
            heading.append(line)
    return "\n".join(heading).strip(), ["\n".join(p).strip() for p in points]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


class _Builder:
    def __init__(self, known: Plan | None) -> None:
        self.directory = Directory()
        self.known = known
        self.known_keys = {p.key for p in known.people} if known is not None else set()
        if known is not None:
            for p in known.people:
                reading = PersonReading(
                    p.key, p.name, list(p.roles), p.position, p.external, list(p.aliases)
                )
                for name in (p.name, *p.aliases):
                    self.directory.known[fold(name)] = reading
                self.directory.people[p.key] = reading
        self.out = Imported(data={})
        self.sections: list[dict[str, Any]] = []
        self.sessions: dict[int, dict[str, Any]] = {}
        self.session_resp: dict[int, list[tuple[str, Place | None]]] = {}
        self.mode = "items"
        self.refs: set[str] = set()
        self.sessions_title: str | None = None
        self.texts: list[str] = []

    # --- places and problems -----------------------------------------------------------------

    def place(self, table: Table, row: int, col: int | None, cols: _Columns) -> Place | None:
        if col is None:
            return None
        return Place(table.index, row + 1, col + 1, cols.names.get(col, ""))

    def problem(self, place: Place | None, message: str, code: str, text: str = "") -> None:
        self.out.problems.append(Problem(place, message, code, text))

    # --- reading -----------------------------------------------------------------------------

    def timing(
        self, ref: str, title: str, when: str, place: Place | None
    ) -> list[dict[str, Any]] | None:
        """None: read it from `when` when the plan loads; a list: given by hand (missing)."""
        try:
            rules = parse_when(when)
        except TimingError as error:
            self.out.timings.append(TimingRead(ref, title, when, None, place, error.detail))
            self.problem(place, f"{ref}: timing not understood: {error.detail}", "timing", when)
            return [{"kind": "missing"}]
        self.out.timings.append(TimingRead(ref, title, when, rules, place))
        if any(rule.kind == "missing" for rule in rules):
            self.problem(place, f"{ref}: no timing given", "no_timing", when)
        return None

    def who(self, ref: str, text: str, place: Place | None) -> dict[str, Any]:
        mapped = read_responsible(text, self.directory)
        self.out.responsible.append(ResponsibleRead(ref, text, mapped, place))
        for piece in mapped:
            if piece.kind == "unread":
                self.problem(place, f"{ref}: nobody known in {piece.text!r}", "responsible",
                             piece.text)  # fmt: skip
        people = list(dict.fromkeys(m.key for m in mapped if m.kind == "person"))
        groups = list(dict.fromkeys(m.key for m in mapped if m.kind == "group"))
        if not people and not groups:
            groups = [self.directory.group("council-members")]
            if not text.strip():
                self.problem(place, f"{ref}: nobody responsible; the council members", "nobody")
        return {"text": text, "people": people, "groups": groups}

    def section(self, number: int | None, title: str) -> None:
        if any(w in fold(title) for w in ("отырыс", "заседани")):
            self.mode = "sessions"
            self.sessions_title = title
            return
        self.mode = "items"
        used = {s["number"] for s in self.sections}
        if number is None or number in used:
            number = max(used, default=0) + 1
        self.sections.append({"number": number, "title": title, "items": []})

    def item(self, table: Table, r: int, row: Sequence[str], cols: _Columns, number: str) -> None:
        if not self.sections:
            self.section(None, "Жұмыс жоспары")
        section = self.sections[-1]
        title_text = _cell(row, cols.title)
        when = _cell(row, cols.when)
        resp = _cell(row, cols.responsible)
        m = _ITEM_REF.match(number)
        if m and m.group(3) is not None:
            parent = f"{m.group(1)}.{m.group(2)}"
            for existing in section["items"]:
                if existing["ref"] == parent:
                    self.subitem(existing, f"{parent}.{m.group(3)}", table, r, row, cols)
                    return
        ref = ""
        if m and int(m.group(1)) == section["number"]:
            ref = f"{m.group(1)}.{m.group(2)}"
        elif (plain := _INT.match(number)) is not None:
            ref = f"{section['number']}.{plain.group(1)}"
        if not ref or ref in self.refs:
            count = len(section["items"]) + 1
            ref = f"{section['number']}.{count}"
            while ref in self.refs:
                count += 1
                ref = f"{section['number']}.{count}"
        self.refs.add(ref)
        title, points = _split_points(title_text, letters=True)
        if not title and points:
            title, points = points[0], points[1:]
        item: dict[str, Any] = {"ref": ref, "title": title or title_text, "when": when}
        when_place = self.place(table, r, cols.when, cols)
        resp_place = self.place(table, r, cols.responsible, cols)
        month_lines = _lines(when)
        per_point = len(points) > 1 and len(month_lines) == len(points)
        if per_point:  # 3.4: one *When* line per sub-point; the item reads them all
            try:
                item["timing"] = [rule.model_dump() for rule in parse_when(when)]
            except TimingError:
                item["timing"] = [{"kind": "missing"}]
        else:
            timing = self.timing(ref, item["title"], when, when_place)
            if timing is not None:
                item["timing"] = timing
        item["responsible"] = self.who(ref, resp, resp_place)
        resp_lines = _lines(resp)
        subitems = []
        for n, text in enumerate(points, start=1):
            sub: dict[str, Any] = {"ref": f"{ref}.{n}", "title": text}
            if per_point:
                sub["when"] = month_lines[n - 1]
                sub_timing = self.timing(sub["ref"], text, sub["when"], when_place)
                if sub_timing is not None:
                    sub["timing"] = sub_timing
                if len(resp_lines) == len(points):
                    sub["responsible"] = self.who(sub["ref"], resp_lines[n - 1], resp_place)
            subitems.append(sub)
        if subitems:
            item["subitems"] = subitems
        self.texts.append(title_text)
        section["items"].append(item)

    def subitem(
        self,
        item: dict[str, Any],
        ref: str,
        table: Table,
        r: int,
        row: Sequence[str],
        cols: _Columns,
    ) -> None:
        title = _cell(row, cols.title)
        sub: dict[str, Any] = {"ref": ref, "title": title}
        when = _cell(row, cols.when)
        if when:
            sub["when"] = when
            timing = self.timing(ref, title, when, self.place(table, r, cols.when, cols))
            if timing is not None:
                sub["timing"] = timing
        resp = _cell(row, cols.responsible)
        if resp:
            place = self.place(table, r, cols.responsible, cols)
            sub["responsible"] = self.who(ref, resp, place)
        item.setdefault("subitems", []).append(sub)

    def session(
        self,
        number: int,
        table: Table,
        r: int,
        row: Sequence[str],
        cols: _Columns,
        agenda_text: str,
    ) -> None:
        when = _cell(row, cols.when)
        resp = _cell(row, cols.responsible)
        session = self.sessions.get(number)
        place = self.place(table, r, cols.when, cols)
        if session is None:
            session = {"number": number, "when": when, "agenda": []}
            self.sessions[number] = session
            self.session_resp[number] = []
            timing = self.timing(f"council-{number}", f"№{number}", when, place)
            if timing is not None:
                session["timing"] = timing
        elif when and not session["when"]:
            session["when"] = when
            timing = self.timing(f"council-{number}", f"№{number}", when, place)
            if timing is not None:
                session["timing"] = timing
        heading, points = _split_points(agenda_text, letters=False)
        if not points and heading:  # a point of its own row: "2. Вопрос второй"
            numbered = _NUMBERED.match(heading)
            points = [numbered.group(2).strip() if numbered else heading]
        resp_place = self.place(table, r, cols.responsible, cols)
        resp_lines = _lines(resp)
        for k, text in enumerate(points):
            line = resp_lines[k] if len(resp_lines) == len(points) else resp
            session["agenda"].append({"title": text, "who": (line, resp_place)})
        if resp:
            self.session_resp[number].append((resp, resp_place))
        self.texts.append(agenda_text)

    def rows(self, table: Table, cols: _Columns, start: int) -> None:
        for r in range(start, len(table.rows)):
            row = table.rows[r]
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            number = _cell(row, cols.number)
            title = _cell(row, cols.title)
            when = _cell(row, cols.when)
            resp = _cell(row, cols.responsible)
            distinct = {c for c in cells if c}
            head = _SESSION_HEAD.match(title.split("\n", 1)[0]) if title else None
            if head is not None:
                n = int(head.group("a") or head.group("b") or head.group("c"))
                self.mode = "sessions"
                self.session(n, table, r, row, cols, title[head.end() :].strip())
                continue
            in_number = _SESSION_HEAD.match(number) if number else None
            if in_number is not None:  # "Заседание №1" in the № column, merged down
                n = int(in_number.group("a") or in_number.group("b") or in_number.group("c"))
                self.mode = "sessions"
                self.session(n, table, r, row, cols, title)
                continue
            if _ITEM_REF.match(number) is None and (
                len(distinct) == 1
                or (not when and not resp and (not number or _INT.match(number)))
            ):
                text = next(iter(distinct)) if len(distinct) == 1 else title
                m = _SECTION_TEXT.match(text)
                if m:
                    raw = m.group(1).lower().replace("і", "i")
                    self.section(
                        int(raw) if raw.isdigit() else _ROMAN.get(raw), m.group(2).strip()
                    )
                elif (n2 := _INT.match(number)) is not None and number != text:
                    self.section(int(n2.group(1)), text)
                else:
                    self.section(None, " ".join(text.split()))
                continue
            if self.mode == "sessions":
                n3 = _INT.match(number.replace("№", "").strip())
                if n3 is not None:
                    self.session(int(n3.group(1)), table, r, row, cols, title)
                elif self.sessions:
                    self.session(max(self.sessions), table, r, row, cols, title)
                else:
                    place = self.place(table, r, cols.title, cols)
                    self.problem(place, "a sessions row without a session number", "session",
                                 title)  # fmt: skip
                continue
            if not title:
                self.problem(self.place(table, r, cols.title, cols), "a row without text", "row")
                continue
            self.item(table, r, row, cols, number)

    def finish(self, meta: dict[str, Any]) -> Imported:
        sessions = []
        for number in sorted(self.sessions):
            s = self.sessions[number]
            agenda = []
            for k, point in enumerate(s.pop("agenda"), start=1):
                line, place = point["who"]
                agenda.append(
                    {
                        "number": k,
                        "title": point["title"],
                        "reporters": self.who(f"council-{number}.{k}", line, place),
                    }
                )
            if not agenda:
                self.problem(None, f"council-{number}: no agenda points", "session")
                agenda = [
                    {
                        "number": 1,
                        "title": "—",
                        "reporters": {"text": "", "people": [], "groups": ["council-members"]},
                    }
                ]
                self.directory.group("council-members")
            s["agenda"] = agenda
            texts = "\n".join(t for t, _ in self.session_resp[number])
            resp = read_responsible(texts, self.directory)
            s["responsible"] = {
                "text": texts,
                "people": list(dict.fromkeys(m.key for m in resp if m.kind == "person")),
                "groups": list(dict.fromkeys(m.key for m in resp if m.kind == "group")),
            }
            sessions.append(s)
        d = self.directory
        people = []
        for p in d.people.values():
            entry: dict[str, Any] = {
                "key": p.key,
                "name": p.name,
                "roles": [str(r) for r in p.roles],
            }
            if p.position:
                entry["position"] = p.position
                before = (
                    self.known.person(p.key)
                    if self.known is not None and p.key in self.known_keys
                    else None
                )
                if before is not None:
                    if before.position_ru and before.position == p.position:
                        entry["position_ru"] = before.position_ru
                    if before.vacancy:
                        entry["vacancy"] = True
            if p.aliases:
                entry["aliases"] = list(p.aliases)
            if p.external:
                entry["external"] = True
            people.append(entry)
        groups = []
        for g in d.groups.values():
            group: dict[str, Any] = {"key": g.key, "names": {"kk": g.kk, "ru": g.ru}}
            if g.roles:
                group["roles"] = [str(r) for r in g.roles]
            if g.external:
                group["external"] = True
            groups.append(group)
        data: dict[str, Any] = {**meta, "people": people, "groups": groups}
        data["sections"] = self.sections
        if self.sessions_title is not None:
            data["sessions_title"] = self.sessions_title
        data["sessions"] = sessions
        self.out.data = with_russian(data, self.known)
        self.out.items = sum(len(s["items"]) for s in self.sections)
        self.out.sessions = len(sessions)
        self.out.people = dict(d.people)
        self.out.new_people = [p.name for k, p in d.people.items() if k not in self.known_keys]
        self.out.groups = dict(d.groups)
        return self.out


_KAZAKH_LETTERS = frozenset("әіңғүұқөһ")


def is_russian(text: str) -> bool:
    """Cyrillic text without a Kazakh letter: Russian (a Kazakh title has at least one)."""
    folded = text.casefold()
    return any("а" <= ch <= "я" or ch == "ё" for ch in folded) and not (
        _KAZAKH_LETTERS & set(folded)
    )


def _titled(entry: dict[str, Any], ru: str | None) -> dict[str, Any]:
    """`entry` with `title_ru` right after its `title` (when there is a Russian text)."""
    if not ru:
        return entry
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key != "title_ru":
            out[key] = value
        if key == "title":
            out["title_ru"] = ru
    return out


def with_russian(data: dict[str, Any], known: Plan | None) -> dict[str, Any]:
    """The Russian beside each title: the title itself where it is Russian (a Russian plan),
    else the plan in use's `title_ru` where it has the same title under the same number."""
    old: dict[str, tuple[str, str | None]] = {}
    if known is not None:
        for section in known.sections:
            old[f"section {section.number}"] = (section.title, section.title_ru)
            for item in section.items:
                old[item.ref] = (item.title, item.title_ru)
                for sub in item.subitems:
                    old[sub.ref] = (sub.title, sub.title_ru)
        for session in known.sessions:
            for point in session.agenda:
                old[f"{session.ref}.{point.number}"] = (point.title, point.title_ru)
        old["title"] = (known.title, known.title_ru)

    def ru(title: str, where: str) -> str | None:
        if is_russian(title):
            return title
        kk, translated = old.get(where, ("", None))
        return translated if fold(kk) == fold(title) else None

    out = _titled(data, ru(data["title"], "title"))
    out["sections"] = [
        _titled(
            {
                **section,
                "items": [
                    _titled(
                        {
                            **item,
                            **(
                                {
                                    "subitems": [
                                        _titled(sub, ru(sub["title"], sub["ref"]))
                                        for sub in item["subitems"]
                                    ]
                                }
                                if "subitems" in item
                                else {}
                            ),
                        },
                        ru(item["title"], item["ref"]),
                    )
                    for item in section["items"]
                ],
            },
            ru(section["title"], f"section {section['number']}"),
        )
        for section in data["sections"]
    ]
    if "sessions_title" in out and is_russian(out["sessions_title"]):
        out["sessions_title_ru"] = out["sessions_title"]
    out["sessions"] = [
        {
            **session,
            "agenda": [
                _titled(point, ru(point["title"], f"council-{session['number']}.{k}"))
                for k, point in enumerate(session["agenda"], start=1)
            ],
        }
        for session in data["sessions"]
    ]
    return out


def import_tables(
    tables: Sequence[Table],
    *,
    source: str,
    school_year: str,
    title: str = "",
    school: str = "",
    known: Plan | None = None,
) -> Imported:
    """Plan data from the document's tables, with everything the review shows.

    `school_year`: the year it is written for, unless its texts name one ("2027-2028");
    `known`: the plan in use, whose people keep their keys.
    """
    builder = _Builder(known)
    cols: _Columns | None = None
    for table in tables:
        found = None
        for r, row in enumerate(table.rows[:3]):
            found = _columns(row)
            if found is not None:
                cols = found
                if any(w in fold(n) for n in found.names.values() for w in _AGENDA_WORDS):
                    builder.mode = "sessions"  # "Повестка заседания", "Күн тәртібі"
                for i in found.ignored:
                    builder.out.ignored_columns.append(Place(table.index, r + 1, i + 1,
                                                             found.names[i]))  # fmt: skip
                builder.rows(table, found, r + 1)
                break
        if found is None:
            if cols is not None and table.rows and len(table.rows[0]) >= len(cols.names):
                builder.rows(table, cols, 0)  # a table split at a page break
            elif table.rows:
                builder.problem(Place(table.index, 1, 1), "a table without a heading row "
                                "(№, Іс-шара/Мероприятие, Мерзімі/Сроки, Жауапты/Ответственные)",
                                "column")  # fmt: skip
    year = school_year
    for text in (title, *builder.texts):
        m = _YEAR_PAIR.search(text)
        if m and int(m.group(2)) == int(m.group(1)) + 1:
            year = f"{m.group(1)}-{m.group(2)}"
            break
    meta = {
        "title": title or (known.title if known else "Жұмыс жоспары"),
        "school": school or (known.school if known else "Мектеп"),
        "source_year": year,
        "source": source,
    }
    return builder.finish(meta)
