"""Texts for people: vacancies in the plan, the commands menu, bulk onboarding (kk first, ru).
Merged into `bot.texts.TEXTS`; the same test checks both languages and placeholders."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str | dict[str, str]]] = {
    "vacancy_admin": {
        "kk": "{position} — тағайындалмаған (әкімші: /staff арқылы тағайындаңыз)",
        "ru": "{position} — не назначен (администратор: назначьте в /staff)",
    },
    "ref_agenda": {
        "kk": "№{number} отырыс, {point}-мәселе",
        "ru": "заседание №{number}, вопрос {point}",
    },
    "ref_session": {"kk": "№{number} отырыс", "ru": "заседание №{number}"},
}
