"""Texts for /documents (kk first, ru)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str | dict[str, str]]] = {}
