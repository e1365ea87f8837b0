"""Precision and recall of a marker detector on labelled examples."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pillarwatch.models.marker_eval.sets import BITS, ROLE_MASK, Example

__all__ = ["Counts", "Detector", "score"]

# A detector maps one labelled example (text, language, role, context) to the markers it finds.
Detector = Callable[[Example], int]


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives of one marker."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score(examples: Iterable[Example], detector: Detector) -> dict[str, Counts]:
    """Counts per marker, each marker judged only on the role it counts for."""
    counts = {name: Counts() for name in BITS}
    for ex in examples:
        mask = ROLE_MASK[ex.role]
        found = detector(ex) & mask
        for name, bit in BITS.items():
            if not bit & mask:
                continue
            got, want = bool(found & bit), bool(ex.labels & bit)
            if got and want:
                counts[name].tp += 1
            elif got:
                counts[name].fp += 1
                counts[name].misses.append(f"FP {name}: {ex.text}")
            elif want:
                counts[name].fn += 1
                counts[name].misses.append(f"FN {name}: {ex.text}")
    return counts
