"""The plan in use, described: the file's reading (`describe_plan`) plus what the running bot
changed on it: year references rolled to the school year, timings and hosts set in the chat,
and the school hosts of items whose responsible are all external."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.core.hosts import external_only, guest_names, host_of
from bot.core.plan import Plan, Responsible, describe_plan
from bot.core.timing import describe_timing
from bot.core.yearroll import YearChange


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def describe_in_use(
    plan: Plan,
    *,
    school_year: str | None = None,
    rolled: Sequence[YearChange] = (),
    timing_set: Collection[str] = (),
    host_set: Collection[str] = (),
) -> list[str]:
    """`plan` (already rolled, with the overrides applied) item by item, with the changes."""
    notes: dict[str, list[str]] = {}
    names = {p.key: p.name for p in plan.people}

    def host(ref: str, resp: Responsible) -> None:
        if not external_only(plan, resp):
            return
        hosts = ", ".join(names.get(k, k) for k in host_of(plan, resp)) or "NOBODY (set a host)"
        how = "set in chat" if ref in host_set else "default host"
        guests = ", ".join(guest_names(plan, resp))
        notes.setdefault(ref, []).append(f"host: {hosts} ({how}); invites {guests}")

    missing: list[str] = []
    for item in plan.items():
        host(item.ref, item.responsible)
        if item.ref in timing_set:
            notes.setdefault(item.ref, []).append(
                f"timing set in chat: {describe_timing(item.timing)}"
            )
        elif any(rule.kind == "missing" for rule in item.timing):
            missing.append(item.ref)
        for sub in item.subitems:
            if sub.responsible is not None:
                host(sub.ref, sub.responsible)
            if sub.ref in timing_set and sub.timing is not None:
                notes.setdefault(sub.ref, []).append(
                    f"timing set in chat: {describe_timing(sub.timing)}"
                )
    for session in plan.sessions:
        for point in session.agenda:
            host(f"{session.ref}.{point.number}", point.reporters)
    headed = [c for c in rolled if c.where in ("title", "sessions") or " " in c.where]
    for change in rolled:
        if change not in headed:
            notes.setdefault(change.where, []).append(f"years rolled: {change.pairs}")
    header: list[str] = []
    if school_year is not None:
        header.append(f"In use for the school year {school_year}")
    if missing:
        header.append("No date — set timing: " + ", ".join(missing))
    for change in headed:
        header.append(f"years rolled in the {change.where}: {change.pairs}")
    return describe_plan(plan, header=header, notes=notes)
