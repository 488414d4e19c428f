"""A class of the school (сынып / класс), written the one way the bot stores it: "7Ә", "11А".

Staff type classes every way: "7ә", "7 Ә", "7-ә", or with a Latin letter that looks Cyrillic
("11a"). Both the staff's classes and the students' go through `normalize_class`, so a class
teacher's "7А" and a student's "7a" are the same class.
"""

from __future__ import annotations

import re

_CLASS_RE = re.compile(r"^(1[01]|[1-9])\s*-?\s*([A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])$")
_LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTX", "АВСЕНКМОРТХ")


def normalize_class(text: str) -> str | None:
    """``"7 ә"``, ``"7-Ә"``, ``"11a"`` → ``"7Ә"``, ``"7Ә"``, ``"11А"``; None unless it is a class
    of grades 1–11 with a letter."""
    cleaned = " ".join(text.split()).upper().translate(_LATIN_TO_CYRILLIC)
    match = _CLASS_RE.match(cleaned)
    return f"{match.group(1)}{match.group(2)}" if match else None
