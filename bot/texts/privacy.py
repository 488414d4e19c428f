"""Texts for attachments kept by the school, retention and the other privacy features (kk
first, ru). Merged into `bot.texts.TEXTS`."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {}
