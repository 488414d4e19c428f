"""Texts for the incidents feature (kk first, ru). Merged into `bot.texts.TEXTS`; the same test
checks both languages and their placeholders."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str | dict[str, str]]] = {}
