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
# on the test split where one is below GOAL: the goal is missed there. Measured with
# `pillarwatch markers eval` after the last change to the lexicons and the n-gram model;
# docs/markers.md lists every measurement made on the test split.
MISSED: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("de", "complaint"): (0.82, 1.00),  # P 19/23, R 19/19
    ("de", "apology"): (0.82, 0.93),  # P 14/17, R 14/15
    ("el", "complaint"): (0.87, 0.91),  # P 21/24, R 21/23
    ("en", "complaint"): (0.88, 0.79),  # P 23/26, R 23/29
    ("en", "apology"): (0.75, 1.00),  # P 12/16, R 12/12
    ("en", "empathy"): (0.87, 0.87),  # P 7/8, R 7/8
    ("es", "complaint"): (0.73, 0.90),  # P 19/26, R 19/21
    ("es", "apology"): (0.85, 1.00),  # P 12/14, R 12/12
    ("es", "empathy"): (1.00, 0.86),  # P 13/13, R 13/15
    ("fr", "complaint"): (0.61, 0.86),  # P 19/31, R 19/22
    ("fr", "apology"): (0.72, 1.00),  # P 8/11, R 8/8
    ("it", "complaint"): (0.73, 0.68),  # P 11/15, R 11/16
    ("it", "apology"): (0.63, 1.00),  # P 7/11, R 7/7
    ("it", "empathy"): (1.00, 0.85),  # P 6/6, R 6/7
    ("pl", "complaint"): (0.84, 0.76),  # P 16/19, R 16/21
    ("pl", "apology"): (0.75, 0.90),  # P 9/12, R 9/10
    ("pl", "empathy"): (1.00, 0.80),  # P 8/8, R 8/10
    ("pt", "complaint"): (0.79, 0.79),  # P 19/24, R 19/24
    ("ro", "complaint"): (0.84, 0.84),  # P 16/19, R 16/19
    ("ro", "apology"): (0.84, 1.00),  # P 11/13, R 11/11
    ("ru", "complaint"): (0.90, 0.80),  # P 20/22, R 20/25
    ("uk", "complaint"): (0.89, 0.80),  # P 17/19, R 17/21
    ("uk", "apology"): (0.72, 1.00),  # P 8/11, R 8/8
    ("uk", "empathy"): (0.83, 0.71),  # P 5/6, R 5/7
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
