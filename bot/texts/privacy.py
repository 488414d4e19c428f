"""Texts for attachments kept by the school, retention and the other privacy features (kk
first, ru). Merged into `bot.texts.TEXTS`."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "att_too_large": {
        "kk": "Файл тым үлкен: {size} МБ, ең көбі {limit} МБ. Кішірек файл не фото жіберіңіз, "
        "немесе тек мәтін жазыңыз.",
        "ru": "Файл слишком большой: {size} МБ, можно до {limit} МБ. Пришлите файл поменьше "
        "или фото, или просто напишите текст.",
    },
    "att_fetch_failed": {
        "kk": "Файлды Telegram-нан алу мүмкін болмады. «Сақтау» батырмасын қайта басыңыз.",
        "ru": "Не удалось получить файл от Telegram. Нажмите «Сохранить» ещё раз.",
    },
    "att_missing": {
        "kk": "№{no} жазбаның файлы табылмады: әкімшіге хабарласыңыз.",
        "ru": "Файл записи №{no} не найден: сообщите администратору.",
    },
}
