"""/status: the pure computation over plain rows, the rendering (split, never cut), and the
command end to end for the roles that may see it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.overrides import PlanOverrides, apply_overrides, timing_choice
from bot.core.roles import Role
from bot.core.schedule import occurrences
from bot.core.words import short
from bot.services.staff import members_of
from bot.services.status import (
    MAIN_MAX,
    bar,
    compute_status,
    item_screen,
    main_screen,
    pack,
    render_status,
    section_screen,
)
from db.models import Account, AccountState, CouncilSession, Person
from tests.conftest import TZ
from tests.harness import Kenes, seed_calendar, seed_plan, tap

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
    page = section_screen("ru", status, 2, seed_calendar())
    assert page is not None
    assert (
        "❔ 2.4 Құқықбұзушылықтың алдын алу айлығын… — без даты: срок задаёт администратор (/plan)"
    ) in page[0].splitlines()
    kk = section_screen("kk", status, 2, seed_calendar())
    assert kk is not None and "мерзімі жоқ: әкімші белгілейді (/plan)" in kk[0]
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
    assert "проведено 1 из 10" in text
    assert "Следующее заседание №11</b> — 25 ноября, среда, 16:00" in text


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


def test_the_main_screen_fits_900_characters_and_never_shows_a_zero_tick() -> None:
    people = _people()
    accounts = [
        Account(person_id=p.id, telegram_user_id=p.id or 0, chat_id=p.id or 0,
                joined_at=datetime(2026, 8, 25, 9, tzinfo=TZ))
        for p in people
    ]  # fmt: skip
    for now in (NOW, datetime(2027, 3, 2, 9, tzinfo=TZ), datetime(2027, 5, 20, 9, tzinfo=TZ)):
        status = _status(accounts=accounts, now=now)
        for lang in ("kk", "ru"):
            text, markup = main_screen(lang, status)
            assert len(text) <= MAIN_MAX, (lang, now, len(text))
            assert "✅ 0" not in text and " 0/0" not in text
            assert [b.text for b in markup.inline_keyboard[0]] == [f"🔎 {n}" for n in range(1, 6)]
            assert render_status(lang, status, seed_calendar()) == [text]
    # Who is behind: names, worst first, at most five.
    status = _status(accounts=accounts)
    assert 1 <= len(status.behind) <= 5
    counts = [n for _, n in status.behind]
    assert counts == sorted(counts, reverse=True)
    text, _ = main_screen("kk", status)
    assert status.behind[0][0] in text and "Артта қалғандар" in text


def test_titles_are_shortened_at_word_boundaries_with_the_full_title_a_tap_away() -> None:
    assert short("Оқушылардың сабаққа қатысымын бақылау", 20) == "Оқушылардың сабаққа…"
    assert short("Оқушылардың сабаққа", 40) == "Оқушылардың сабаққа"
    status = _status()
    titles = {i.ref: " ".join(i.title.split()) for i in seed_plan().items()}
    titles |= {s.ref: " ".join(s.title.split()) for i in seed_plan().items() for s in i.subitems}
    shortened = 0
    for number in range(1, 6):
        page = section_screen("kk", status, number, seed_calendar())
        assert page is not None
        for line in page[0].splitlines():
            if "…" in line and " — " in line:
                ref, cut = line.split(" ", 2)[1], line.split(" ", 2)[2].split("…")[0]
                full = titles[ref]
                assert full.startswith(cut) and full[len(cut)] == " ", line
                shortened += 1
    assert shortened  # some title was shortened, so the rule above was checked
    section, line = next((s, x) for s in status.sections for x in s.overdue if len(x.title) > 40)
    screen = item_screen("ru", status, line.key)
    assert screen is not None and " ".join(line.title.split()) in screen[0]
    assert section.number > 0


def test_bar() -> None:
    assert bar(0, 6) == "░░░░░░" and bar(6, 6) == "▓▓▓▓▓▓" and bar(3, 6) == "▓▓▓░░░"
    assert bar(1, 100) == "▓░░░░░" and bar(99, 100) == "▓▓▓▓▓░"


def test_a_reporter_who_said_ready_is_not_listed() -> None:
    people = _people()
    by_key = {p.key: p for p in people}
    status = _status()
    assert status.next_session is not None and status.next_session.number == 4
    waiting = {r.name for r in status.next_session.reporters if not r.ready}
    assert "Утешова А.К." in waiting
    ready = _status(done=[("council-4@2026-2027", by_key["uteshova-ak"].id)])
    assert ready.next_session is not None
    assert "Утешова А.К." not in {r.name for r in ready.next_session.reporters if not r.ready}
    text, _ = main_screen("kk", ready)
    assert "дайын емес" in text and "Утешова" not in text


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
    screen = await deputy.next_message()  # one message, one screen
    assert "Выполнение плана" in screen.text and "24 ноября" in screen.text
    assert len(screen.text) <= MAIN_MAX
    assert "проведено 0 из 10" in screen.text
    assert "Следующее заседание №4 — ноябрь, дата не назначена" in screen.text
    await tap(deputy, "📵 Кому не доходит")
    reach = deputy.chat.get(screen.message_id)
    assert reach is not None and "Не подключились:" in reach.text and "Ешкеева А.Т." in reach.text
    await tap(deputy, "⬅️ Назад")
    await tap(deputy, "🔎 1")
    page = deputy.chat.get(screen.message_id)
    # The Russian screen is all Russian: the section and its items by their Russian titles.
    assert page is not None and page.text.startswith("1. Организационная работа")
    assert "Контроль посещаемости уроков" in page.text
    first = next(label for label in page.button_labels if label.startswith("1. "))
    await tap(deputy, first)
    item = deputy.chat.get(screen.message_id)
    assert item is not None and "Срок:" in item.text and "Выполнили:" in item.text
    await tap(deputy, "⬅️ Назад")
    await tap(deputy, "⬅️ Назад")
    back = deputy.chat.get(screen.message_id)
    assert back is not None and back.text.startswith("📊 Выполнение плана")
    await deputy.no_message()  # all of it in the one message
    teacher = await kenes.join("kambarova-kg", "Гүлім")
    await teacher.command("/status")
    assert "рұқсатыңыз жоқ" in (await teacher.next_message()).text


async def test_a_reporter_marks_the_report_ready_and_the_chair_sees_who_is_not(
    kenes: Kenes,
) -> None:
    from bot.scheduler.jobs import tick
    from bot.scheduler.outbox import Outbox

    chair = await kenes.join("eshkeeva-at", "Айнұр", language_code="ru")
    reporter = await kenes.join("uteshova-ak", "Айгерім")
    async with kenes.pool() as session:
        session.add(
            CouncilSession(
                school_year="2026-2027",
                number=4,
                scheduled_at=datetime(2026, 11, 26, 15, 0, tzinfo=TZ),
            )
        )
        await session.commit()
    now = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)  # the day before: reporters are reminded
    kenes.clock.set(now)
    await tick(kenes.dp.workflow_data["app_context"], now)
    await Outbox(kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0,
                 holder="t").drain()  # fmt: skip
    reminder = next(m for m in reporter.bot_messages if "№4" in m.text)
    assert "✅ Баяндамам дайын" in reminder.button_labels
    chair.skip_messages()  # (her own reminder: a member, no points, no button)
    await chair.command("/status")
    before = await chair.next_message()
    assert "доклад не готов:" in before.text and "Утешова А.К." in before.text
    assert await tap(reporter, "✅ Баяндамам дайын") == "Жазылды: баяндамаңыз дайын."
    shown = reporter.chat.get(reminder.message_id)
    assert shown is not None and "✅ Баяндамам дайын" not in shown.button_labels
    await chair.command("/status")
    after = await chair.next_message()
    assert "Утешова А.К." not in after.text and "Рахимжанова А.Р." in after.text
