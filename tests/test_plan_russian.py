"""Russian is Russian: every title, sub-point, agenda point, group and position of the seed plan
has a Russian text; a Russian reader gets it everywhere; a missing one falls back to Kazakh
with one log line (ids only); the converter and the importer fill `title_ru`."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import pytest

from bot.config import DEFAULT_PLAN, SEED_DIR
from bot.core import plan_lang
from bot.core.convert import convert
from bot.core.importer import import_tables
from bot.core.plan import Plan, load_plan, parse_plan
from bot.core.plan_lang import localize, missing_russian, plan_in
from bot.core.schedule import occurrences
from bot.core.yearroll import roll_years
from bot.plan_import.readers import read_plan_file
from tests.harness import Kenes, seed_calendar, seed_plan, tap
from tests.plan_files import ru_plan

_KAZAKH = set("әіңғүұқөһӘІҢҒҮҰҚӨҺ")


def test_the_seed_plan_has_russian_for_every_text() -> None:
    plan = load_plan(DEFAULT_PLAN)
    assert missing_russian(plan) == []
    ru = plan_in(plan, "ru")
    texts = [ru.title, ru.school, ru.sessions_title or ""]
    texts += [s.title for s in ru.sections]
    texts += [i.title for i in ru.items()] + [s.title for i in ru.items() for s in i.subitems]
    texts += [p.title for s in ru.sessions for p in s.agenda]
    texts += [g.names.ru for g in ru.groups]
    texts += [p.position or "" for p in ru.people if not p.external]
    kazakh = [text for text in texts if _KAZAKH & set(text)]
    # Names of clubs and the school parliament stay as they are called («Болашақ»).
    assert [k for k in kazakh if "«Болашақ»" not in k] == []
    assert len(texts) > 100


def test_the_converter_asks_for_every_russian_text() -> None:
    mapping = json.loads((SEED_DIR / "plan-mapping.json").read_text(encoding="utf-8"))
    source = (SEED_DIR / "source-plan-2023-2024.txt").read_text(encoding="utf-8")
    del mapping["ru"]["items"]["3.4.2"]
    mapping["ru"]["agenda"]["6"].pop()
    mapping["ru"]["items"]["9.9"] = "Нет такого пункта"
    data, problems = convert(source, mapping)
    assert "3.4.2: no Russian text (mapping ru.items.3.4.2)" in problems
    assert "session 6 point 2: no Russian text (mapping ru.agenda.6.2)" in problems
    assert "mapping: ru.items.9.9 translates nothing" in problems
    plan = parse_plan(data)
    assert missing_russian(plan) == ["3.4.2", "council-6.2"]


def _without_russian(plan: Plan, ref: str) -> Plan:
    sections = tuple(
        s.model_copy(
            update={
                "items": tuple(
                    i.model_copy(update={"title_ru": None}) if i.ref == ref else i for i in s.items
                )
            }
        )
        for s in plan.sections
    )
    return plan.model_copy(update={"sections": sections})


def test_a_missing_translation_shows_kazakh_and_is_logged_once_by_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan = _without_russian(seed_plan(), "3.3")
    plan_lang._MARKED.discard("3.3")
    found = occurrences(plan, seed_calendar(), date(2026, 11, 23), date(2026, 12, 4))
    weekly = [o for o in found if o.ref == "3.3"]
    assert len(weekly) == 2
    with caplog.at_level(logging.WARNING, logger="bot.core.plan_lang"):
        shown = [localize(o, plan, "ru").title for o in weekly]
        plan_in(plan, "ru")
    assert shown == [plan.item("3.3").title] * 2  # Kazakh, not nothing
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["no Russian text for plan 3.3: the Kazakh one is shown"]


def test_an_occurrence_reads_russian_title_checklist_agenda_and_groups() -> None:
    plan = seed_plan()
    found = occurrences(plan, seed_calendar(), date(2026, 9, 1), date(2027, 5, 31))
    by_key = {o.key: o for o in found}
    lecture = localize(by_key["3.4.2@2026-10"], plan, "ru")
    assert lecture.title == "Лекция «Уголовная ответственность несовершеннолетних»"
    talks = localize(next(o for o in found if o.ref == "2.1"), plan, "ru")
    assert talks.title.startswith("Выявление трудностей в поведении")
    assert talks.checklist[0] == "отклонения в поведении;"
    assert "Классные руководители 1-11" in talks.responsible_names
    council = localize(by_key["council-3@2026-2027"], plan, "ru")
    assert council.title == "Заседание совета №3"
    assert [a.title for a in council.agenda][1] == "Итоги вечерних рейдов"
    assert localize(by_key["council-3@2026-2027"], plan, "kk") is by_key["council-3@2026-2027"]


def test_years_in_russian_titles_roll_with_the_kazakh_ones() -> None:
    rolled, _ = roll_years(load_plan(DEFAULT_PLAN), "2026-2027")
    assert (
        rolled.title_ru
        == "План работы Совета профилактики правонарушений на 2026-2027 учебный год"
    )
    assert rolled.session(10).agenda[2].title_ru is not None
    assert "2027-2028 учебный год" in rolled.session(10).agenda[2].title_ru


def test_a_russian_word_plan_is_read_into_title_ru() -> None:
    document = read_plan_file("ru.docx", ru_plan())
    imported = import_tables(
        document.tables, source="ru.docx", school_year="2026-2027", title=document.title
    )
    plan = parse_plan(imported.data)
    assert all(i.title_ru == i.title for i in plan.items())
    assert all(p.title_ru == p.title for s in plan.sessions for p in s.agenda)
    # The items, sub-points and agenda are Russian; the title and the school come from outside.
    assert [m for m in missing_russian(plan) if m not in ("title", "school")] == [
        m for m in missing_russian(plan) if m.endswith(" position")
    ]


def test_a_kazakh_reimport_of_the_plan_in_use_keeps_its_russian() -> None:
    source = (SEED_DIR / "source-plan-2023-2024.txt").read_bytes()
    document = read_plan_file("plan.txt", source)
    known = load_plan(DEFAULT_PLAN)
    imported = import_tables(
        document.tables, source="plan.txt", school_year="2026-2027", known=known
    )
    plan = parse_plan(imported.data)
    assert plan.item("1.4").title_ru == known.item("1.4").title_ru
    assert plan.session(3).agenda[1].title_ru == "Итоги вечерних рейдов"
    assert plan.person("mediator").vacancy


@pytest.mark.parametrize(
    ("lang", "title", "group"),
    [
        ("ru", "3.3. Индивидуальные профилактические беседы с учащимися", "Вместе с вами: Члены "
         "психологической службы школы"),
        ("kk", "3.3. Оқушылармен жеке профилактикалық әңгімелесулер", "Бірге жауапты: Мектеп "
         "психологиялық қызметінің мүшелері"),
    ],
)  # fmt: skip
async def test_a_reminder_and_the_task_list_read_in_the_readers_language(
    kenes: Kenes, lang: str, title: str, group: str
) -> None:
    from bot.scheduler.jobs import AppContext, tick
    from bot.scheduler.outbox import Outbox

    psych = await kenes.join("rakhimzhanova-ar", "Айгүл", language_code=lang)
    if lang == "ru":
        await psych.command("/language")
        await psych.next_message()
        await tap(psych, "Русский")
    now = datetime(2026, 11, 25, 8, 30, tzinfo=kenes.calendar.tz)
    kenes.clock.set(now)
    ctx = kenes.dp.workflow_data["app_context"]
    assert isinstance(ctx, AppContext)
    await tick(ctx, now)
    await Outbox(kenes.bot, kenes.pool, kenes.clock, rate_per_s=1000, per_chat_interval_s=0,
                 holder="t").drain()  # fmt: skip
    reminder = next(m for m in psych.bot_messages if "3.3." in m.text)
    assert title in reminder.text and group in reminder.text
    await psych.command("/tasks")
    listed = (await psych.next_message()).text
    if title not in listed:  # a heading first, then the tasks
        listed += (await psych.next_message()).text
    assert title in listed
    if lang == "ru":
        assert not (_KAZAKH & set(reminder.text.replace("Амангелді", "")))
