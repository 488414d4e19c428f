"""Texts for reminders, reports, tasks and council sessions (kk first, ru). Merged into
`bot.texts.TEXTS`; the same test checks both languages and placeholders."""

from __future__ import annotations

TASK_TEXTS: dict[str, dict[str, str | dict[str, str]]] = {}
