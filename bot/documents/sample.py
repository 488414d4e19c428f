"""A sample school year in the database, for the demo, the benchmarks and the tests.

`seed_year` writes, through the same services the bot uses: recorded sessions №2-№4 with
guests and decisions (one done on time, one late, one open), plan items reported done, one
"can't" with its reason, students put on the register and one taken off by the council,
incident notes across categories, months and classes, talks and home visits. It keeps its own
tally (`SampleYear`) of what it made, counted as it made it, so a test can compare a document's
figures with numbers that did not come from the query layer.

The names are invented. `scale` multiplies the students and notes (the benchmarks).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.schedule import occurrences
from bot.scheduler.planner import Roster
from bot.services import incidents, recording, students, tasks
from bot.services.sessions import get_view
from bot.services.staff import add_person, sync_people
from db.models import (
    IncidentCategory,
    Person,
    RegisterStatus,
    Report,
    ReportEvent,
    ReportStatus,
    Student,
    StudentEventKind,
)

FIRST_NAMES = ("Ерлан", "Дана", "Олег", "Айбек", "Мадина", "Нұрлан", "Аружан", "Тимур", "Жансая")
LAST_NAMES = ("Сапаров", "Ахметова", "Ким", "Жақыпов", "Серікова", "Бекова", "Омаров", "Ли")
CLASSES = ("5А", "6Б", "7Ә", "8А", "9Б", "10А")
CATEGORIES = (
    IncidentCategory.ABSENCE,
    IncidentCategory.FIGHT,
    IncidentCategory.RULES,
    IncidentCategory.BULLYING,
    IncidentCategory.ONLINE,
)
SECRETARY = "Серікова А.Б."


@dataclass
class SampleYear:
    students: list[tuple[int, str, str]] = field(default_factory=list)  # (id, name, class)
    registered: dict[int, RegisterStatus] = field(default_factory=dict)  # still on the register
    removed: list[int] = field(default_factory=list)
    notes_by_category: Counter[str] = field(default_factory=Counter)
    notes_by_month: Counter[tuple[int, int]] = field(default_factory=Counter)
    notes_by_class: Counter[str] = field(default_factory=Counter)
    talks: int = 0
    visits: int = 0
    sessions: list[int] = field(default_factory=list)
    decisions: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (text, owner, dd.mm.yyyy)
    decisions_on_time: int = 0
    decisions_late: int = 0
    decisions_open: int = 0
    decisions_no_deadline: int = 0
    done_item: str = "1.1"  # and every other item, except these three:
    partly_item: str = "1.5"  # one of its people reported done, the other not
    not_done_item: str = "4.1"  # nobody reported
    cant_item: str = "2.6"  # "can't", with the reason
    cant_reason: str = "Ата-аналар жиналысы шілдеге ауысты"
    present_4: list[str] = field(default_factory=list)
    absent_4: list[str] = field(default_factory=list)
    guests_4: list[tuple[str, str]] = field(default_factory=list)
    put_on: int = 0


def _at(calendar: SchoolCalendar, y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, 0, tzinfo=calendar.tz)


async def _person(session: AsyncSession, key: str) -> Person:
    return (await session.exec(select(Person).where(Person.key == key))).one()


async def seed_year(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    *,
    scale: int = 1,
    until: datetime | None = None,
) -> SampleYear:
    """Write the sample year up to `until` (default: 30 November of the year)."""
    tally = SampleYear()
    y0 = calendar.span[0].year
    until = until or _at(calendar, y0, 11, 30, 12)
    await sync_people(session, plan)
    secretary = await add_person(
        session, SECRETARY, ["secretary", "teacher"], by=None, now=_at(calendar, y0, 9, 1)
    )
    pedagogue = await _person(session, "amangeldi-sm")
    chair = await _person(session, "eshkeeva-at")
    deputy = await _person(session, "mukanova-azh")

    # Students, registered in September-October; one taken off in November (session 4).
    count = 6 * scale
    for i in range(count):
        name = f"{LAST_NAMES[i % len(LAST_NAMES)]} {FIRST_NAMES[i % len(FIRST_NAMES)]}"
        if scale > 1:
            name += f" {i + 1}"
        klass = CLASSES[i % len(CLASSES)]
        grade = int("".join(ch for ch in klass if ch.isdigit()))
        born = date(y0 - grade - 6, 1 + i % 12, 1 + i % 28)
        student = Student(
            full_name=name, class_name=klass, birth_date=born, created_at=_at(calendar, y0, 9, 2)
        )
        session.add(student)
        await session.flush()
        assert student.id is not None
        tally.students.append((student.id, name, klass))
    await session.commit()
    kinds = (RegisterStatus.INTRA_SCHOOL, RegisterStatus.POLICE, RegisterStatus.RISK_GROUP)
    for n, (sid, _name, _klass) in enumerate(tally.students[: max(3, count // 2)]):
        status = kinds[n % len(kinds)]
        when = _at(calendar, y0, 9 + n % 2, 10 + n % 15)
        await students.set_status(
            session, student_id=sid, seen_version=1, status=status, actor=chair, now=when,
            tz=calendar.tz, grounds="Сабақтан жүйелі түрде қалу",
        )  # fmt: skip
        await students.set_responsible(
            session, student_id=sid, seen_version=2, person_id=pedagogue.id, actor=pedagogue,
            now=when,
        )  # fmt: skip
        tally.registered[sid] = status
        tally.put_on += 1

    # Notes: category, month and class vary; the tally counts them as they are made.
    for n in range(10 * scale):
        sid, _name, klass = tally.students[n % len(tally.students)]
        month = (9, 10, 11)[n % 3]
        when = _at(calendar, y0, month, 3 + n % 20)
        category = CATEGORIES[n % len(CATEGORIES)]
        await incidents.file_incident(
            session, student_id=sid, author=pedagogue, category=category,
            text=f"Жазба {n + 1}: сабақта тәртіп бұзды.", occurred_at=when, now=when,
        )  # fmt: skip
        tally.notes_by_category[category.value] += 1
        tally.notes_by_month[(when.year, when.month)] += 1
        tally.notes_by_class[klass] += 1
    await session.commit()
    for n, sid in enumerate(list(tally.registered)[:3]):
        when = _at(calendar, y0, 10, 20 + n)
        await students.add_event(
            session, student_id=sid, kind=StudentEventKind.TALK, text="Жеке әңгіме өткізілді.",
            at=when, actor=pedagogue, now=when,
        )  # fmt: skip
        tally.talks += 1
        await students.add_event(
            session, student_id=sid, kind=StudentEventKind.HOME_VISIT,
            text="Үйге барылды: тұрмыстық жағдайы қанағаттанарлық, акт толтырылды.",
            at=when + timedelta(days=1), actor=pedagogue, now=when + timedelta(days=1),
        )  # fmt: skip
        tally.visits += 1

    # Sessions №2, №3 and №4, recorded as the secretary does.
    for number, day, decisions in (
        (2, _at(calendar, y0, 9, 24, 15), [("Үйірмелерге тарту тізімін жасау", "p", 10)]),
        (3, _at(calendar, y0, 10, 22, 15), [("Кешкі рейд кестесін бекіту", "p", 14)]),
        (4, _at(calendar, y0, 11, 26, 15), [("Ата-аналармен жиналыс өткізу", "p", 20),
                                            ("Сауалнама нәтижесін жеткізу", "r", 25)]),
    ):  # fmt: skip
        if number == 4:  # a student flagged for the council (3.5) comes to session №4
            student = await session.get(Student, tally.students[0][0])
            assert student is not None
            student.for_council = True
            await session.commit()
        view = await get_view(session, plan, calendar, number)
        assert view is not None
        data = await recording.new_draft(
            session, plan, calendar, view, lang="kk", edit=False, today=day.date()
        )
        data["held_at"] = day.isoformat()
        if number == 4:
            absent = await _person(session, "ilyasova-sm")
            data["present"] = [pid for pid in data["present"] if pid != absent.id]
            data["guests"] = [["Жұмабаев Е.С.", "ювеналдық полиция инспекторы"]]
            tally.guests_4 = [("Жұмабаев Е.С.", "ювеналдық полиция инспекторы")]
            people = {p.id: p.name for p in (await session.exec(select(Person))).all()}
            tally.present_4 = [people[pid] for pid in data["present"]]
            tally.absent_4 = [absent.name]
        for k, (text, kind, days) in enumerate(decisions):
            due = datetime.combine((day + timedelta(days=days)).date(), time(18), calendar.tz)
            entry: dict[str, Any] = {"text": text, "due": due.isoformat(), "due_kind": "date"}
            if kind == "p":
                entry["owner_id"] = deputy.id
                owner = deputy.name
            else:
                entry["owner_role"] = "class_teacher"
                owner = "сынып жетекшілері"
            data["items"][k % len(data["items"])]["decisions"].append(entry)
            tally.decisions.append((text, owner, due.strftime("%d.%m.%Y")))
        saved = await recording.commit(session, plan, calendar, data, actor=secretary, now=day)
        assert saved is not None
        tally.sessions.append(number)
        # №2's decision done on time, №3's late, №4's open.
        for d in saved.new_decisions:
            assert d.deadline is not None
            if number == 4:
                tally.decisions_open += 1
                continue
            done_at = d.deadline - timedelta(days=2) if number == 2 else d.deadline + timedelta(1)
            await _report_decision(session, calendar, d.occurrence_key or "", done_at)
            if number == 2:
                tally.decisions_on_time += 1
            else:
                tally.decisions_late += 1

    # Taken off the register by session №4.
    removed = list(tally.registered)[-1]
    council = await _session_id(session, calendar, 4)
    await students.set_status(
        session, student_id=removed, seen_version=3, status=RegisterStatus.NONE, actor=chair,
        now=_at(calendar, y0, 11, 26, 16), tz=calendar.tz, council_session_id=council,
    )  # fmt: skip
    del tally.registered[removed]
    tally.removed.append(removed)

    # Plan items: done by everyone, except one partly, one not done, one "can't" with why.
    roster = Roster(plan, list((await session.exec(select(Person))).all()), [])
    occs = occurrences(plan, calendar, calendar.span[0], until.date())
    for occ in occs:
        if occ.kind != "task" or occ.due > until or occ.item_ref == tally.not_done_item:
            continue
        if occ.item_ref == tally.cant_item:
            status, reason = ReportStatus.CANT, tally.cant_reason
        else:
            status, reason = ReportStatus.DONE, None
        who = list(roster.responsible(occ))
        if occ.item_ref == tally.partly_item:
            who = who[:1]
        row = await tasks.ensure_occurrence(session, occ, calendar.year)
        for pid in who:  # written directly (one commit): `tasks.record` commits each tap
            session.add(
                Report(occurrence_id=row.id, person_id=pid, status=status, reason=reason,
                       created_at=occ.due, updated_at=occ.due)
            )  # fmt: skip
            session.add(
                ReportEvent(occurrence_id=row.id, person_id=pid, status=status, text=reason,
                            at=occ.due, idempotency_key=f"sample|{occ.key}|{pid}")
            )  # fmt: skip
    await session.commit()
    return tally


async def _session_id(session: AsyncSession, calendar: SchoolCalendar, number: int) -> int:
    from bot.services.sessions import session_rows

    row = (await session_rows(session, calendar.year))[number]
    assert row.id is not None
    return row.id


async def _report_decision(
    session: AsyncSession, calendar: SchoolCalendar, key: str, at: datetime
) -> None:
    overrides = await tasks.load_overrides(session, calendar)
    occ = next(o for o in overrides.extra if o.key == key)
    row = await tasks.ensure_occurrence(session, occ, calendar.year)
    roster_people = list((await session.exec(select(Person))).all())
    for person in roster_people:
        if person.key in occ.people and person.id is not None:
            await tasks.record(
                session, occurrence=row, person_id=person.id, status=ReportStatus.DONE, now=at,
                idempotency_key=f"sample|{key}|{person.id}",
            )  # fmt: skip
