"""Long texts: `split_message` cuts an HTML text over Telegram's 4096 characters into parts.

Telegram measures a text after entity parsing (tags stripped, ``&entities;`` decoded) in UTF-16
code units, like its offsets; `telegram_length` measures the same way. A cut falls at a
paragraph, line or word boundary, and formatting tags open at the cut are closed at the end of
the part and re-opened at the start of the next. Pure: no database, no Telegram.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["TELEGRAM_TEXT_LIMIT", "split_message", "telegram_length"]

TELEGRAM_TEXT_LIMIT: Final = 4096

_TAG_RE: Final = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>""")
# What Telegram's HTML parser decodes; any other "&...;" stays verbatim.
_ENTITY_RE: Final = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_TEXT, _OPEN, _CLOSE = 0, 1, 2
_BREAKABLE: Final = frozenset(" \t\r\n")  # not NBSP: it is there to keep words together


@dataclass(frozen=True, slots=True)
class _Atom:
    kind: int
    raw: str
    plain: str = ""  # the text Telegram shows (tags: "")
    name: str = ""  # tag name (tags only)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(raw: str) -> str:
    decoded = html.unescape(raw)
    return decoded if decoded != raw else raw


def _atoms(html_text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    i, n = 0, len(html_text)
    while i < n:
        char = html_text[i]
        if char == "<" and (tag := _TAG_RE.match(html_text, i)):
            closing, name = tag.group(1), tag.group(2).lower()
            atoms.append(_Atom(_CLOSE if closing else _OPEN, tag.group(), name=name))
            i = tag.end()
        elif char == "&" and (entity := _ENTITY_RE.match(html_text, i)):
            atoms.append(_Atom(_TEXT, entity.group(), _decode_entity(entity.group())))
            i = entity.end()
        else:
            atoms.append(_Atom(_TEXT, char, char))
            i += 1
    return atoms


def telegram_length(html_text: str) -> int:
    """The length Telegram checks against its limit: tags stripped, entities decoded, UTF-16."""
    return sum(_utf16_len(atom.plain) for atom in _atoms(html_text))


def split_message(html_text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split an HTML text into parts of at most `limit` characters after entity parsing.

    Cuts at the last paragraph break (blank line) that fills at least half a part, else the
    last line break, else the last space; only a word longer than `limit` is cut inside (still
    never inside a tag or an ``&entity;``). The whitespace at a cut is dropped. Formatting tags
    open at a cut are closed at the end of the part and re-opened (with their attributes) at the
    start of the next. A text within the limit comes back unchanged as the only part.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    atoms = _atoms(html_text)
    sizes = [_utf16_len(atom.plain) for atom in atoms]
    if sum(sizes) <= limit:
        return [html_text]

    # The formatting tags open before each atom: (name, raw opening tag), outermost first.
    stacks: list[tuple[tuple[str, str], ...]] = []
    stack: list[tuple[str, str]] = []
    for atom in atoms:
        stacks.append(tuple(stack))
        if atom.kind == _OPEN:
            stack.append((atom.name, atom.raw))
        elif atom.kind == _CLOSE:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == atom.name:
                    del stack[depth:]
                    break
    stacks.append(tuple(stack))

    def is_space(k: int) -> bool:
        return atoms[k].kind == _TEXT and atoms[k].plain in _BREAKABLE

    parts: list[str] = []
    start, n = 0, len(atoms)
    while start < n:
        # The furthest end such that atoms[start:end] fits.
        end, used = start, 0
        while end < n and used + sizes[end] <= limit:
            used += sizes[end]
            end += 1
        if end >= n:
            cut = resume = n
        elif end == start:  # one atom wider than the limit (limit < 2, a surrogate pair)
            cut = resume = start + 1
        else:
            cut, resume = _choose_cut(atoms, sizes, start, end, limit, is_space)
        # Trailing whitespace and freshly opened tags go to the next part (`stacks[resume]`
        # still re-opens those tags there).
        while cut > start and (is_space(cut - 1) or atoms[cut - 1].kind == _OPEN):
            cut -= 1
        if any(sizes[k] and not is_space(k) for k in range(start, cut)):
            opening = "".join(raw for _, raw in stacks[start])
            body = "".join(atom.raw for atom in atoms[start:cut])
            closing = "".join(f"</{name}>" for name, _ in reversed(stacks[cut]))
            parts.append(opening + body + closing)
        while resume < n and is_space(resume):
            resume += 1
        start = resume
    return parts


def _choose_cut(
    atoms: Sequence[_Atom],
    sizes: Sequence[int],
    start: int,
    end: int,
    limit: int,
    is_space: Callable[[int], bool],
) -> tuple[int, int]:
    """Where to end the part that fits in atoms[start:end] (atom `end` overflows).

    Returns (cut, resume): the part is atoms[start:cut]; the next one starts at `resume`.
    """
    best: dict[int, tuple[int, int]] = {}  # priority -> (cut, visible length before it)
    used = 0
    for k in range(start, end + 1):
        if k > start and k < len(atoms) and is_space(k):
            char = atoms[k].plain
            if "\n" in char:
                previous = _previous_text(atoms, k, start)
                priority = 3 if previous is not None and "\n" in previous else 2
            else:
                priority = 1
            best[priority] = (k, used)
        if k < end:
            used += sizes[k]
    if not best:
        return end, end  # one word longer than a part: cut it between atoms
    for priority in (3, 2, 1):
        if priority in best and best[priority][1] * 2 >= limit:
            cut = best[priority][0]
            return cut, cut + 1
    cut = max(cut for cut, _ in best.values())
    return cut, cut + 1


def _previous_text(atoms: Sequence[_Atom], k: int, start: int) -> str | None:
    for j in range(k - 1, start - 1, -1):
        if atoms[j].kind == _TEXT:
            return atoms[j].plain
    return None
