"""Escaping what users typed before it goes into an HTML message."""

from __future__ import annotations

from aiogram.utils.text_decorations import html_decoration


def quote(text: str) -> str:
    """`<b>Name</b>` → `&lt;b&gt;Name&lt;/b&gt;`: shown as typed, never parsed as markup."""
    return html_decoration.quote(text)
