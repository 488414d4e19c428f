"""Text shortened for a narrow phone screen, at a word boundary."""

from __future__ import annotations


def short(text: str, width: int) -> str:
    """`text` on one line, at most `width` characters: cut at the last whole word that fits,
    with "…" (a single word longer than `width` is cut inside)."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    if " " in cut and not flat[width - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:—-–(") + "…"
