"""Routine duties: how an item that repeats all the time (1.8 "every day", 3.3 "every week",
the "all year" items) reaches its people.

Three modes, chosen per item in the plan file (`Item.routine`) or by an admin in /plan
(`plan_override` kind "routine"):

* ``card`` — a reminder each time, with Done (what every other item gets);
* ``weekly_checkin`` — no daily cards: on the week's last school day one question, "this week's
  duty 1.8: done every day? Yes / Missed days…" (daily and weekly rules only);
* ``silent`` — no messages at all; the occurrences are counted (reports typed in /tasks still
  count), and /status and the analysis show them apart instead of as "not done".

Without a choice: a weekly check-in for a daily duty, a card for everything else. A mode only
touches the routine rules of an item: 4.1 ("September, all year") keeps its September card.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from bot.core.plan import Item, Plan

CARD: Final = "card"
WEEKLY_CHECKIN: Final = "weekly_checkin"
SILENT: Final = "silent"
MODES: Final = (CARD, WEEKLY_CHECKIN, SILENT)
ROUTINE_RULES: Final = frozenset({"daily", "weekly", "all_year"})
CHECKIN_RULES: Final = frozenset({"daily", "weekly"})


def mode_for(chosen: str | None, rule_kind: str) -> str:
    """The mode of one rule's occurrences, given the item's chosen mode (None: default)."""
    if rule_kind not in ROUTINE_RULES:
        return CARD
    if chosen is None:
        return WEEKLY_CHECKIN if rule_kind == "daily" else CARD
    if chosen == WEEKLY_CHECKIN and rule_kind not in CHECKIN_RULES:
        return CARD
    return chosen if chosen in MODES else CARD


def modes_allowed(item: Item) -> tuple[str, ...]:
    """The modes an admin may pick for this item ((): it is not a routine duty)."""
    kinds = {rule.kind for rule in item.timing}
    for sub in item.subitems:
        kinds.update(rule.kind for rule in sub.timing or ())
    if not kinds & ROUTINE_RULES:
        return ()
    if kinds & CHECKIN_RULES:
        return MODES
    return (CARD, SILENT)


@dataclass(frozen=True, slots=True)
class RoutineItem:
    ref: str
    title: str
    chosen: str | None  # None: the default
    mode: str  # what applies to its most frequent routine rule
    allowed: tuple[str, ...]


def routine_items(plan: Plan) -> Iterator[RoutineItem]:
    """Every item that is a routine duty, in plan order, with its mode."""
    order = ("daily", "weekly", "all_year")
    for item in plan.items():
        allowed = modes_allowed(item)
        if not allowed:
            continue
        kinds = {rule.kind for rule in item.timing}
        main = next((k for k in order if k in kinds), "all_year")
        yield RoutineItem(
            item.ref, item.title, item.routine, mode_for(item.routine, main), allowed
        )
