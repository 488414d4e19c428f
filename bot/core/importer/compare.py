"""The plan in use against a new one: which items are the same (their work done this year
keeps its state), which are gone.

An item is the same when the new plan has the same number and a title close to the old one,
or, numbered anew, the same title (folded: case, spaces and quotes do not count).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from bot.core.plan import Plan

SAME_TITLE = 0.8  # SequenceMatcher ratio of the folded titles


def _fold(text: str) -> str:
    return " ".join("".join(c for c in text.casefold() if c.isalnum() or c.isspace()).split())


def _refs(plan: Plan) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in plan.items():
        out[item.ref] = _fold(item.title)
        for sub in item.subitems:
            out[sub.ref] = _fold(sub.title)
    return out


@dataclass(frozen=True, slots=True)
class Comparison:
    same: dict[str, str]  # old ref -> new ref (equal refs included)
    removed: list[str]  # old refs with no match
    added: list[str]  # new refs with no match


def compare_plans(old: Plan, new: Plan) -> Comparison:
    before, after = _refs(old), _refs(new)
    same: dict[str, str] = {}
    taken: set[str] = set()
    for ref, title in before.items():
        if ref in after and SequenceMatcher(None, title, after[ref]).ratio() >= SAME_TITLE:
            same[ref] = ref
            taken.add(ref)
    by_title: dict[str, str] = {}
    for ref, title in after.items():
        if ref not in taken:
            by_title.setdefault(title, ref)
    for ref, title in before.items():
        if ref not in same and title in by_title and by_title[title] not in taken:
            same[ref] = by_title[title]
            taken.add(by_title[title])
    removed = [ref for ref in before if ref not in same]
    added = [ref for ref in after if ref not in taken]
    return Comparison(same, removed, added)
