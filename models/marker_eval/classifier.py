"""Option (b): a character n-gram linear classifier trained on the dev split.

Training needs scikit-learn (the `markers-train` extra); the trained model is written as a
small JSON file of n-gram weights, and scoring it needs nothing but this module, so the
runtime would not depend on scikit-learn if this option were kept. It was measured and lost
(docs/markers.md), so the stream does not use it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pillarwatch.models.marker_eval.sets import BITS, ROLE_MASK, Example
from pillarwatch.models.markers import normalise

__all__ = ["NgramModel", "char_ngrams", "train"]

# n-gram lengths over each word padded with spaces (" sorry " -> " so", "sor", ..., "ry ").
_SIZES: Final = (3, 4, 5)
# Probability above which a marker is reported; 0.5 is the plain decision.
THRESHOLD: Final = 0.5


def char_ngrams(text: str) -> list[str]:
    """Features of one message: character n-grams of each normalised word, and the words."""
    grams: list[str] = []
    for word in normalise(text).split():
        padded = f" {word} "
        grams.append(padded)
        for size in _SIZES:
            grams.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


@dataclass(frozen=True, slots=True)
class NgramModel:
    """One logistic model per marker: n-gram weights and a bias."""

    weights: dict[str, dict[str, float]]
    bias: dict[str, float]

    def detect(self, text: str, role: str) -> int:
        grams = set(char_ngrams(text))
        found = 0
        for name, bit in BITS.items():
            if not ROLE_MASK[role] & bit:
                continue
            table = self.weights[name]
            logit = self.bias[name] + sum(table.get(g, 0.0) for g in grams)
            if logit > math.log(THRESHOLD / (1 - THRESHOLD)):
                found |= bit
        return found

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"weights": self.weights, "bias": self.bias}), "utf-8")

    @classmethod
    def load(cls, path: Path) -> NgramModel:
        raw = json.loads(path.read_text("utf-8"))
        return cls(weights=raw["weights"], bias=raw["bias"])


def train(examples: Iterable[Example], c: float = 10.0) -> NgramModel:
    """Fit one balanced logistic regression per marker on the rows of its role."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = list(examples)
    weights: dict[str, dict[str, float]] = {}
    bias: dict[str, float] = {}
    for name, bit in BITS.items():
        chosen: Sequence[Example] = [ex for ex in rows if ROLE_MASK[ex.role] & bit]
        vectoriser = CountVectorizer(analyzer=char_ngrams, binary=True)
        x = vectoriser.fit_transform([ex.text for ex in chosen])
        y = [bool(ex.labels & bit) for ex in chosen]
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
        vocabulary = vectoriser.get_feature_names_out()
        weights[name] = {
            str(gram): round(float(w), 4)
            for gram, w in zip(vocabulary, model.coef_[0], strict=True)
            if abs(w) >= 1e-3
        }
        bias[name] = float(model.intercept_[0])
    return NgramModel(weights, bias)
