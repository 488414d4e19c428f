"""Escaping what users typed before it goes into an HTML message."""

from __future__ import annotations

import html


def quote(text: str) -> str:
    """`<b>Name</b>` → `&lt;b&gt;Name&lt;/b&gt;`: shown as typed, never parsed as markup.

    The same as aiogram's `html_decoration.quote` (`tests/test_texts_permissions.py` checks
    it), without importing aiogram: the services and the document exports use it, and
    importing aiogram costs a command-line tool seconds of start-up."""
    return html.escape(text, quote=False)
