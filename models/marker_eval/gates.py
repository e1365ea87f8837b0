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
# on the test split where one is below GOAL: the goal is missed there. This test split (source
# holdout-2026-12b, 2,010 rows, written on 2026-12-03 by six annotators who never saw the
# detector, the lexicons or dev) replaced the first (holdout-2026-12), which had been scored
# seven times (23 of 33 cells at the last) and is now dev (retired-test-2026-12). It has been
# scored six times with `pillarwatch markers eval --option all --split test`, all on
# 2026-12-03: at 12:16 UTC with the detector then on main (12 of 33 cells), at 12:20 UTC after
# `pillarwatch markers train` on the new dev split (11 of 33), at 12:37 UTC after the tenth
# round (10 of 33), at 14:47 UTC after the eleventh round's first part (20 of 33), at 15:16 UTC
# after its second part (20 of 33), and at 17:36 UTC after the twelfth round (2,055 dev rows by
# eight new annotators, the classifier retrained; 19 of 33; these figures). Every setting was
# chosen by leaving out dev batches no lexicon entry was written from; nothing in the detector
# changed after any scoring because of it. docs/markers.md lists every measurement made on a
# test split.
MISSED: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("de", "complaint"): (0.89, 0.92),  # P 50/56, R 50/54
    ("de", "empathy"): (0.95, 0.87),  # P 21/22, R 21/24
    ("en", "complaint"): (0.91, 0.81),  # P 62/68, R 62/76
    ("es", "complaint"): (0.88, 0.90),  # P 46/52, R 46/51
    ("es", "apology"): (0.89, 1.00),  # P 25/28, R 25/25
    ("es", "empathy"): (0.96, 0.86),  # P 25/26, R 25/29
    ("it", "complaint"): (0.82, 0.87),  # P 47/57, R 47/54
    ("pl", "complaint"): (0.83, 0.87),  # P 47/56, R 47/54
    ("pl", "empathy"): (1.00, 0.89),  # P 26/26, R 26/29
    ("pt", "complaint"): (0.84, 0.92),  # P 50/59, R 50/54
    ("ro", "complaint"): (0.78, 0.81),  # P 45/57, R 45/55
    ("ro", "empathy"): (1.00, 0.89),  # P 25/25, R 25/28
    ("ru", "complaint"): (0.86, 0.94),  # P 51/59, R 51/54
    ("uk", "complaint"): (0.80, 0.81),  # P 45/56, R 45/55
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
