"""Timings, hosts and routine modes set in the chat beside the plan (`plan_override`), read
and written.

`load_plan_overrides` gives the `PlanOverrides` that `bot.services.assignments.effective_plan`
lays on the plan for every tick and screen. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import TypeAdapter, ValidationError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.overrides import PlanOverrides
from bot.core.routine import MODES
from bot.core.timing import TimingRule
from bot.services.staff import audit
from db.models import Person, PlanOverride

_RULES = TypeAdapter(tuple[TimingRule, ...])


async def load_plan_overrides(session: AsyncSession) -> PlanOverrides:
    rows = (await session.exec(select(PlanOverride))).all()
    timing: dict[str, tuple[TimingRule, ...]] = {}
    hosts: dict[str, tuple[str, ...]] = {}
    routine: dict[str, str] = {}
    for row in rows:
        if row.kind == "timing":
            try:
                timing[row.ref] = _RULES.validate_python(list(row.value))
            except ValidationError:
                continue  # written by a newer version: ignored, not fatal
        elif row.kind == "host":
            hosts[row.ref] = tuple(str(v) for v in row.value)
        elif row.kind == "routine" and row.value and str(row.value[0]) in MODES:
            routine[row.ref] = str(row.value[0])
    return PlanOverrides(timing=timing, hosts=hosts, routine=routine)


async def _put(
    session: AsyncSession,
    ref: str,
    kind: str,
    value: list[object],
    by: Person | None,
    now: datetime,
) -> None:
    row = (
        await session.exec(
            select(PlanOverride).where(PlanOverride.ref == ref, PlanOverride.kind == kind)
        )
    ).first()
    before = list(row.value) if row is not None else None
    if row is None:
        row = PlanOverride(ref=ref, kind=kind, value=value)
        session.add(row)
    row.value = list(value)
    row.set_by_person_id = by.id if by else None
    row.set_at = now
    await audit(
        session,
        actor=by,
        action=f"plan.{kind}",
        target=f"item:{ref}",
        now=now,
        before=before,
        after=value,
    )
    await session.commit()


async def set_timing(
    session: AsyncSession,
    ref: str,
    rules: Sequence[TimingRule],
    *,
    by: Person | None,
    now: datetime,
) -> None:
    value: list[object] = [rule.model_dump(mode="json") for rule in rules]
    await _put(session, ref, "timing", value, by, now)


async def set_host(
    session: AsyncSession, ref: str, people: Sequence[str], *, by: Person | None, now: datetime
) -> None:
    await _put(session, ref, "host", list(people), by, now)


async def set_routine(
    session: AsyncSession, ref: str, mode: str, *, by: Person | None, now: datetime
) -> None:
    """How a routine duty reaches its people (`bot.core.routine.MODES`)."""
    if mode not in MODES:
        raise ValueError(f"unknown routine mode {mode!r}")
    await _put(session, ref, "routine", [mode], by, now)


async def drop_overrides(session: AsyncSession, refs: Sequence[str]) -> None:
    """Forget the overrides of refs a new plan no longer has."""
    if refs:
        await session.exec(delete(PlanOverride).where(col(PlanOverride.ref).in_(list(refs))))  # type: ignore[call-overload]
        await session.commit()
