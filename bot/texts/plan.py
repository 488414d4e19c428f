"""Texts for the plan in use: the import review, timings in words, the schedule table, the
admin's "no date — set timing" screens and the calendar warning (kk first, ru). Merged into
`bot.texts.TEXTS`; the same test checks both languages and placeholders."""

from __future__ import annotations

_MONTHS_KK = (
    "қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
    "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан",
)  # fmt: skip
_MONTHS_RU = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
_WD_KK = ("дс", "сс", "ср", "бс", "жм", "сн", "жс")
_WD_RU = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_WD_LONG_KK = ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі")
_WD_LONG_RU = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")

TEXTS: dict[str, dict[str, str | dict[str, str]]] = {
    **{
        f"month_name_{n}": {"kk": kk, "ru": ru}
        for n, (kk, ru) in enumerate(zip(_MONTHS_KK, _MONTHS_RU, strict=True), start=1)
    },
    **{
        f"wd_short_{n}": {"kk": kk, "ru": ru}
        for n, (kk, ru) in enumerate(zip(_WD_KK, _WD_RU, strict=True))
    },
    **{
        f"wd_long_{n}": {"kk": kk, "ru": ru}
        for n, (kk, ru) in enumerate(zip(_WD_LONG_KK, _WD_LONG_RU, strict=True))
    },
    # --- a timing rule in words -----------------------------------------------------------
    "rule_fixed_date": {"kk": "{day} {month}", "ru": "{day} {month}"},
    "rule_months": {"kk": "{months} айында", "ru": "в месяцы: {months}"},
    "rule_week_of_month": {"kk": "{month}, {week}-апта", "ru": "{month}, {week}-я неделя"},
    "rule_daily": {"kk": "күн сайын (оқу күндері)", "ru": "каждый учебный день"},
    "rule_weekly": {"kk": "апта сайын", "ru": "каждую неделю"},
    "rule_monthly": {"kk": "ай сайын", "ru": "ежемесячно"},
    "rule_monthly_day": {"kk": "ай сайын, {day}-не дейін", "ru": "ежемесячно, до {day} числа"},
    "rule_monthly_extra": {
        "kk": "ай сайын, қажет болса кезектен тыс",
        "ru": "ежемесячно, при необходимости внеочередно",
    },
    "rule_quarterly": {"kk": "тоқсан сайын", "ru": "раз в четверть"},
    "rule_quarters": {"kk": "{quarters}-тоқсан", "ru": "{quarters} четверть"},
    "rule_all_year": {
        "kk": "жыл бойы (жарты жылдық және жылдық қорытынды)",
        "ru": "в течение года (итоги полугодия и года)",
    },
    "rule_all_year_table": {
        "kk": "жыл бойы, кестеге сәйкес",
        "ru": "в течение года, по графику",
    },
    "rule_before_holidays": {"kk": "әр каникул алдында", "ru": "перед каждыми каникулами"},
    "rule_per_student": {
        "kk": "әр есептегі оқушыға, есепке алынғаннан бастап",
        "ru": "на каждого ученика на учёте, с постановки",
    },
    "rule_when_needed": {
        "kk": "қажет болғанда (еске салусыз)",
        "ru": "по необходимости (без напоминаний)",
    },
    "rule_missing": {"kk": "мерзімі жоқ — мерзімін белгілеңіз", "ru": "без даты — задайте срок"},
    # --- the import review ----------------------------------------------------------------
    "imp_head": {
        "kk": "<b>{name}</b>: {items} тармақ ({sections} бөлім), {sessions} кеңес отырысы оқылды.",
        "ru": "<b>{name}</b>: прочитано пунктов — {items} (разделов — {sections}), "
        "заседаний совета — {sessions}.",
    },
    "imp_timings": {
        "kk": "Мерзімдер түсінілді: {ok} / {total} ({pct}%).",
        "ru": "Сроки поняты: {ok} из {total} ({pct}%).",
    },
    "imp_people": {
        "kk": "Жауаптылар: {people} адам, {groups} топ; жаңа адамдар: {new}.",
        "ru": "Ответственные: людей — {people}, групп — {groups}; новые люди: {new}.",
    },
    "imp_items_head": {"kk": "<b>Тармақтар</b>", "ru": "<b>Пункты</b>"},
    "imp_item": {
        "kk": "{ref} {title}\n   мерзімі: «{when}» → {rule}{dates}\n   жауапты: {who}",
        "ru": "{ref} {title}\n   срок: «{when}» → {rule}{dates}\n   ответственные: {who}",
    },
    "imp_dates": {"kk": "; алғашқы күндер: {dates}", "ru": "; первые даты: {dates}"},
    "imp_not_understood": {"kk": "ТҮСІНІКСІЗ", "ru": "НЕ ПОНЯТО"},
    "imp_session": {
        "kk": "№{number} отырыс: «{when}» → {rule}{dates}; күн тәртібі: {points} мәселе",
        "ru": "Заседание №{number}: «{when}» → {rule}{dates}; повестка: вопросов — {points}",
    },
    "imp_unread_head": {
        "kk": "<b>Оқылмағандар</b> ({count}):",
        "ru": "<b>Не прочитано</b> ({count}):",
    },
    "imp_place": {
        "kk": "{table}-кесте, {row}-жол, {column}-баған",
        "ru": "таблица {table}, строка {row}, столбец {column}",
    },
    "imp_p_timing": {"kk": "мерзімі түсініксіз: «{text}»", "ru": "срок не понят: «{text}»"},
    "imp_p_no_timing": {"kk": "мерзімі жазылмаған", "ru": "срок не указан"},
    "imp_p_responsible": {
        "kk": "жауаптысы танылмады: «{text}»",
        "ru": "ответственный не распознан: «{text}»",
    },
    "imp_p_nobody": {
        "kk": "жауаптысы жоқ: кеңес мүшелері деп алынды",
        "ru": "ответственный не указан: взяты члены совета",
    },
    "imp_p_row": {"kk": "мәтіні жоқ жол", "ru": "строка без текста"},
    "imp_p_session": {"kk": "отырыс оқылмады: «{text}»", "ru": "заседание не прочитано: «{text}»"},
    "imp_p_column": {
        "kk": "тақырып жолы жоқ кесте (№, Іс-шара, Мерзімі, Жауапты)",
        "ru": "таблица без строки заголовков (№, Мероприятие, Сроки, Ответственные)",
    },
    "imp_p_plan": {"kk": "жоспар қатесі: {text}", "ru": "ошибка плана: {text}"},
    "imp_ignored": {
        "kk": "Ескерілмеген бағандар: {names}.",
        "ru": "Пропущенные столбцы: {names}.",
    },
    "imp_all_read": {"kk": "Бәрі оқылды.", "ru": "Прочитано всё."},
    "imp_removed": {
        "kk": "Жаңа жоспарда жоқ тармақтар: {refs}.",
        "ru": "Пунктов нет в новом плане: {refs}.",
    },
    "imp_kept": {
        "kk": "Осы жылы орындалғандар сақталады: {count} тармақ.",
        "ru": "Выполненное в этом году сохранится: пунктов — {count}.",
    },
    "imp_not_written": {
        "kk": "Ештеңе жазылмаған. Жазу үшін: --write",
        "ru": "Ничего не записано. Чтобы записать: --write",
    },
    "imp_written": {
        "kk": "Жоспар жазылды: {version}-нұсқа ({path}). Алдыңғысы сақталды: plan versions, "
        "plan rollback N.",
        "ru": "План записан: версия {version} ({path}). Предыдущая сохранена: plan versions, "
        "plan rollback N.",
    },
    "imp_cannot_write": {
        "kk": "Жоспар жазылмады: {count} қате. Файлды түзетіп, қайта жіберіңіз.",
        "ru": "План не записан: ошибок — {count}. Исправьте файл и отправьте снова.",
    },
}
