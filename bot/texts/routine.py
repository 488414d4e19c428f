"""Texts of /plan's routine duties and "before people joined" screens (#12), kk first, ru.
Merged into `bot.texts.TEXTS`."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str | dict[str, str]]] = {
    "btn_plan_routine": {"kk": "🔁 Күнделікті міндеттер", "ru": "🔁 Рутинные обязанности"},
    "btn_plan_history": {
        "kk": "🗂 Қосылғанға дейінгі жұмыстар ({n})",
        "ru": "🗂 До подключения людей ({n})",
    },
    "routine_mode_card": {"kk": "әр жолы еске салу", "ru": "напоминание каждый раз"},
    "routine_mode_weekly_checkin": {
        "kk": "аптасына бір сұрақ (жұма)",
        "ru": "один вопрос в неделю (пятница)",
    },
    "routine_mode_silent": {"kk": "хабарсыз, тек есепке", "ru": "без сообщений, только учёт"},
    "routine_head": {
        "kk": "🔁 <b>Күнделікті, апталық және жыл бойғы міндеттер</b>\nӘрқайсысы адамдарға "
        "қалай жетеді. Өзгерту үшін нөмірін басыңыз.",
        "ru": "🔁 <b>Ежедневные, еженедельные и годовые обязанности</b>\nКак каждая доходит до "
        "людей. Чтобы изменить, нажмите номер.",
    },
    "routine_line": {
        "kk": "• <b>{ref}</b> {title} — {mode}",
        "ru": "• <b>{ref}</b> {title} — {mode}",
    },
    "routine_default": {"kk": " (әдепкі)", "ru": " (по умолчанию)"},
    "routine_pick": {
        "kk": "<b>{ref}</b> {title}\nҚазір: {mode}. Қалай болсын?",
        "ru": "<b>{ref}</b> {title}\nСейчас: {mode}. Как должно быть?",
    },
    "routine_set": {
        "kk": "<b>{ref}</b>: енді — {mode}.",
        "ru": "<b>{ref}</b>: теперь — {mode}.",
    },
    "history_head": {
        "kk": "🗂 <b>Адамдар қосылғанға дейін мерзімі өткен жұмыстар</b>\nОлардан бот сұрамайды; "
        "қажет болса, қолмен реттеңіз.",
        "ru": "🗂 <b>Что было к сроку до подключения людей</b>\nБот их об этом не спрашивает; при "
        "необходимости уладьте вручную.",
    },
    "history_line": {
        "kk": "• <b>{ref}</b> {title} — {count} рет, {first}–{last}: {names}",
        "ru": "• <b>{ref}</b> {title} — {count} раз, {first}–{last}: {names}",
    },
    "history_none": {
        "kk": "🗂 Адамдар қосылғанға дейін мерзімі өткен ашық жұмыс жоқ.",
        "ru": "🗂 Открытой работы со сроком до подключения людей нет.",
    },
}
