"""Reassigning plan items, and the plan as it stands with the reassignments applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core import plan as plan_model
from bot.core.assign import with_assignments
from bot.core.overrides import apply_overrides
from bot.core.plan import Plan
from bot.core.roles import Role
from bot.services.staff import audit
from db.models import Assignment, Person

_ROLES = {r.value for r in Role}


async def effective_plan(session: AsyncSession, plan: Plan) -> Plan:
    """The plan with the database's reassignments applied (and chat-added people named), and
    the timings and hosts set in the chat (`plan_override`)."""
    from bot.services.plan_overrides import load_plan_overrides

    plan = apply_overrides(plan, await load_plan_overrides(session))
    rows = (await session.exec(select(Assignment))).all()
    known = {p.key for p in plan.people}
    extra = [
        plan_model.Person(
            key=p.key,
            name=p.name,
            roles=tuple(Role(r) for r in p.roles if r in _ROLES) or (Role.TEACHER,),
        )
        for p in (await session.exec(select(Person).order_by(col(Person.id)))).all()
        if p.key not in known
    ]
    return with_assignments(plan, {row.ref: list(row.people) for row in rows}, extra)


async def reassign(
    session: AsyncSession,
    ref: str,
    people: Sequence[Person],
    *,
    by: Person | None,
    now: datetime,
    before: Sequence[str] = (),
) -> None:
    keys = [p.key for p in people]
    row = await session.get(Assignment, ref)
    if row is None:
        session.add(
            Assignment(ref=ref, people=keys, set_by_person_id=by.id if by else None, set_at=now)
        )
    else:
        row.people = keys
        row.set_by_person_id = by.id if by else None
        row.set_at = now
    await audit(
        session,
        actor=by,
        action="item.reassign",
        target=f"item:{ref}",
        now=now,
        before=list(before),
        after=keys,
    )
    await session.commit()
