"""Year references in plan texts, rolled to the school year the plan is used in.

A plan written for 2023-2024 says «2023-2024 оқу жылына арналған жұмыс жоспарын талқылау» and
«2024-2025 оқу жылына … жоспарын құру»; used in 2026-2027 those read «2026-2027» and
«2027-2028». `roll_years` shifts every "YYYY-YYYY" pair of consecutive years by the distance
between the plan's `source_year` and the school year, and says what it changed, so that
`plan describe` can show it. Other years (an order "2021 жылғы 25 мамырдағы № 235") stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.plan import Item, Plan, Section, Session, SubItem

_PAIR = re.compile(r"(?<!\d)(\d{4})(\s*[-‐‑‒–—]\s*)(\d{4})(?!\d)")


@dataclass(frozen=True, slots=True)
class YearChange:
    where: str  # "title", "1.4", "3.4.2", "council-1.2" (session 1, agenda point 2)
    before: str
    after: str

    @property
    def pairs(self) -> str:
        """What changed, e.g. "2023-2024 → 2026-2027, 2024-2025 → 2027-2028"."""
        old = ["".join(m.groups()) for m in _PAIR.finditer(self.before)]
        new = ["".join(m.groups()) for m in _PAIR.finditer(self.after)]
        return ", ".join(f"{a} → {b}" for a, b in zip(old, new, strict=True) if a != b)


def _shift(text: str, offset: int) -> str:
    def one(m: re.Match[str]) -> str:
        first, second = int(m.group(1)), int(m.group(3))
        if second != first + 1:
            return m.group(0)
        return f"{first + offset}{m.group(2)}{second + offset}"

    return _PAIR.sub(one, text)


def roll_years(plan: Plan, school_year: str) -> tuple[Plan, tuple[YearChange, ...]]:
    """`plan` with its year references moved to `school_year` ("2026-2027"), and the changes."""
    offset = int(school_year[:4]) - int(plan.source_year[:4])
    if offset == 0:
        return plan, ()
    changes: list[YearChange] = []

    def roll(where: str, text: str) -> str:
        rolled = _shift(text, offset)
        if rolled != text:
            changes.append(YearChange(where, text, rolled))
        return rolled

    def ru(text: str | None) -> str | None:
        """The Russian beside a Kazakh text rolls the same way (one change is reported)."""
        return None if text is None else _shift(text, offset)

    def sub(s: SubItem) -> SubItem:
        return s.model_copy(update={"title": roll(s.ref, s.title), "title_ru": ru(s.title_ru)})

    def item(i: Item) -> Item:
        return i.model_copy(
            update={
                "title": roll(i.ref, i.title),
                "title_ru": ru(i.title_ru),
                "subitems": tuple(sub(s) for s in i.subitems),
            }
        )

    def section(s: Section) -> Section:
        return s.model_copy(
            update={
                "title": roll(f"section {s.number}", s.title),
                "title_ru": ru(s.title_ru),
                "items": tuple(item(i) for i in s.items),
            }
        )

    def session(s: Session) -> Session:
        agenda = tuple(
            p.model_copy(
                update={"title": roll(f"{s.ref}.{p.number}", p.title), "title_ru": ru(p.title_ru)}
            )
            for p in s.agenda
        )
        return s.model_copy(update={"agenda": agenda})

    update: dict[str, object] = {
        "title": roll("title", plan.title),
        "title_ru": ru(plan.title_ru),
        "sections": tuple(section(s) for s in plan.sections),
        "sessions": tuple(session(s) for s in plan.sessions),
    }
    if plan.sessions_title is not None:
        update["sessions_title"] = roll("sessions", plan.sessions_title)
        update["sessions_title_ru"] = ru(plan.sessions_title_ru)
    return plan.model_copy(update=update), tuple(changes)
