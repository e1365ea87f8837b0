"""Marker detection in message text (placeholder until the multilingual lexicons land)."""

from __future__ import annotations

from typing import Final

COMPLAINT: Final = 1
APOLOGY: Final = 2
EMPATHY: Final = 4


def detect(text: str, lang: str | None) -> int:
    """Bitmask of COMPLAINT, APOLOGY, EMPATHY found in `text` (English only for now)."""
    low = text.casefold()
    found = 0
    if "complain" in low or "unacceptable" in low or "ridiculous" in low:
        found |= COMPLAINT
    if "sorry" in low or "apologi" in low:
        found |= APOLOGY
    if "understand how" in low or "frustrating" in low:
        found |= EMPATHY
    return found
