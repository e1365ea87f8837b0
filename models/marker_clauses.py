"""Scoring the clauses of a message apart, for empathy said in the same message as an apology.

The n-gram classifier scores a message as the sum of its words' weights. An apology's words
weigh against empathy (most apologies in the training rows carry no empathy), so in "Sorry for
the wait, that sounds really draining for you" the apology half pulls the empathy score under
the threshold. Scoring each clause on its own lets the empathy clause stand alone. Only
messages where an apology was found and empathy was not are split, so other messages cost
nothing more (docs/markers.md has the figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from pillarwatch.models.marker_text import normalise

__all__ = ["CLAUSE_MIN_WORDS", "clauses", "found_in_a_clause"]

# Clause boundaries in the raw text: sentence and clause punctuation, and a dash between
# spaces ("sorry about that - must be really frustrating"). Normalisation removes them, so the
# raw text is split first.
_BOUNDARY: Final = re.compile(r"[.!?;:,…\n]+|\s[-–—]+\s")
# A clause shorter than this is a fragment ("sorry", "ok"): too little to judge on its own.
CLAUSE_MIN_WORDS: Final = 3


def clauses(text: str) -> list[str]:
    """The padded normal forms of the clauses of `text` with at least CLAUSE_MIN_WORDS words."""
    out = []
    for part in _BOUNDARY.split(text):
        norm = normalise(part)
        if len(norm.split()) >= CLAUSE_MIN_WORDS:
            out.append(" " + norm.strip() + " ")
    return out


def found_in_a_clause(text: str, bit: int, classify: Callable[[str], int]) -> int:
    """`bit` when `classify` finds it in one clause of a message of two clauses or more."""
    parts = clauses(text)
    if len(parts) < 2:
        return 0
    return bit if any(classify(part) & bit for part in parts) else 0
