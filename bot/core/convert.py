"""Convert a plan written as a flattened Word table into plan data (the shape of `seed/plan.json`).

The source is a table flattened to text: every cell starts with a TAB and may run over several
lines; the columns are *Content*, *When* and *Responsible*. Section rows ("1. Ұйымдастыру
жұмыстары") hold one cell, item rows four (ref, content, when, responsible); the council
sessions (the last section) are rows of a number cell, which may be missing, the agenda
("№5 отырыс:" and numbered points), the date or month and who reports.

The text is kept as written (only leading and trailing whitespace is trimmed). What a reader has
to decide lives in a hand-kept mapping file beside the plan (`seed/plan-mapping.json`): the
people and groups with every spelling of their names found in the source, the notes, which
lines of a *Responsible* cell go with which sub-point or agenda point, and the Russian text of
every title (its ``"ru"`` block: ``title``, ``school``, ``sessions_title``, ``sections`` by
number, ``items`` by ref, sub-points included, and ``agenda`` by session number, one text per
point), which becomes ``title_ru`` beside each Kazakh title. Names are then found in
the texts by those spellings; `convert` returns every piece of text it could not read, so
nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.timing import TimingError, parse_when

_SECTION = re.compile(r"^(\d+)\.\s+(\S.*)$")
_ITEM_REF = re.compile(r"^\d+\.\d+$")
_SESSION_NUMBER = re.compile(r"^\d+$")
_SESSION_HEAD = re.compile(r"^№\s*(\d+)\s*отырыс\s*:?\s*$")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s*(.*)$")
_LETTERED = re.compile(r"^\s*([а-яәіңғүұқөһ])\)\s*(.*)$")
_LETTERS = "аәбвгғдеж"  # the order of lettered sub-points: а), ә), б), в) ...


def _cells(text: str) -> list[str]:
    """The cells of the table: everything after each TAB, up to the next one."""
    return text.split("\t")[1:]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _split_points(text: str, *, letters: bool) -> tuple[str, list[str]]:
    """A heading and its numbered (1) / 1.) or lettered (а)) points, each as written."""
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


class _Names:
    """Finds the people and groups a *Responsible* text names, by the spellings in the mapping."""

    def __init__(self, mapping: dict[str, Any]) -> None:
        spellings: list[tuple[str, str, str]] = []  # (spelling, "people" or "groups", key)
        for person in mapping["people"]:
            for name in (person["name"], *person.get("aliases", ())):
                spellings.append((" ".join(name.split()), "people", person["key"]))
        for group in mapping["groups"]:
            names = (group["names"]["kk"], group["names"]["ru"], *group.get("aliases", ()))
            for name in names:
                spellings.append((" ".join(name.split()), "groups", group["key"]))
        for label in mapping.get("labels", ()):
            spellings.append((" ".join(label.split()), "label", label))
        self.spellings = sorted(spellings, key=lambda s: -len(s[0]))  # longest first

    def read(self, text: str) -> tuple[dict[str, list[str]], str]:
        """{"people": [...], "groups": [...]} in the order written, and what was left unread."""
        flat = " ".join(text.split())
        free = [True] * len(flat)
        found: list[tuple[int, str, str]] = []
        for spelling, kind, key in self.spellings:
            start = flat.find(spelling)
            while start >= 0:
                end = start + len(spelling)
                whole = (start == 0 or not flat[start - 1].isalpha()) and (
                    end == len(flat) or not flat[end].isalpha()
                )
                if whole and all(free[start:end]):
                    free[start:end] = [False] * (end - start)
                    found.append((start, kind, key))
                start = flat.find(spelling, start + 1)
        found.sort()
        named: dict[str, list[str]] = {"people": [], "groups": []}
        for _, kind, key in found:
            if kind in named and key not in named[kind]:
                named[kind].append(key)
        left = "".join(ch if ok else " " for ch, ok in zip(flat, free, strict=True))
        return named, " ".join(re.sub(r"[\s,.;:–-]+", " ", left).split())


def _timing(when: str, where: str, problems: list[str]) -> list[dict[str, Any]] | None:
    try:
        return [rule.model_dump() for rule in parse_when(when)]
    except TimingError as error:
        problems.append(f"{where}: {error}")
        return None


def _blocks(
    column: str, blocks: Sequence[Sequence[str]], where: str, problems: list[str], *, exact: bool
) -> None:
    """The mapping's blocks must be lines of the column; `exact`: all of them, once, in order."""
    lines = _lines(column)
    used = [line for block in blocks for line in block]
    for line in used:
        if line not in lines:
            problems.append(f"{where}: {line!r} is not a line of the column {lines!r}")
    if exact and used != lines:
        problems.append(f"{where}: the blocks {used!r} do not cover the column {lines!r} in order")
    for line in lines:
        if line not in used:
            problems.append(f"{where}: line {line!r} of the column is given to nobody")


class _Converter:
    def __init__(self, mapping: dict[str, Any]) -> None:
        self.mapping = mapping
        self.names = _Names(mapping)
        self.problems: list[str] = []
        self.russian: dict[str, Any] | None = mapping.get("ru")
        self.translated: set[str] = set()  # "items 1.4", "agenda 3.2": what was used

    def ru(self, kind: str, key: str, where: str) -> dict[str, str]:
        """``{"title_ru": ...}`` from the mapping's "ru" block, or {} (a problem when the
        mapping has a "ru" block that misses this text)."""
        if self.russian is None:
            return {}
        if kind == "agenda":
            number, point = key.split(".")
            points = self.russian.get("agenda", {}).get(number, [])
            text = points[int(point) - 1] if int(point) <= len(points) else None
        else:
            text = self.russian.get(kind, {}).get(key)
        if not text:
            self.problems.append(f"{where}: no Russian text (mapping ru.{kind}.{key})")
            return {}
        self.translated.add(f"{kind} {key}")
        return {"title_ru": text}

    def responsible(self, text: str, where: str) -> dict[str, Any]:
        named, left = self.names.read(text)
        if left:
            self.problems.append(f"{where}: could not read {left!r} in {text!r}")
        return {"text": text, **named}

    def item(self, ref: str, content: str, when: str, resp: str) -> dict[str, Any]:
        extra = self.mapping.get("items", {}).get(ref, {})
        title, points = _split_points(content, letters=True)
        item: dict[str, Any] = {
            "ref": ref,
            "title": title,
            **self.ru("items", ref, ref),
            "when": when.strip(),
        }
        timing = _timing(item["when"], ref, self.problems)
        if timing is not None:
            item["timing"] = timing
        item["responsible"] = self.responsible(resp.strip(), f"{ref} responsible")
        blocks = extra.get("subitems")
        month_lines = _lines(when)
        if blocks is not None:
            _blocks(resp, blocks, f"{ref} responsible", self.problems, exact=True)
            if len(blocks) != len(points) or len(month_lines) != len(points):
                self.problems.append(
                    f"{ref}: {len(points)} sub-points, {len(month_lines)} When lines, "
                    f"{len(blocks)} blocks of responsible people: they must be as many"
                )
        subitems = []
        for n, text in enumerate(points, start=1):
            sub: dict[str, Any] = {
                "ref": f"{ref}.{n}",
                "title": text,
                **self.ru("items", f"{ref}.{n}", f"{ref}.{n}"),
            }
            if blocks is not None and n <= min(len(blocks), len(month_lines)):
                sub["when"] = month_lines[n - 1]
                sub_timing = _timing(sub["when"], sub["ref"], self.problems)
                if sub_timing is not None:
                    sub["timing"] = sub_timing
                sub["responsible"] = self.responsible("\n".join(blocks[n - 1]), sub["ref"])
            subitems.append(sub)
        if subitems:
            item["subitems"] = subitems
        if "remind" in extra:
            item["remind"] = extra["remind"]
        if "note" in extra:
            item["note"] = extra["note"]
        return item

    def session(self, number: int, content: str, when: str, resp: str) -> dict[str, Any]:
        where = f"session {number}"
        extra = self.mapping.get("sessions", {}).get(str(number), {})
        heading, points = _split_points(content, letters=False)
        head = _SESSION_HEAD.match(heading)
        if head is None or int(head.group(1)) != number:
            self.problems.append(f"{where}: the heading {heading!r} is not '№{number} отырыс'")
        session: dict[str, Any] = {"number": number, "when": when.strip()}
        timing = _timing(session["when"], where, self.problems)
        if timing is not None:
            session["timing"] = timing
        reporters = extra.get("reporters")
        if reporters is None:
            reporters = [[]] * len(points)
            self.problems.append(f"{where}: the mapping gives no reporters for the agenda")
        elif len(reporters) != len(points):
            self.problems.append(
                f"{where}: {len(points)} agenda points but {len(reporters)} blocks of reporters"
            )
        _blocks(resp, reporters, f"{where} responsible", self.problems, exact=False)
        session["agenda"] = [
            {
                "number": n,
                "title": title,
                **self.ru("agenda", f"{number}.{n}", f"{where} point {n}"),
                "reporters": self.responsible(
                    "\n".join(reporters[n - 1]) if n <= len(reporters) else "",
                    f"{where} point {n}",
                ),
            }
            for n, title in enumerate(points, start=1)
        ]
        session["responsible"] = self.responsible(resp.strip(), f"{where} responsible")
        if "note" in extra:
            session["note"] = extra["note"]
        return session

    def convert(self, text: str) -> dict[str, Any]:
        cells = _cells(text)
        sections: list[dict[str, Any]] = []
        sessions: list[dict[str, Any]] = []
        sessions_title: str | None = None
        mode = ""  # "items" or "sessions", decided by the first row after a section heading
        pending_section: tuple[int, str] | None = None
        i = 0

        def take(count: int) -> list[str]:
            nonlocal i
            got = cells[i : i + count]
            i += count
            return got + [""] * (count - len(got))

        while i < len(cells):
            cell = cells[i].strip()
            if not cell:
                i += 1  # an empty cell between rows: a trace of the table, nothing to read
                continue
            section = _SECTION.match(cell)
            if section and "\n" not in cell:
                pending_section = int(section.group(1)), section.group(2).strip()
                mode = ""
                i += 1
                continue
            starts_row = (
                _ITEM_REF.match(cell)
                or _SESSION_NUMBER.match(cell)
                or _SESSION_HEAD.match(cell.split("\n", 1)[0].strip())
            )
            if starts_row and pending_section is not None:
                section_number, section_title = pending_section
                if _ITEM_REF.match(cell):
                    mode = "items"
                    sections.append(
                        {
                            "number": section_number,
                            "title": section_title,
                            **self.ru(
                                "sections", str(section_number), f"section {section_number}"
                            ),
                            "items": [],
                        }
                    )
                else:
                    mode = "sessions"
                    sessions_title = section_title
                pending_section = None
            if mode == "items" and _ITEM_REF.match(cell):
                i += 1
                content, when, resp = take(3)
                sections[-1]["items"].append(self.item(cell, content, when, resp))
                continue
            if mode == "sessions":
                number: int | None = None
                if _SESSION_NUMBER.match(cell):
                    number = int(cell)
                    i += 1
                content, when, resp = take(3)
                head = _SESSION_HEAD.match(content.strip().split("\n", 1)[0].strip())
                if head is None:
                    self.problems.append(f"cell {i - 3}: expected '№N отырыс', got {content!r}")
                    continue
                if number is not None and number != int(head.group(1)):
                    self.problems.append(f"session {head.group(1)}: the number cell says {number}")
                sessions.append(self.session(int(head.group(1)), content, when, resp))
                continue
            if mode == "" and pending_section is None and not sections:
                i += 1  # the header row: Мазмұны / Орындау уақыты / Орындалуына жауаптылар
                continue
            self.problems.append(f"cell {i}: could not read {cell[:60]!r}")
            i += 1

        m = self.mapping
        ru = self.russian or {}
        plan: dict[str, Any] = {"title": m["title"]}
        if "title" in ru:
            plan["title_ru"] = ru["title"]
        plan["school"] = m["school"]
        if "school" in ru:
            plan["school_ru"] = ru["school"]
        plan.update(
            {
                "source_year": m["source_year"],
                "source": m["source"],
                "people": m["people"],
                "groups": m["groups"],
                "sections": sections,
            }
        )
        if sessions_title is not None:
            plan["sessions_title"] = sessions_title
            if "sessions_title" in ru:
                plan["sessions_title_ru"] = ru["sessions_title"]
        plan["sessions"] = sessions
        self.unused(sections, sessions)
        return plan

    def unused(
        self, sections: Iterable[dict[str, Any]], sessions: Iterable[dict[str, Any]]
    ) -> None:
        refs = {item["ref"] for section in sections for item in section["items"]}
        numbers = {str(session["number"]) for session in sessions}
        for ref in self.mapping.get("items", {}):
            if ref not in refs:
                self.problems.append(f"mapping: item {ref} is not in the source")
        for number in self.mapping.get("sessions", {}):
            if number not in numbers:
                self.problems.append(f"mapping: session {number} is not in the source")
        ru = self.russian or {}
        for kind in ("sections", "items"):
            for key in ru.get(kind, {}):
                if f"{kind} {key}" not in self.translated:
                    self.problems.append(f"mapping: ru.{kind}.{key} translates nothing")
        for number, points in ru.get("agenda", {}).items():
            for n in range(1, len(points) + 1):
                if f"agenda {number}.{n}" not in self.translated:
                    self.problems.append(f"mapping: ru.agenda.{number}[{n}] translates nothing")


def convert(text: str, mapping: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Plan data from the source text and the mapping, and every problem met on the way."""
    converter = _Converter(mapping)
    plan = converter.convert(text)
    return plan, converter.problems


def dump_json(data: Any, width: int = 99) -> str:
    """JSON for people to read and diff: a list or object stays on one line if it fits."""

    def dump(value: Any, indent: int, room: int) -> str:
        flat = json.dumps(value, ensure_ascii=False)
        if not isinstance(value, dict | list) or len(flat) <= room or not value:
            return flat
        pad = " " * (indent + 2)
        if isinstance(value, list):
            parts = [pad + dump(v, indent + 2, width - indent - 3) for v in value]
            return "[\n" + ",\n".join(parts) + "\n" + " " * indent + "]"
        parts = []
        for key, v in value.items():
            head = f"{pad}{json.dumps(key, ensure_ascii=False)}: "
            parts.append(head + dump(v, indent + 2, width - len(head) - 1))
        return "{\n" + ",\n".join(parts) + "\n" + " " * indent + "}"

    return dump(data, 0, width) + "\n"
