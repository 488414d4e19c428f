"""Recording a held session for its minutes: the draft, the quorum, the due-date choices, and
saving it whole.

The draft (`session_draft.data`, JSON) is the whole dialogue's state, saved after every step,
so a restart or another device continues where the secretary stopped::

    {"num": 4, "edit": false, "step": "attend" | "held" | "item" | "owner" | "spoke"
                                     | "reporters" | "review",
     "held_at": iso | null, "candidates": [person ids], "present": [person ids],
     "members": [person ids], "guests": [[name, post]], "cursor": item index,
     "items": [{"number", "title", "reporters": [names], "spoke", "cases": [student ids],
                "decisions": [{"text", "owner_id", "owner_role", "due", "due_kind"}]}],
     "pending": {"text", "due", "due_kind"} | null, "appendix": false, "epoch": "..."}

Saving (`commit`) writes the session's row (held, quorum, secretary, appendix), replaces its
attendance, guests and items, adds the decisions (a decision with an owner and a due date is a
task with reminders: `decision.occurrence_key`), clears the reviewed cases' flags (3.5), drops
the draft and audits ``session.record`` (or ``session.edit``). Names of children never enter a
draft or an audit row: cases are student ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import group_name, title_of
from bot.core.roles import Role
from bot.core.schedule import DEFAULT_POLICY, ReminderPolicy, occurrences
from bot.services import sessions as svc
from bot.services.staff import audit, members_of
from bot.services.students import council_cases, record_council_review
from bot.services.tasks import decision_key
from db.models import (
    CouncilSession,
    Decision,
    Person,
    SessionAttendance,
    SessionDraft,
    SessionGuest,
    SessionItem,
)

GUEST_MAX = 200
SPOKE_MAX = 500
OWNER_ROLES: tuple[Role, ...] = (
    Role.CLASS_TEACHER,
    Role.PSYCHOLOGIST,
    Role.DEPUTY_DIRECTOR,
    Role.COUNCIL_MEMBER,
)
CASES_TITLE = {
    "kk": "Кеңеске ұсынылған жағдайларды қарау (3.5)",
    "ru": "Рассмотрение случаев, представленных на совет (3.5)",
}


# --- pure rules ---------------------------------------------------------------------------------


def has_quorum(present: Sequence[int], members: Sequence[int]) -> bool:
    """Two thirds of the council's members present (a council without members: yes)."""
    if not members:
        return True
    here = len(set(present) & set(members))
    return here * 3 >= len(members) * 2


def quarter_end(calendar: SchoolCalendar, day: date) -> date | None:
    """The last day of the quarter `day` is in (or of the next one, in a break)."""
    for quarter in calendar.quarters:
        if day <= quarter.end:
            return quarter.end
    return None


def due_at(
    calendar: SchoolCalendar, day: date, policy: ReminderPolicy = DEFAULT_POLICY
) -> datetime:
    return datetime.combine(day, policy.due_time, tzinfo=calendar.tz)


def next_session_at(
    plan: Plan,
    calendar: SchoolCalendar,
    times: dict[int, datetime],
    after: datetime,
    number: int,
) -> datetime | None:
    """When the next plan session after №`number` (and after `after`) is due: its set time,
    or the plan's provisional one."""
    lo, hi = calendar.span
    start = max(lo, after.astimezone(calendar.tz).date())
    if start > hi:
        return None
    for occ in occurrences(plan, calendar, start, hi, DEFAULT_POLICY, times):
        if occ.kind != "session" or occ.due <= after:
            continue
        n = occ.ref.removeprefix("council-")
        if n.isdigit() and int(n) != number:
            return occ.due
    return None


def parse_guests(text: str) -> list[tuple[str, str | None]]:
    """Lines of "Name, post" (or "Name — post"); empty lines skipped; ValueError if too long."""
    out: list[tuple[str, str | None]] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if len(line) > GUEST_MAX:
            raise ValueError("too long")
        for sep in (" — ", " - ", ", ", ","):
            if sep in line:
                name, post = line.split(sep, 1)
                out.append((name.strip(), post.strip() or None))
                break
        else:
            out.append((line, None))
    return out


# --- the draft ----------------------------------------------------------------------------------


async def get_draft(session: AsyncSession, year: str, number: int) -> SessionDraft | None:
    return (
        await session.exec(
            select(SessionDraft).where(
                SessionDraft.school_year == year, SessionDraft.number == number
            )
        )
    ).first()


async def draft_of(session: AsyncSession, year: str, person_id: int) -> SessionDraft | None:
    """The draft this person worked on last (after a restart, where typed text belongs)."""
    return (
        await session.exec(
            select(SessionDraft)
            .where(SessionDraft.school_year == year, SessionDraft.person_id == person_id)
            .order_by(col(SessionDraft.updated_at).desc())
        )
    ).first()


async def save_draft(
    session: AsyncSession,
    year: str,
    data: dict[str, Any],
    person: Person,
    now: datetime,
) -> None:
    row = await get_draft(session, year, int(data["num"]))
    if row is None:
        row = SessionDraft(school_year=year, number=int(data["num"]))
        session.add(row)
    row.data = dict(data)  # a new dict: the JSON column sees the change
    row.person_id = person.id
    row.updated_at = now
    await session.commit()


async def drop_draft(session: AsyncSession, year: str, number: int) -> None:
    await session.exec(
        delete(SessionDraft).where(
            col(SessionDraft.school_year) == year, col(SessionDraft.number) == number
        )
    )
    await session.commit()


def _reporter_names(
    plan: Plan, people: Sequence[Person], point: Any, lang: str = "kk"
) -> list[str]:
    names = [p.name for p in members_of(point.reporters, plan, people)]
    for key in point.reporters.groups:
        try:
            group = plan.group(key)
        except KeyError:
            continue
        if group.external:
            names.append(group_name(group, lang))
    return names


async def new_draft(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    view: svc.SessionView,
    *,
    lang: str,
    edit: bool,
    today: date,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """A draft for session `view`: everybody expected present, each agenda item with the
    plan's reporters, the flagged cases (3.5) as the last item. An edit starts from what was
    recorded."""
    people = list((await session.exec(select(Person))).all())
    active = [p for p in people if p.active and p.id is not None]
    candidates = [p.id for p in svc.attendance_candidates(plan, people, view.number)]
    members = [p.id for p in active if svc.COUNCIL_ROLES & set(p.roles)]
    held: datetime | None = None
    if edit and view.row is not None and view.row.held_at is not None:
        held = view.row.held_at
    else:
        held = view.scheduled_at
        if held is None and view.plan_day is not None:
            held = datetime.combine(view.plan_day, policy.session_time, calendar.tz)
        if held is not None and held.astimezone(calendar.tz).date() > today:
            held = None
    items: list[dict[str, Any]] = []
    if view.extraordinary:
        agenda = (await svc.extraordinary_agendas(session, calendar.year)).get(view.number, "")
        items.append(_item(1, agenda or "—", []))
    else:
        for point in plan.session(view.number).agenda:
            title = title_of(point, lang, f"council-{view.number}.{point.number}")
            items.append(_item(point.number, title, _reporter_names(plan, active, point, lang)))
    data: dict[str, Any] = {
        "num": view.number,
        "edit": edit,
        "step": "attend" if held is not None else "held",
        "held_at": held.isoformat() if held else None,
        "candidates": candidates,
        "members": members,
        "present": list(candidates),
        "guests": [],
        "items": items,
        "cursor": 0,
        "pending": None,
        "appendix": False,
        "existing": 0,
    }
    if edit and view.row is not None and view.row.id is not None:
        sid = view.row.id
        data["present"] = await svc.attendance(session, sid)
        data["candidates"] = list(dict.fromkeys([*candidates, *data["present"]]))
        guests = (
            await session.exec(
                select(SessionGuest)
                .where(SessionGuest.session_id == sid)
                .order_by(col(SessionGuest.id))
            )
        ).all()
        data["guests"] = [[g.name, g.post] for g in guests]
        rows = (
            await session.exec(
                select(SessionItem)
                .where(SessionItem.session_id == sid)
                .order_by(col(SessionItem.number))
            )
        ).all()
        if rows:
            data["items"] = [
                {
                    **_item(r.number, r.title, list(r.reporters)),
                    "spoke": r.spoke,
                    "cases": list(r.case_student_ids),
                }
                for r in rows
            ]
        data["existing"] = len(await svc.decisions_of(session, sid))
        data["appendix"] = view.row.closed_appendix
        return data
    cases = await council_cases(session)
    if cases:
        number = max((i["number"] for i in items), default=0) + 1
        item = _item(number, CASES_TITLE.get(lang, CASES_TITLE["kk"]), [])
        item["cases"] = [c.student_id for c in cases]
        pedagogues = [p.name for p in active if Role.SOCIAL_PEDAGOGUE.value in p.roles]
        item["reporters"] = pedagogues[:1]
        items.append(item)
    return data


def _item(number: int, title: str, reporters: list[str]) -> dict[str, Any]:
    return {
        "number": number,
        "title": title,
        "reporters": reporters,
        "spoke": None,
        "cases": [],
        "decisions": [],
    }


# --- saving -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Saved:
    row: CouncilSession
    new_decisions: tuple[Decision, ...]
    quorum: bool


async def commit(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    data: dict[str, Any],
    *,
    actor: Person,
    now: datetime,
) -> Saved | None:
    """Save the draft as the session's record. None if it was recorded meanwhile (and this
    is not an edit)."""
    year = calendar.year
    number = int(data["num"])
    edit = bool(data.get("edit"))
    row = (await svc.session_rows(session, year)).get(number)
    if row is not None and row.held_at is not None and not edit:
        return None
    if row is None:
        row = CouncilSession(school_year=year, number=number, created_at=now)
        session.add(row)
    before = {"held_at": row.held_at.isoformat() if row.held_at else None}
    held_at = datetime.fromisoformat(data["held_at"])
    present = sorted(set(data.get("present", [])))
    quorum = has_quorum(present, data.get("members", []))
    row.held_at = held_at
    row.quorum = quorum
    row.closed_appendix = bool(data.get("appendix"))
    if Role.SECRETARY.value in actor.roles or row.secretary_person_id is None:
        row.secretary_person_id = actor.id
    await session.flush()
    assert row.id is not None
    sid = row.id
    for table in (SessionAttendance, SessionGuest, SessionItem):
        await session.exec(delete(table).where(col(table.session_id) == sid))  # type: ignore[attr-defined]
    known = {p.id for p in (await session.exec(select(Person))).all()}
    for pid in present:
        if pid in known:
            session.add(SessionAttendance(session_id=sid, person_id=pid))
    for name, post in data.get("guests", []):
        session.add(SessionGuest(session_id=sid, name=name, post=post))
    new: list[Decision] = []
    reviewed: list[int] = []
    for item in data.get("items", []):
        session.add(
            SessionItem(
                session_id=sid,
                number=item["number"],
                title=item["title"],
                reporters=list(item.get("reporters", [])),
                spoke=item.get("spoke"),
                case_student_ids=list(item.get("cases", [])),
            )
        )
        reviewed += list(item.get("cases", []))
        for d in item.get("decisions", []):
            decision = Decision(
                session_id=sid,
                text=d["text"],
                owner_person_id=d.get("owner_id"),
                owner_role=d.get("owner_role"),
                deadline=datetime.fromisoformat(d["due"]) if d.get("due") else None,
                due_kind=d.get("due_kind"),
                item_number=item["number"],
                created_at=now,
            )
            session.add(decision)
            await session.flush()
            assert decision.id is not None
            if decision.deadline is not None and (decision.owner_person_id or decision.owner_role):
                decision.occurrence_key = decision_key(decision.id, year)
            new.append(decision)
    await audit(
        session,
        actor=actor,
        action="session.edit" if edit else "session.record",
        target=f"council_session:{sid}",
        now=now,
        number=number,
        school_year=year,
        held_at=held_at.isoformat(),
        attended=present,
        guests=len(data.get("guests", [])),
        decisions=[d.id for d in new],
        quorum=quorum,
        cases=len(reviewed),
        before=before if edit else None,
    )
    await session.exec(
        delete(SessionDraft).where(
            col(SessionDraft.school_year) == year, col(SessionDraft.number) == number
        )
    )
    await session.commit()
    for student_id in sorted(set(reviewed)):
        try:
            await record_council_review(
                session,
                student_id=student_id,
                council_session_id=sid,
                text=f"№{number}",
                actor=actor,
                now=now,
            )
        except LookupError:
            continue
    return Saved(row, tuple(new), quorum)


async def owners_of(
    session: AsyncSession, decisions: Sequence[Decision]
) -> dict[int, list[Decision]]:
    """Who answers for each task-decision: its owner, or everyone active with its role."""
    people = [p for p in (await session.exec(select(Person))).all() if p.active]
    out: dict[int, list[Decision]] = {}
    for d in decisions:
        if d.occurrence_key is None:
            continue
        if d.owner_person_id is not None:
            ids = [d.owner_person_id]
        else:
            ids = [p.id for p in people if d.owner_role in p.roles and p.id is not None]
        for pid in ids:
            out.setdefault(pid, []).append(d)
    return out
