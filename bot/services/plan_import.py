"""A new plan takes over: the year's work done so far keeps its state where the new plan has
the same item, the chat's overrides of items it no longer has are dropped, its new people join.

Occurrence keys are "{ref}@{period}". An item the new plan numbers anew ("1.5" is now "1.6",
same title) has its occurrence rows renamed, so reports follow it; an item whose number now
means another item has its rows set aside (key suffixed, cancelled), so nobody's "done" is
carried over to work they did not do.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.importer.compare import Comparison, compare_plans
from bot.core.overrides import known_refs
from bot.core.plan import Plan
from bot.services.plan_overrides import drop_overrides
from bot.services.staff import audit, sync_people
from db.models import Occurrence, OccurrenceStatus, Person, PlanOverride


async def adopt_plan(
    session: AsyncSession,
    old: Plan,
    new: Plan,
    school_year: str,
    *,
    by: Person | None,
    now: datetime,
    version: int,
) -> Comparison:
    comparison = compare_plans(old, new)
    renamed = {o: n for o, n in comparison.same.items() if o != n}
    new_refs = known_refs(new)
    rows = (
        await session.exec(select(Occurrence).where(Occurrence.school_year == school_year))
    ).all()
    existing = {row.key for row in rows}
    for row in rows:
        if row.ref in renamed:
            key = renamed[row.ref] + row.key[len(row.ref) :]
            if key not in existing:
                existing.add(key)
                row.key, row.ref = key, renamed[row.ref]
        elif row.ref not in comparison.same and row.ref in new_refs:
            row.key = f"{row.key}~v{version}"
            row.status = OccurrenceStatus.CANCELLED
    refs = (await session.exec(select(PlanOverride.ref))).all()
    gone = [ref for ref in refs if ref not in new_refs]
    await audit(
        session,
        actor=by,
        action="plan.adopt",
        target=f"plan:{version}",
        now=now,
        kept=len(comparison.same),
        renamed=len(renamed),
        removed=comparison.removed,
    )
    await session.commit()
    await drop_overrides(session, gone)
    await sync_people(session, new)
    return comparison
