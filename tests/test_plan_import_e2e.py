"""Issue #13 in the chat: an admin sends the school's Word plan, reads the review, sets the
undated items' timing by buttons and confirms; /plan sets the timing of the plan in use's
undated items (2.4). The production dispatcher, the strict fake Telegram, the real database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.core.plan import load_plan
from bot.core.timing import FixedDate, Monthly, Quarterly
from bot.scheduler.jobs import tick
from bot.scheduler.outbox import Outbox
from bot.services.assignments import effective_plan
from bot.services.plan_import import adopt_plan
from db.models import AuditLog, Occurrence, OccurrenceStatus, PlanOverride, Report, ReportStatus
from tests.conftest import TZ
from tests.harness import Kenes, tap
from tests.plan_files import kk_plan, ru_plan


async def test_admin_imports_a_russian_word_plan_fixes_timings_and_confirms(
    kenes: Kenes, tmp_path: Path
) -> None:
    kenes.settings.plans_dir = tmp_path / "plans"
    admin = await kenes.admin(language_code="ru")
    await admin.send_document("план.docx", ru_plan())
    review = await admin.next_message()
    assert review.document is not None  # long: the full report is attached, one message
    caption = review.caption or ""
    assert "прочитано пунктов — 44" in caption and "Сроки поняты: 45 из 47" in caption
    assert "2.21: срок не понят: «в дни проведения акций»" in caption
    assert review.button_labels == [
        "🗓 2.21: задать срок",
        "🗓 2.22: задать срок",
        "✅ Подтвердить",
        "✖️ Отмена",
    ]
    report = (review.document_bytes or b"").decode("utf-8")
    assert "1.7 Мероприятие 7" in report and "ежемесячно, до 25 числа" in report
    await admin.tap("🗓 2.21: задать срок", review)
    await admin.next_callback_answer()
    choices = await admin.next_message()
    assert "Какой срок?" in choices.text
    assert await tap(admin, "Ежемесячно") is None
    assert "2.21: срок — ежемесячно." in (await admin.next_message()).text
    await admin.tap("✅ Подтвердить", review)
    await admin.next_callback_answer()
    done = await admin.next_message()
    assert "Новый план действует (версия 1)" in done.text
    assert "Пунктов нет в новом плане: 1.1," in done.text
    (saved,) = (tmp_path / "plans" / "versions").glob("0001-*.json")
    new = load_plan(saved)
    assert new.item("2.21").timing == (Monthly(),)
    assert kenes.dp.workflow_data["plan"].item("2.21").timing == (Monthly(),)  # in use now
    assert kenes.dp.workflow_data["app_context"].plan is kenes.dp.workflow_data["plan"]


async def test_a_kazakh_plan_and_a_file_that_is_no_plan(kenes: Kenes, tmp_path: Path) -> None:
    kenes.settings.plans_dir = tmp_path / "plans"
    admin = await kenes.admin()
    await admin.send_document("сурет.docx", b"not a word file")
    assert "жоспар ретінде оқи алмадым" in (await admin.next_message()).text
    await admin.send_document("жоспар.docx", kk_plan())
    review = await admin.next_message()
    assert "7 тармақ (2 бөлім), 3 кеңес отырысы оқылды" in review.text
    assert "Бәрі оқылды." in review.text
    await admin.tap("✖️ Болдырмау", review)
    await admin.next_callback_answer()
    assert "қолданыстағысы өзгермеді" in (await admin.next_message()).text
    assert not (tmp_path / "plans").exists()


async def test_admin_imports_a_kazakh_word_plan_and_confirms(kenes: Kenes, tmp_path: Path) -> None:
    kenes.settings.plans_dir = tmp_path / "plans"
    admin = await kenes.admin()
    await admin.send_document("жоспар.docx", kk_plan())
    review = await admin.next_message()
    assert "7 тармақ (2 бөлім), 3 кеңес отырысы оқылды" in review.text
    assert review.button_labels == ["✅ Растау", "✖️ Болдырмау"]
    await admin.tap("✅ Растау", review)
    await admin.next_callback_answer()
    done = await admin.next_message()
    assert "Жаңа жоспар қолданыста (1-нұсқа): 7 тармақ, 3 отырыс" in done.text
    (saved,) = (tmp_path / "plans" / "versions").glob("0001-*.json")
    in_use = kenes.dp.workflow_data["plan"]
    assert [s.title for s in in_use.sections] == [s.title for s in load_plan(saved).sections]
    assert sum(1 for _ in in_use.items()) == 7 and len(in_use.sessions) == 3
    assert kenes.dp.workflow_data["app_context"].plan is in_use


async def test_a_teacher_cannot_send_a_plan(kenes: Kenes) -> None:
    teacher = await kenes.join("nugimanova-mk", "Мәди")
    await teacher.send_document("жоспар.docx", kk_plan())
    reply = await teacher.next_message()
    assert "тармақ" not in reply.text


async def test_admin_sets_the_timing_of_item_2_4_in_the_chat(kenes: Kenes) -> None:
    admin = await kenes.admin(language_code="ru")
    await admin.command("/plan")
    listed = await admin.next_message()
    assert "2.4" in listed.text and "без даты — задайте срок" in listed.text
    await admin.tap("🗓 2.4: задать срок", listed)
    await admin.next_callback_answer()
    await admin.next_message()
    assert await tap(admin, "Раз в четверть") is None
    assert "срок — раз в четверть" in (await admin.next_message()).text
    async with kenes.pool() as session:
        rows = (await session.exec(select(PlanOverride))).all()
        plan = await effective_plan(session, kenes.plan)
        audit = (
            await session.exec(select(AuditLog).where(AuditLog.action == "plan.timing"))
        ).all()
    assert [(r.ref, r.kind) for r in rows] == [("2.4", "timing")]
    assert plan.item("2.4").timing == (Quarterly(),)
    assert len(audit) == 1
    await admin.command("/plan")
    assert "У всех пунктов плана есть срок." in (await admin.next_message()).text


async def test_done_work_keeps_its_state_when_the_new_plan_has_the_same_item(
    kenes: Kenes,
) -> None:
    old = kenes.plan
    sections = list(old.sections)
    first = sections[0]
    items = list(first.items)
    moved = items[4].model_copy(update={"ref": "1.15"})  # 1.5, numbered anew
    replaced = items[3].model_copy(update={"title": "Мүлдем басқа іс-шара"})  # 1.4 is new work
    items[3] = replaced
    del items[4]
    items.append(moved)
    sections[0] = first.model_copy(update={"items": tuple(items)})
    new = old.model_copy(update={"sections": tuple(sections)})
    person = await kenes.person("sarybaeva-ga")
    now = datetime(2026, 11, 24, 4, tzinfo=UTC)
    async with kenes.pool() as session:
        for key, ref in (("1.5@2026-2027-autumn", "1.5"), ("1.4@2026-W41", "1.4")):
            row = Occurrence(key=key, ref=ref, school_year="2026-2027", window_start=now,
                             due=now, title="x")  # fmt: skip
            session.add(row)
            await session.flush()
            assert row.id is not None and person.id is not None
            session.add(
                Report(occurrence_id=row.id, person_id=person.id, status=ReportStatus.DONE)
            )
        await session.commit()
        comparison = await adopt_plan(session, old, new, "2026-2027", by=None, now=now, version=2)
        rows = {r.ref: r for r in (await session.exec(select(Occurrence))).all()}
        reports = (await session.exec(select(Report))).all()
    assert comparison.same["1.5"] == "1.15" and "1.4" not in comparison.same
    assert rows["1.15"].key == "1.15@2026-2027-autumn"  # done stays done, under its new number
    assert (
        rows["1.4"].key == "1.4@2026-W41~v2" and rows["1.4"].status is OccurrenceStatus.CANCELLED
    )
    assert len(reports) == 2


async def test_admin_sets_the_school_host_of_an_external_only_lecture(kenes: Kenes) -> None:
    """3.4.3 names only the district police: the deputy director hosts it by default; the
    admin gives it to the social pedagogue on /plan, who is then reminded to invite them."""
    pedagogue = await kenes.join("amangeldi-sm", "Сәуле")
    admin = await kenes.admin(language_code="ru")
    await admin.command("/plan")
    screen = await admin.next_message()
    assert "Пункты с приглашёнными гостями" in screen.text
    assert (
        "• 3.4.3 Лекция «Ответственность за преступления против половой… — гости: "
        "Сотрудники ОП Хромтауского района; принимает: Муканова А.Ж."
    ) in screen.text
    assert "• заседание №3, вопрос 2 Итоги вечерних рейдов — гости:" in screen.text
    assert "👤 заседание №3, вопрос 2: кто принимает" in screen.button_labels
    await admin.tap("👤 3.4.3: кто принимает", screen)
    await admin.next_callback_answer()
    pick = await admin.next_message()
    assert "Сейчас принимает: Муканова А.Ж." in pick.text
    assert "Кто в школе приглашает и принимает их?" in pick.text
    assert "☑️ Муканова А.Ж." in pick.button_labels
    assert not any("Рсалин" in label for label in pick.button_labels)  # external: no host
    assert await tap(admin, "Амангелді С.М.") is None
    done = admin.chat.get(pick.message_id)
    assert done is not None and done.text.startswith("3.4.3: принимает — Амангелді С.М.")
    async with kenes.pool() as session:
        rows = (await session.exec(select(PlanOverride))).all()
        audit = (await session.exec(select(AuditLog).where(AuditLog.action == "plan.host"))).all()
        plan = await effective_plan(session, kenes.plan)
    assert [(r.ref, r.kind, r.value) for r in rows] == [("3.4.3", "host", ["amangeldi-sm"])]
    assert [(a.target, a.details["after"], a.details["before"]) for a in audit] == [
        ("item:3.4.3", ["amangeldi-sm"], None)
    ]
    lecture = next(s for s in plan.item("3.4").subitems if s.ref == "3.4.3")
    assert lecture.responsible is not None and lecture.responsible.host == ("amangeldi-sm",)
    await admin.command("/plan")
    assert "Хромтауского района; принимает: Амангелді С.М." in (await admin.next_message()).text
    # The tick reminds the new host, with the guests named.
    ctx = kenes.dp.workflow_data["app_context"]
    now = datetime(2026, 11, 25, 9, tzinfo=TZ)
    kenes.clock.set(now)
    await tick(ctx, now)
    await Outbox(kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0,
                 holder="t").drain()  # fmt: skip
    (lecture,) = [m.text for m in pedagogue.bot_messages if "3.4.3" in m.text]
    # (with her weekly talks in one message: the lecture's line names the guests to invite)
    assert "шақырып, қарсы алыңыз: Хромтау аудандық ІІБ қызметкерлері" in lecture


async def test_a_forged_or_stale_host_button_changes_nothing(kenes: Kenes) -> None:
    admin = await kenes.admin(language_code="ru")
    await admin.command("/plan")
    screen = await admin.next_message()
    outsider = await kenes.person("rsalin-na")
    teacher = await kenes.person("nugimanova-mk")
    for data in (
        f"p1:hs:3.4.3:{outsider.id}:0",  # an external person cannot host
        f"p1:hs:1.1:{teacher.id}:0",  # 1.1 has school people: no host to set
        "p1:hs:3.4.3:x:0",
        "p1:h:9.9::0",
    ):
        await admin.tap_data(screen, data)
        assert "устарела" in ((await admin.next_callback_answer()).text or "")
    async with kenes.pool() as session:
        assert (await session.exec(select(PlanOverride))).all() == []


async def test_admin_sets_2_4_once_on_a_typed_date(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/plan")
    listed = await admin.next_message()
    await admin.tap("🗓 2.4: мерзімін белгілеу", listed)
    await admin.next_callback_answer()
    await admin.next_message()
    assert await tap(admin, "Бір рет, күні") is None
    asked = admin.last_bot_message
    assert asked is not None and "КК.АА" in asked.text
    await admin.send("32.13")
    assert "Күн түсініксіз" in (await admin.next_message()).text
    await admin.send("15.10")
    assert "2.4: мерзімі — 15 қазан." in (await admin.next_message()).text
    async with kenes.pool() as session:
        plan = await effective_plan(session, kenes.plan)
    assert plan.item("2.4").timing == (FixedDate(month=10, day=15),)
