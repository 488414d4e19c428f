"""A recorded session, as its minutes show it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import group_name, title_of
from bot.core.roles import Role
from bot.documents.data.common import class_key, people_by_id, role_holder
from bot.services.recording import CASES_TITLE
from bot.services.sessions import COUNCIL_ROLES
from db.models import (
    CouncilSession,
    Decision,
    Incident,
    SessionAttendance,
    SessionGuest,
    SessionItem,
    Student,
)


@dataclass(frozen=True, slots=True)
class DecisionLine:
    number: int  # within its item
    text: str
    owner_name: str | None  # a person
    owner_role: str | None  # or a role (a Role value)
    deadline: date | None
    due_kind: str | None


@dataclass(frozen=True, slots=True)
class CasesSummary:
    students: int
    notes: int
    by_class: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class MinutesItem:
    number: int
    title: str
    reporters: tuple[str, ...]
    spoke: str | None
    decisions: tuple[DecisionLine, ...]
    cases: CasesSummary | None = None


@dataclass(frozen=True, slots=True)
class MinutesData:
    school_year: str
    number: int
    extraordinary: bool
    held_on: date
    place: str | None
    present: tuple[str, ...]  # names, council members first
    absent: tuple[str, ...]  # council members who were not there
    guests: tuple[tuple[str, str | None], ...]  # (name, post)
    members_total: int
    members_present: int
    quorum: bool
    items: tuple[MinutesItem, ...]
    chair: str | None
    secretary: str | None
    appendix: tuple[tuple[str, str], ...] | None  # (full name, class): only when asked for
    names_a_child: bool = False  # a typed text (a decision, who spoke) holds a student's surname

    @property
    def has_child_names(self) -> bool:
        return bool(self.appendix) or self.names_a_child


class NotRecorded(LookupError):
    """The session has not been recorded (held) yet."""


async def load_minutes(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    number: int,
    *,
    with_appendix: bool | None = None,
    lang: str = "kk",
) -> MinutesData:
    """A recorded session. `with_appendix`: None follows what the chair asked at recording.
    A plan session's agenda points and groups read in `lang`, whatever language the
    secretary recorded in."""
    row = (
        await session.exec(
            select(CouncilSession).where(
                CouncilSession.school_year == calendar.year, CouncilSession.number == number
            )
        )
    ).first()
    if row is None or row.held_at is None or row.id is None:
        raise NotRecorded(number)
    people = await people_by_id(session)
    attended = set(
        (
            await session.exec(
                select(SessionAttendance.person_id).where(SessionAttendance.session_id == row.id)
            )
        ).all()
    )
    members = [p for p in people.values() if p.active and COUNCIL_ROLES & set(p.roles)]
    member_ids = {p.id for p in members}
    present_members = sorted((people[i] for i in attended if i in member_ids),
                             key=lambda p: p.name)  # fmt: skip
    present_others = sorted((people[i] for i in attended if i in people and i not in member_ids),
                            key=lambda p: p.name)  # fmt: skip
    absent = sorted((p for p in members if p.id not in attended), key=lambda p: p.name)
    guests = (
        await session.exec(
            select(SessionGuest)
            .where(SessionGuest.session_id == row.id)
            .order_by(col(SessionGuest.id))
        )
    ).all()
    item_rows = (
        await session.exec(
            select(SessionItem)
            .where(SessionItem.session_id == row.id)
            .order_by(col(SessionItem.number))
        )
    ).all()
    decisions = (
        await session.exec(
            select(Decision).where(Decision.session_id == row.id).order_by(col(Decision.id))
        )
    ).all()
    points: dict[int, str] = {}
    if not row.extraordinary and any(s.number == number for s in plan.sessions):
        points = {
            p.number: title_of(p, lang, f"council-{number}.{p.number}")
            for p in plan.session(number).agenda
        }
    groups = {n: group_name(g, lang) for g in plan.groups for n in (g.names.kk, g.names.ru)}
    cases_title = dict.fromkeys(CASES_TITLE.values(), CASES_TITLE.get(lang, CASES_TITLE["kk"]))
    tz = calendar.tz
    by_item: dict[int, list[DecisionLine]] = defaultdict(list)
    for d in decisions:
        n = d.item_number or (item_rows[-1].number if item_rows else 1)
        owner = people.get(d.owner_person_id) if d.owner_person_id else None
        by_item[n].append(
            DecisionLine(
                number=len(by_item[n]) + 1,
                text=d.text,
                owner_name=owner.name if owner else None,
                owner_role=d.owner_role,
                deadline=d.deadline.astimezone(tz).date() if d.deadline else None,
                due_kind=d.due_kind,
            )
        )
    items: list[MinutesItem] = []
    appendix: list[tuple[str, str]] = []
    for it in item_rows:
        cases = None
        if it.case_student_ids:
            students = (
                await session.exec(
                    select(Student).where(col(Student.id).in_(list(it.case_student_ids)))
                )
            ).all()
            notes = (
                await session.exec(
                    select(Incident.id).where(
                        col(Incident.student_id).in_(list(it.case_student_ids))
                    )
                )
            ).all()
            classes = Counter(s.class_name for s in students)
            cases = CasesSummary(
                students=len(students),
                notes=len(notes),
                by_class=tuple(sorted(classes.items(), key=lambda kv: class_key(kv[0]))),
            )
            appendix += [(s.full_name, s.class_name) for s in students]
        items.append(
            MinutesItem(
                number=it.number,
                title=cases_title.get(it.title) or points.get(it.number, it.title),
                reporters=tuple(groups.get(r, r) for r in it.reporters),
                spoke=it.spoke,
                decisions=tuple(by_item.get(it.number, [])),
                cases=cases,
            )
        )
    if not item_rows and decisions:  # recorded before items were kept: one item for all
        items.append(MinutesItem(1, "", (), None, tuple(by_item.get(1, []))))
    want_appendix = row.closed_appendix if with_appendix is None else with_appendix
    typed = " ".join(
        [d.text for d in decisions]
        + [it.spoke or "" for it in item_rows]
        + [g.name for g in guests]
    )
    words = set(re.findall(r"\w+", typed.casefold()))
    surnames = {
        name.split()[0].casefold()
        for name in (await session.exec(select(Student.full_name))).all()
        if name.split()
    }
    secretary = people.get(row.secretary_person_id) if row.secretary_person_id else None
    secretary = secretary or role_holder(people, Role.SECRETARY)
    chair = role_holder(people, Role.CHAIR)
    quorum = (
        row.quorum
        if row.quorum is not None
        else (len(present_members) * 3 >= len(members) * 2 if members else True)
    )
    return MinutesData(
        school_year=row.school_year,
        number=row.number,
        extraordinary=row.extraordinary,
        held_on=row.held_at.astimezone(tz).date(),
        place=row.place,
        present=tuple(p.name for p in [*present_members, *present_others]),
        absent=tuple(p.name for p in absent),
        guests=tuple((g.name, g.post) for g in guests),
        members_total=len(members),
        members_present=len(present_members),
        quorum=quorum,
        items=tuple(items),
        chair=chair.name if chair else None,
        secretary=secretary.name if secretary else None,
        appendix=tuple(sorted(appendix, key=lambda a: (class_key(a[1]), a[0])))
        if want_appendix and appendix
        else None,
        names_a_child=bool(words & surnames),
    )


async def held_sessions(session: AsyncSession, year: str) -> list[CouncilSession]:
    rows = (
        await session.exec(
            select(CouncilSession)
            .where(CouncilSession.school_year == year, col(CouncilSession.held_at).is_not(None))
            .order_by(col(CouncilSession.number))
        )
    ).all()
    return list(rows)
