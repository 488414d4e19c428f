"""Texts of /status (#12): one screen under 900 characters, a page per section, an item's full
title (kk first, ru). Merged into `bot.texts.TEXTS`."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str | dict[str, str]]] = {
    "z_head": {
        "kk": "📊 <b>Жоспардың орындалуы</b> · {date}",
        "ru": "📊 <b>Выполнение плана</b> · {date}",
    },
    "z_section": {
        "kk": "{number}. {title}\n    {bar} {done}/{total}{overdue}",
        "ru": "{number}. {title}\n    {bar} {done}/{total}{overdue}",
    },
    "z_section_nothing": {
        "kk": "{number}. {title}\n    әлі мерзімі келген жоқ",
        "ru": "{number}. {title}\n    сроки ещё не наступили",
    },
    "z_overdue": {"kk": " · ⏰ {n} мерзімі өтті", "ru": " · ⏰ {n} просрочено"},
    "z_behind": {"kk": "⚠️ <b>Артта қалғандар:</b> {names}", "ru": "⚠️ <b>Отстают:</b> {names}"},
    "z_behind_none": {
        "kk": "✅ Мерзімі өткен жұмыс жоқ.",
        "ru": "✅ Просроченных задач нет.",
    },
    "z_next": {
        "kk": "📅 <b>Келесі отырыс №{number}</b> — {when}",
        "ru": "📅 <b>Следующее заседание №{number}</b> — {when}",
    },
    "z_next_unset": {
        "kk": "📅 <b>Келесі отырыс №{number}</b> — {month}, күні белгіленбеген",
        "ru": "📅 <b>Следующее заседание №{number}</b> — {month}, дата не назначена",
    },
    "z_unready": {
        "kk": "    баяндамасы дайын емес: {names}",
        "ru": "    доклад не готов: {names}",
    },
    "z_ready_all": {"kk": "    баяндамалар дайын", "ru": "    доклады готовы"},
    "z_sessions": {
        "kk": "🗓 Отырыстар: {held}/{total} өтті{extra}",
        "ru": "🗓 Заседания: проведено {held} из {total}{extra}",
    },
    "z_reach": {
        "kk": "📵 Хабар жетпейді: {blocked} · қосылмаған: {never}",
        "ru": "📵 Не доходят сообщения: {blocked} · не подключились: {never}",
    },
    "btn_z_section": {"kk": "🔎 {number}", "ru": "🔎 {number}"},
    "btn_z_reach": {"kk": "📵 Кімге жетпейді", "ru": "📵 Кому не доходит"},
    "z_sec_head": {
        "kk": "<b>{number}. {title}</b>\n{bar} {done}/{total}",
        "ru": "<b>{number}. {title}</b>\n{bar} {done}/{total}",
    },
    "z_sec_overdue": {"kk": "⏰ <b>Мерзімі өтті</b>", "ru": "⏰ <b>Просрочено</b>"},
    "z_sec_coming": {"kk": "🔜 <b>Алда ({days})</b>", "ru": "🔜 <b>Впереди ({days})</b>"},
    "z_sec_line": {
        "kk": "{n}. {ref} {title} — {date} · {done}/{total}",
        "ru": "{n}. {ref} {title} — {date} · {done}/{total}",
    },
    "z_sec_silent": {
        "kk": "🔇 {ref} {title} — хабарсыз, тек есепке алынады",
        "ru": "🔇 {ref} {title} — без сообщений, только учёт",
    },
    "z_sec_nothing": {
        "kk": "Мерзімі өткен не жақындаған жұмыс жоқ.",
        "ru": "Просроченного и ближайшего нет.",
    },
    "z_sec_hint": {
        "kk": "Толық атауы мен кімнің орындамағаны: нөмірін басыңыз.",
        "ru": "Полное название и кто не выполнил: нажмите номер.",
    },
    "z_more": {"kk": "… тағы {n}", "ru": "… и ещё {n}"},
    "z_weeks_more": {"kk": " (+{n} апта)", "ru": " (+{n} нед.)"},
    "z_item": {
        "kk": "<b>{ref}</b> {title}\nМерзімі: {due}\nОрындағандар: {done}/{total}",
        "ru": "<b>{ref}</b> {title}\nСрок: {due}\nВыполнили: {done}/{total}",
    },
    "z_item_week": {"kk": "Апта: {days}", "ru": "Неделя: {days}"},
    "z_item_waiting": {"kk": "Орындамағандар: {names}", "ru": "Не выполнили: {names}"},
    "btn_report_ready": {"kk": "✅ Баяндамам дайын", "ru": "✅ Мой доклад готов"},
    "report_ready_saved": {
        "kk": "Жазылды: баяндамаңыз дайын.",
        "ru": "Записано: ваш доклад готов.",
    },
    "report_ready_not_yours": {
        "kk": "Бұл отырыста сіздің баяндамаңыз жоқ.",
        "ru": "На этом заседании у вас нет доклада.",
    },
    "z_gone": {
        "kk": "Бұл жол жаңарып кетті: /status қайта ашыңыз.",
        "ru": "Эта строка уже обновилась: откройте /status заново.",
    },
}
