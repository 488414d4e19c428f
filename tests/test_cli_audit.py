"""`python -m bot audit students --since DATE`: after a leak, the students whose cards or notes
were opened or changed, from the audit log the bot wrote while staff worked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.callbacks import StudentAction, StudentCb
from bot.services.affected import affected_students
from db.models import Person, Student
from tests.conftest import TZ
from tests.harness import Kenes, tap
from tests.process import run_bot

NOTED, SEEN, FORBIDDEN, UNTOUCHED = (
    "Сапаров Ерлан",
    "Ахметова Дана",
    "Ким Олег",
    "Бекова Айым",
)


async def _seed(kenes: Kenes) -> dict[str, int]:
    async with kenes.pool() as session:
        rows = [
            Student(full_name=NOTED, class_name="7Ә"),
            Student(full_name=SEEN, class_name="7Ә"),
            Student(full_name=FORBIDDEN, class_name="8Б"),
            Student(full_name=UNTOUCHED, class_name="9А"),
        ]
        session.add_all(rows)
        session.add(
            Person(key="ct-7a", name="Teacher 7Ә", roles=["class_teacher"], class_name="7Ә")
        )
        await session.commit()
        return {s.full_name: s.id for s in rows}  # type: ignore[misc]


async def test_the_students_touched_are_listed_by_id_and_class(
    kenes: Kenes, tmp_path: Path
) -> None:
    ids = await _seed(kenes)
    pedagogue = await kenes.join("amangeldi-sm", "Сания", language_code="ru")
    teacher = await kenes.join("ct-7a", "Жанар", language_code="ru")
    # The pedagogue files a note about one child; the class teacher opens another's card and
    # forges a button for a third (another class): refused, and audited as such.
    await pedagogue.command("/incident")
    await pedagogue.next_message()
    await tap(pedagogue, "7Ә")
    await tap(pedagogue, f"{NOTED} · 7Ә")
    await tap(pedagogue, "драка/насилие")
    await pedagogue.send("Текст записи")
    await pedagogue.next_message()
    await tap(pedagogue, "✅ Сохранить · сейчас")
    await teacher.command("/students")
    await teacher.next_message()
    await tap(teacher, f"{SEEN} · 7Ә")
    await teacher.tap_data(
        teacher.last_bot_message, StudentCb(action=StudentAction.CARD, id=ids[FORBIDDEN]).pack()
    )
    await teacher.next_callback_answer()

    since, until = datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ)
    async with kenes.pool() as session:
        found = await affected_students(session, since, until)
        by_teacher = await affected_students(
            session, since, until, person_id=(await kenes.person("ct-7a")).id
        )
    assert [(a.student_id, a.class_name, a.opened, a.changed, a.denied) for a in found] == [
        (ids[NOTED], "7Ә", 0, 1, 0),
        (ids[SEEN], "7Ә", 1, 0, 0),
        (ids[FORBIDDEN], "8Б", 0, 0, 1),
    ]
    assert [a.student_id for a in by_teacher] == [ids[SEEN], ids[FORBIDDEN]]

    # The entry point itself: ids and classes by default, names only when asked.
    url = kenes.settings.database_url
    plain = run_bot(
        "audit", "students", "--since", "2026-11-01", "--until", "2026-11-30",
        cwd=tmp_path, DATABASE_URL=url,
    )  # fmt: skip
    assert plain.code == 0 and plain.stderr == "", plain.output
    lines = plain.stdout.splitlines()
    assert lines[0].endswith(": 3") and lines[1].split()[:2] == ["student", "class"]
    assert [line.split()[:2] for line in lines[2:]] == [
        [str(ids[NOTED]), "7Ә"],
        [str(ids[SEEN]), "7Ә"],
        [str(ids[FORBIDDEN]), "8Б"],
    ]
    for name in (NOTED, SEEN, FORBIDDEN, UNTOUCHED):
        assert name not in plain.output
    named = run_bot(
        "audit", "students", "--since", "2026-11-01", "--until", "2026-11-30", "--names",
        "--format", "csv", cwd=tmp_path, DATABASE_URL=url,
    )  # fmt: skip
    assert named.code == 0, named.output
    assert named.stdout.splitlines()[0].startswith("student,name,class,opened")
    assert f"{ids[SEEN]},{SEEN},7Ә,1,0,0," in named.stdout and UNTOUCHED not in named.stdout
    bad = run_bot("audit", "students", "--since", "24.11.2026", cwd=tmp_path, DATABASE_URL=url)
    assert (
        bad.code == 2 and "not a date YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.output
    )
