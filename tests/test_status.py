"""/status: the pure computation over plain rows, the rendering (split, never cut), and the
command end to end for the roles that may see it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.overrides import PlanOverrides, apply_overrides, timing_choice
from bot.core.roles import Role
from bot.core.schedule import occurrences
from bot.services.staff import members_of
from bot.services.status import compute_status, pack, render_status
from db.models import Account, AccountState, CouncilSession, Person
from tests.conftest import TZ
from tests.harness import Kenes, seed_calendar, seed_plan

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)


def _people() -> list[Person]:
    return [
        Person(id=i, key=p.key, name=p.name, roles=[str(r) for r in p.roles])
        for i, p in enumerate(seed_plan().people, start=1)
    ]


def _status(done=(), sessions=(), accounts=(), now=NOW):  # type: ignore[no-untyped-def]
    return compute_status(
        seed_plan(),
        seed_calendar(),
        now,
        people=_people(),
        accounts=accounts,
        done=done,
        sessions=list(sessions),
    )


def test_nothing_reported_means_everything_past_is_overdue() -> None:
    status = _status()
    assert [s.number for s in status.sections] == [1, 2, 3, 4, 5]
    assert all(s.done == 0 for s in status.sections)
    assert sum(len(s.overdue) for s in status.sections) > 0
    for s in status.sections:
        assert all(line.due < NOW for line in s.overdue)
        assert all(NOW <= line.due <= NOW + timedelta(days=14) for line in s.coming)
    # 1.6 ("sessions monthly") is left to the sessions themselves.
    refs = {line.ref for s in status.sections for line in s.overdue + s.coming}
    assert "1.6" not in refs


def test_defect_item_2_4_without_timing_is_named_in_its_section_until_it_has_one() -> None:
    """#13: 2.4 (an empty When cell) no longer vanishes from /status."""
    status = _status()
    assert [s.undated for s in status.sections if s.undated] == [
        [("2.4", seed_plan().item("2.4").title)]
    ]
    text = "\n".join(render_status("ru", status, seed_calendar()))
    assert (
        "❔ 2.4 Құқықбұзушылықтың алдын алу айлығын өткізу: — без даты: срок задаёт "
        "администратор (/plan)"
    ) in text.splitlines()
    kk = "\n".join(render_status("kk", status, seed_calendar()))
    assert "мерзімі жоқ: әкімші белгілейді (/plan)" in kk
    fixed = apply_overrides(seed_plan(), PlanOverrides(timing={"2.4": timing_choice("monthly")}))
    dated = compute_status(
        fixed, seed_calendar(), NOW, people=_people(), accounts=(), done=(), sessions=[]
    )
    assert not any(s.undated for s in dated.sections)


def test_work_due_before_kenes_was_in_use_is_not_overdue() -> None:
    since = (NOW - timedelta(days=10)).date()
    status = compute_status(
        seed_plan(),
        seed_calendar(),
        NOW,
        people=_people(),
        accounts=(),
        done=(),
        sessions=[],
        since=since,
    )
    overdue = [line for s in status.sections for line in s.overdue]
    assert overdue, "work due in the last ten days is still overdue"
    assert all(line.due.date() >= since for line in overdue)
    assert len(overdue) < sum(len(s.overdue) for s in _status().sections)


def test_a_group_item_counts_each_member() -> None:
    plan, calendar, people = seed_plan(), seed_calendar(), _people()
    occs = occurrences(plan, calendar, calendar.span[0], NOW.date())
    group_occ = next(
        o
        for o in occs
        if o.kind == "task"
        and o.due < NOW
        and plan.item(o.item_ref).remind
        and len(members_of(plan.item(o.item_ref).responsible, plan, people)) > 2
    )
    ids = [p.id for p in members_of(plan.item(group_occ.item_ref).responsible, plan, people)]
    some = [(group_occ.key, pid) for pid in ids[:2]]
    line = next(
        x
        for s in _status(done=some).sections
        for x in s.overdue
        if (x.ref, x.due) == (group_occ.ref, group_occ.due)
    )
    assert (line.done, line.total) == (2, len(ids))
    every = [(group_occ.key, pid) for pid in ids]
    after = _status(done=every)
    assert all(
        x.due != group_occ.due or x.ref != group_occ.ref for s in after.sections for x in s.overdue
    )
    assert sum(s.done for s in after.sections) == 1


def test_sessions_held_and_the_next_one() -> None:
    held = CouncilSession(
        school_year="2026-2027", number=3, held_at=datetime(2026, 10, 22, 15, 0, tzinfo=TZ)
    )
    status = _status(sessions=[held])
    assert status.held == ((3, held.held_at),)
    assert status.next_session is not None and status.next_session.number == 4
    assert status.next_session.when is None and status.next_session.month == 11
    dated = CouncilSession(
        school_year="2026-2027", number=4, scheduled_at=datetime(2026, 11, 26, 15, 0, tzinfo=TZ)
    )
    extra = CouncilSession(
        school_year="2026-2027",
        number=11,
        extraordinary=True,
        scheduled_at=datetime(2026, 11, 25, 16, 0, tzinfo=TZ),
    )
    status = _status(sessions=[held, dated, extra])
    assert status.next_session is not None and status.next_session.number == 11
    text = "\n".join(render_status("ru", status, seed_calendar()))
    assert "проведено 1 из 10" in text and "Следующее: №11, 25 ноября, среда, 16:00" in text
    assert "№3 (22.10)" in text


def test_who_cannot_be_reached() -> None:
    people = _people()
    by_key = {p.key: p for p in people}
    accounts = [
        Account(person_id=by_key["eshkeeva-at"].id, telegram_user_id=1, chat_id=1),
        Account(
            person_id=by_key["mukanova-azh"].id,
            telegram_user_id=2,
            chat_id=2,
            state=AccountState.BLOCKED,
        ),
        Account(
            person_id=by_key["amangeldi-sm"].id,
            telegram_user_id=3,
            chat_id=3,
            unreachable_since=NOW,
        ),
        Account(
            person_id=by_key["uteshova-ak"].id,
            telegram_user_id=4,
            chat_id=4,
            state=AccountState.REVOKED,
        ),
    ]
    status = _status(accounts=accounts)
    assert status.blocked == ("Амангелді С.М.", "Муканова А.Ж.")
    assert "Ешкеева А.Т." not in status.never_joined
    assert "Утешова А.К." not in status.never_joined  # revoked on purpose
    externals = {p.name for p in seed_plan().people if list(p.roles) == [Role.EXTERNAL]}
    assert externals and not externals & set(status.never_joined)
    assert "Қолғанат Р.Ж." in status.never_joined


def test_long_status_is_split_between_lines_never_cut() -> None:
    status = _status()
    whole = render_status("kk", status, seed_calendar())
    parts = render_status("kk", status, seed_calendar(), limit=400)
    assert len(parts) > len(whole) >= 1
    assert all(len(p) <= 400 for p in parts)
    lines = [line for p in whole for line in p.split("\n") if line]
    split_lines = [line for p in parts for line in p.split("\n") if line]
    assert split_lines == lines


def test_pack_keeps_blocks_together_where_they_fit() -> None:
    assert pack(["a" * 10, "b" * 10], limit=25) == ["a" * 10 + "\n\n" + "b" * 10]
    assert pack(["a" * 10, "b" * 10], limit=15) == ["a" * 10, "b" * 10]


async def test_status_command_for_the_deputy_in_russian(kenes: Kenes) -> None:
    deputy = await kenes.join("mukanova-azh", "Майра", language_code="ru")
    await deputy.command("/language")
    await deputy.next_message()
    await deputy.tap("Русский")
    await deputy.next_callback_answer()
    await deputy.command("/status")
    first = await deputy.next_message()
    assert "Выполнение плана" in first.text and "24 ноября" in first.text
    deputy.skip_messages()
    text = "\n".join(m.text or "" for m in deputy.bot_messages)
    assert "Заседания совета: проведено 0 из 10" in text
    assert "Следующее: №4, ноябрь, дата не назначена" in text
    assert "Не подключились:" in text and "Ешкеева А.Т." in text
    assert all(len(m.text or "") <= 4096 for m in deputy.bot_messages)
    teacher = await kenes.join("kambarova-kg", "Гүлім")
    await teacher.command("/status")
    assert "рұқсатыңыз жоқ" in (await teacher.next_message()).text
