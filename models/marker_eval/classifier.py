"""Training the character n-gram classifier (option b) on the dev split.

`pillarwatch markers train` fits one balanced logistic regression per marker on the dev rows of
the role it counts for, over `models.markers.char_ngrams` features, and writes the weights to
models/lexicons/ngram_model.json, which models/markers.py reads at import with json alone.
Training needs scikit-learn (the `markers-train` extra); the runtime does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from pillarwatch.models.marker_eval.sets import (
    BITS,
    DEFAULT_DATA,
    ROLE_MASK,
    TEST_SOURCE,
    Example,
    load_split,
    split_digest,
)
from pillarwatch.models.markers import NGRAM_MODEL, SIZES, char_ngrams, normalise

__all__ = ["MODEL_PATH", "train", "write_model"]

MODEL_PATH: Final = Path(__file__).resolve().parent.parent / "lexicons" / NGRAM_MODEL
# Regularisation (inverse strength), L2: in 5-fold cross-validation on dev it beat L1 (F1
# 0.86/0.83/0.88 against 0.82/0.80/0.79 for complaint/apology/empathy). Every weight is kept:
# pruning at |w| < 0.05 halved the file but changed 42 dev predictions.
C: Final = 10.0
# Probability above which the classifier reports a marker: the lowest at which its 5-fold
# cross-validated precision on dev reaches 0.9 for every marker (complaint 0.90, apology 0.91,
# empathy 0.95; recall 0.79, 0.70, 0.76). At 0.5 precision was 0.83, 0.87, 0.92.
THRESHOLD: Final = 0.7
# The bias of a marker with only one class among its training rows: always or never reported.
_NEVER: Final = -20.0


def _line_key(lang: str, text: str) -> tuple[str, str]:
    return lang, " ".join(normalise(text).split())


def _test_lines(folder: Path) -> set[tuple[str, str]]:
    return {
        _line_key(lang, ex.text) for lang, rows in load_split("test", folder).items() for ex in rows
    }


def train(examples: Iterable[Example], folder: Path = DEFAULT_DATA) -> dict[str, object]:
    """Fit the models; return the JSON-ready model.

    Refuses a row of the test split: one that carries its source, or whose text is a line of
    the test files in `folder`.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = list(examples)
    test_lines = _test_lines(folder)
    for ex in rows:
        if ex.source == TEST_SOURCE or _line_key(ex.lang, ex.text) in test_lines:
            raise ValueError(f"refusing to train on a test-split row ({ex.lang}): train on dev")
    weights: dict[str, list[float]] = {}
    bias: list[float] = []
    for index, bit in enumerate(BITS.values()):
        chosen = [ex for ex in rows if ROLE_MASK[ex.role] & bit]
        vectoriser = CountVectorizer(
            # Counts, not presence: the runtime adds up each distinct word's logits, so a gram
            # shared by two words weighs twice (models.markers.NgramModel).
            analyzer=lambda text: char_ngrams(normalise(text), SIZES),
        )
        if not chosen:
            bias.append(_NEVER)
            continue
        x = vectoriser.fit_transform([ex.text for ex in chosen])
        y = [bool(ex.labels & bit) for ex in chosen]
        if len(set(y)) < 2:
            bias.append(_NEVER if not any(y) else -_NEVER)  # nothing to learn: a constant
            continue
        model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, y)
        for gram, weight in zip(vectoriser.get_feature_names_out(), model.coef_[0], strict=True):
            if weight:
                weights.setdefault(str(gram), [0.0, 0.0, 0.0])[index] = round(float(weight), 3)
        bias.append(round(float(model.intercept_[0]), 4))
    return {"sizes": list(SIZES), "weights": weights, "bias": bias, "threshold": THRESHOLD}


def write_model(folder: Path | None = None, path: Path = MODEL_PATH) -> Path:
    """Train on the dev split and write the model file, recording which dev split it saw."""
    data = folder or DEFAULT_DATA
    model = train((ex for rows in load_split("dev", data).values() for ex in rows), data)
    model["trained_on"] = split_digest("dev", data)
    path.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return path
