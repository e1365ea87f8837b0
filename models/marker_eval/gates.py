"""The precision/recall gate of the stream's detector on the frozen test split.

The goal is GOAL for every marker in every language. Where the measured figure on the test
split misses it, the gate sits at that figure minus MARGIN (so the suite still catches a
regression) and the miss is listed in `MISSED` and stated in docs/markers.md.
"""

from __future__ import annotations

from typing import Final

from pillarwatch.models.marker_eval.scoring import Counts

__all__ = ["GOAL", "MARGIN", "MISSED", "below_gate", "gate"]

GOAL: Final = 0.9
MARGIN: Final = 0.05
# (language, marker) -> (precision, recall), rounded down, of the stream's `combined` option
# on the test split where one is below GOAL: the goal is missed there. Measured once, on
# 2026-12-01, with `pillarwatch markers eval --option all`, right after the new test split
# (source holdout-2026-12) was pinned; nothing in the detector changed after that scoring.
# docs/markers.md lists every measurement made on the test split.
MISSED: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("de", "complaint"): (0.73, 0.88),  # P 38/52, R 38/43
    ("de", "empathy"): (0.90, 0.66),  # P 18/20, R 18/27
    ("el", "complaint"): (0.67, 0.91),  # P 43/64, R 43/47
    ("el", "apology"): (0.83, 0.93),  # P 30/36, R 30/32
    ("el", "empathy"): (0.89, 0.78),  # P 25/28, R 25/32
    ("en", "complaint"): (0.77, 0.89),  # P 35/45, R 35/39
    ("es", "complaint"): (0.72, 0.90),  # P 36/50, R 36/40
    ("es", "empathy"): (0.92, 0.81),  # P 26/28, R 26/32
    ("fr", "complaint"): (0.78, 0.92),  # P 36/46, R 36/39
    ("fr", "apology"): (0.88, 1.00),  # P 32/36, R 32/32
    ("fr", "empathy"): (0.81, 0.86),  # P 26/32, R 26/30
    ("it", "complaint"): (0.78, 0.95),  # P 39/50, R 39/41
    ("it", "apology"): (0.85, 0.96),  # P 30/35, R 30/31
    ("pl", "complaint"): (0.72, 0.91),  # P 42/58, R 42/46
    ("pl", "empathy"): (0.86, 0.83),  # P 25/29, R 25/30
    ("pt", "complaint"): (0.74, 0.85),  # P 35/47, R 35/41
    ("pt", "empathy"): (0.88, 0.71),  # P 23/26, R 23/32
    ("ro", "complaint"): (0.70, 0.87),  # P 42/60, R 42/48
    ("ro", "empathy"): (0.92, 0.80),  # P 24/26, R 24/30
    ("ru", "complaint"): (0.77, 0.85),  # P 41/53, R 41/48
    ("ru", "apology"): (0.80, 0.93),  # P 29/36, R 29/31
    ("ru", "empathy"): (1.00, 0.70),  # P 21/21, R 21/30
    ("uk", "complaint"): (0.80, 0.89),  # P 44/55, R 44/49
    ("uk", "apology"): (0.83, 0.96),  # P 31/37, R 31/32
    ("uk", "empathy"): (0.82, 0.63),  # P 19/23, R 19/30
}


def gate(lang: str, marker: str) -> tuple[float, float]:
    """Lowest precision and recall allowed for one language and marker."""
    measured = MISSED.get((lang, marker))
    if measured is None:
        return GOAL, GOAL
    precision, recall = measured
    return min(GOAL, precision - MARGIN), min(GOAL, recall - MARGIN)


def below_gate(lang: str, marker: str, counts: Counts) -> bool:
    """True when a cell has no positives to judge or falls below its gate."""
    if counts.precision is None or counts.recall is None:
        return True
    min_precision, min_recall = gate(lang, marker)
    return counts.precision < min_precision or counts.recall < min_recall
