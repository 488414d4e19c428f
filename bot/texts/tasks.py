"""Texts for reminders, reports, tasks and council sessions (kk first, ru). Merged into
`bot.texts.TEXTS`; the same test checks both languages and placeholders."""

from __future__ import annotations

# Kazakh month names have one form for "in November" and "20 November"; also used by
# bot/texts/sessions.py.
MONTHS_KK = (
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
)
_MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_WEEKDAYS_KK = ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі")
_WEEKDAYS_RU = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")

TEXTS: dict[str, dict[str, str | dict[str, str]]] = {
    **{
        f"month_gen_{n}": {"kk": kk, "ru": ru}
        for n, (kk, ru) in enumerate(zip(MONTHS_KK, _MONTHS_RU, strict=True), start=1)
    },
    **{
        f"weekday_{n}": {"kk": kk, "ru": ru}
        for n, (kk, ru) in enumerate(zip(_WEEKDAYS_KK, _WEEKDAYS_RU, strict=True))
    },
    # "19 қараша, бейсенбі, 15:00"
    "when_full": {
        "kk": "{day} {month}, {weekday}, {time}",
        "ru": "{day} {month}, {weekday}, {time}",
    },
    "when_date": {"kk": "{day} {month}, {weekday}", "ru": "{day} {month}, {weekday}"},
    # --- a task reminder -------------------------------------------------------------------
    "task_reminder": {
        "kk": "🔔 <b>{what}</b>\nМерзімі: {due}",
        "ru": "🔔 <b>{what}</b>\nСрок: {due}",
    },
    "task_overdue": {
        "kk": "⏰ <b>Мерзімі өтті:</b> {what}\nМерзімі: {due}",
        "ru": "⏰ <b>Срок прошёл:</b> {what}\nСрок: {due}",
    },
    "task_snoozed_reminder": {
        "kk": "⏰ Кейінге қалдырған жұмысыңыз: <b>{what}</b>\nМерзімі: {due}",
        "ru": "⏰ Отложенная задача: <b>{what}</b>\nСрок: {due}",
    },
    # What a task is, in one line: "1.4. Title", "Заседание совета №4", "Решение совета: …"
    "what_item": {"kk": "{ref}. {title}", "ru": "{ref}. {title}"},
    "what_decision": {"kk": "Кеңес шешімі: {title}", "ru": "Решение совета: {title}"},
    "task_late": {
        "kk": "<i>Бұл еске салу кешігіп келді: бот уақытша жұмыс істемеді.</i>",
        "ru": "<i>Это напоминание пришло с опозданием: бот временно не работал.</i>",
    },
    "task_shared": {"kk": "Бірге жауапты: {names}", "ru": "Вместе с вами: {names}"},
    "task_guests": {
        "kk": "Қонақтар — оларды шақырып, қарсы алыңыз: {names}",
        "ru": "Гости — пригласите и встретьте их: {names}",
    },
    "session_guests": {"kk": " (қонақтар: {names})", "ru": " (гости: {names})"},
    "task_progress": {"kk": "Орындағандар: {done}/{total}", "ru": "Выполнили: {done}/{total}"},
    "task_checklist": {"kk": "Құрамы:", "ru": "Что входит:"},
    "task_state_done": {"kk": "✅ Орындалды", "ru": "✅ Выполнено"},
    "task_state_snoozed": {
        "kk": "⏰ Кейінге қалдырылды: {when}",
        "ru": "⏰ Отложено до: {when}",
    },
    "task_state_cant": {
        "kk": "⛔ Орындай алмаймын: {reason}",
        "ru": "⛔ Не могу выполнить: {reason}",
    },
    "task_state_comment": {"kk": "💬 Пікіріңіз: {text}", "ru": "💬 Ваш комментарий: {text}"},
    # --- buttons ---------------------------------------------------------------------------
    "session_cases": {
        "kk": "Кеңеске қаралатын жағдайлар (3.5):",
        "ru": "Случаи на рассмотрение совета (3.5):",
    },
    "session_case": {"kk": "• {klass} сыныбының оқушысы", "ru": "• ученик {klass} класса"},
    "session_case_notes": {"kk": " (жазбалар: {notes})", "ru": " (записи: {notes})"},
    "btn_task_done": {"kk": "✅ Орындалды", "ru": "✅ Выполнено"},
    "btn_task_snooze": {"kk": "⏰ Кейінге қалдыру", "ru": "⏰ Отложить"},
    "btn_task_cant": {"kk": "⛔ Орындай алмаймын", "ru": "⛔ Не могу"},
    "btn_task_comment": {"kk": "💬 Пікір", "ru": "💬 Комментарий"},
    "btn_snooze_hour": {"kk": "1 сағатқа", "ru": "На 1 час"},
    "btn_snooze_tomorrow": {"kk": "Ертеңге", "ru": "На завтра"},
    "btn_snooze_week": {"kk": "Келесі аптаға", "ru": "На следующую неделю"},
    # --- answers to a tap ------------------------------------------------------------------
    "task_saved": {"kk": "Жазылды.", "ru": "Записано."},
    "task_already": {"kk": "Бұл бұрын жазылған.", "ru": "Это уже записано."},
    "task_already_done": {
        "kk": "Бұл жұмыс орындалды деп белгіленген.",
        "ru": "Эта задача уже отмечена выполненной.",
    },
    "task_stale_unknown": {
        "kk": "Бұл жұмыс жоспарда енді жоқ: батырма ескірген. Жаңа тізім: /tasks",
        "ru": "Этой задачи больше нет в плане: кнопка устарела. Новый список: /tasks",
    },
    "task_stale_closed": {
        "kk": "Бұл жұмыс жабылған: енді белгілеудің қажеті жоқ.",
        "ru": "Эта задача закрыта: отмечать больше не нужно.",
    },
    "task_stale_not_yours": {
        "kk": "Бұл жұмыс енді сізге тиесілі емес. Жаңа тізім: /tasks",
        "ru": "Эта задача больше не за вами. Новый список: /tasks",
    },
    "task_ask_reason": {
        "kk": "«{title}»: неге орындай алмайтыныңызды қысқаша жазыңыз. Тоқтату: /cancel",
        "ru": "«{title}»: коротко напишите, почему не можете выполнить. Отмена: /cancel",
    },
    "task_ask_comment": {
        "kk": "«{title}»: пікіріңізді жазыңыз. Тоқтату: /cancel",
        "ru": "«{title}»: напишите комментарий. Отмена: /cancel",
    },
    "task_cant_saved": {
        "kk": "Жазылды: «{title}» орындалмайды. Себебін төраға мен директор орынбасарлары көреді.",
        "ru": "Записано: вы не сможете выполнить «{title}». Причину увидят председатель и "
        "заместители директора.",
    },
    "task_comment_saved": {
        "kk": "Пікіріңіз жазылды: «{title}».",
        "ru": "Комментарий записан: «{title}».",
    },
    # --- sessions --------------------------------------------------------------------------
    "session_in_week": {"kk": "келесі аптада", "ru": "через неделю"},
    "session_tomorrow": {"kk": "ертең", "ru": "завтра"},
    "session_today": {"kk": "бүгін", "ru": "сегодня"},
    "session_soon": {"kk": "жақында", "ru": "скоро"},
    "session_reminder": {
        "kk": "📅 <b>Кеңес отырысы №{number}</b> {when}, {date}",
        "ru": "📅 <b>Заседание совета №{number}</b> {when}, {date}",
    },
    "session_place": {"kk": "Орны: {place}", "ru": "Место: {place}"},
    "session_your_point": {
        "kk": ": сіздің мәселеңіз — «{title}»",
        "ru": ": ваш вопрос — «{title}»",
    },
    "session_your_points": {
        "kk": ": сіздің мәселелеріңіз — {titles}",
        "ru": ": ваши вопросы — {titles}",
    },
    "session_agenda": {"kk": "Күн тәртібі:", "ru": "Повестка:"},
    "session_set_date": {
        "kk": "📅 <b>Кеңес отырысы №{number}</b> осы айда өтеді, бірақ күні әлі белгіленбеген "
        "(жоспар бойынша шамамен {date}). Күнін, уақытын және орнын белгілеңіз.",
        "ru": "📅 <b>Заседание совета №{number}</b> пройдёт в этом месяце, но дата ещё не "
        "назначена (по плану примерно {date}). Назначьте дату, время и место.",
    },
    "session_set_date_again": {
        "kk": "📅 <b>Кеңес отырысы №{number}</b>: күні әлі белгіленбеген. Жоспар бойынша — "
        "{date}, {days} қалды. Күнін белгілеңіз: мүшелер мен баяндамашылар соған қарай "
        "дайындалады.",
        "ru": "📅 <b>Заседание совета №{number}</b>: дата всё ещё не назначена. По плану — "
        "{date}, осталось {days}. Назначьте дату: члены совета и докладчики готовятся к ней.",
    },
    # --- digest, summary, lists ------------------------------------------------------------
    "digest_head": {
        "kk": "🗓 <b>Осы аптаның жұмыстары</b> ({tasks}):",
        "ru": "🗓 <b>Ваши дела на эту неделю</b> ({tasks}):",
    },
    "digest_line": {"kk": "• {due} — {what}", "ru": "• {due} — {what}"},
    "digest_overdue_line": {
        "kk": "• ⏰ {due} (мерзімі өтті) — {what}",
        "ru": "• ⏰ {due} (просрочено) — {what}",
    },
    "digest_foot": {"kk": "Толығырақ: /tasks", "ru": "Подробнее: /tasks"},
    "summary_head": {
        "kk": "⚠️ <b>Мерзімі өткен жұмыстар</b> ({tasks}):",
        "ru": "⚠️ <b>Просроченные задачи</b> ({tasks}):",
    },
    "summary_line": {
        "kk": "• {what} (мерзімі {due}): {names}",
        "ru": "• {what} (срок {due}): {names}",
    },
    "summary_cant": {
        "kk": "{name} (орындай алмайды: {reason})",
        "ru": "{name} (не может: {reason})",
    },
    "tasks_none": {"kk": "Ашық жұмыс жоқ. 🎉", "ru": "Открытых задач нет. 🎉"},
    "today_none": {
        "kk": "Бүгінге жұмыс жоқ. Барлығы: /tasks",
        "ru": "На сегодня задач нет. Все задачи: /tasks",
    },
    "cmd_tasks": {"kk": "Менің жұмыстарым", "ru": "Мои задачи"},
    "cmd_today": {"kk": "Бүгінгі жұмыстар", "ru": "Задачи на сегодня"},
}
