"""Choosing a detector on dev alone: k-fold cross-validation, the classifier retrained per fold.

The test split is scored once, by the lead, after the detector is chosen; every choice before
that (the options, the classifier's settings, lexicon changes) is judged here. A row's fold is
fixed by a hash of its language and text, so the folds do not move when rows are added
elsewhere and a row's context travels with it. The lexicons are not retrained: they score the
held-out fold as they are, and they were written from dev, so their figures here are
optimistic (docs/markers.md says how much).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from pillarwatch.models.marker_eval.options import NAMES, options
from pillarwatch.models.marker_eval.scoring import Counts, score
from pillarwatch.models.marker_eval.sets import Example
from pillarwatch.models.markers import NgramModel

__all__ = ["FOLDS", "cross_validate", "fold_of", "merge"]

FOLDS: Final = 5


def fold_of(ex: Example, folds: int = FOLDS) -> int:
    """The fold a dev row is held out in: fixed by its language and text."""
    return hashlib.sha256(f"{ex.lang}\n{ex.text}".encode()).digest()[0] % folds


def merge(into: dict[str, Counts], more: dict[str, Counts]) -> None:
    """Add one fold's counts to the running totals (mistakes are kept for --errors)."""
    for marker, c in more.items():
        total = into.setdefault(marker, Counts())
        total.tp += c.tp
        total.fp += c.fp
        total.fn += c.fn
        total.misses += c.misses


def cross_validate(
    sets: dict[str, list[Example]],
    names: Sequence[str] = NAMES,
    folds: int = FOLDS,
    threshold: float | None = None,
    scored: Callable[[Example], bool] = lambda ex: True,
    pairs: bool | None = None,
    question: str | None = None,
    pair_min: float | None = None,
    veto: float | list[float | None] | None = None,
    batches: Sequence[str] = (),
    openers: bool | None = None,
) -> dict[str, dict[str, dict[str, Counts]]]:
    """Counts per option, language and marker, each row scored by a model that never saw it.

    `threshold`, `veto`: the classifier's probability threshold and veto (default: the
    trainer's THRESHOLD and VETO).
    `scored`: which held-out rows are counted (all are trained on in the other folds).
    `pairs`, `question`, `pair_min`, `openers`: word-pair features, the question word, the
    pairs kept, the question word for a question word first (default: the trainer's PAIRS,
    QUESTION_WORD, PAIR_MIN, OPENERS).
    `batches`: leave one batch out instead of k folds: each named source is held out in turn
    and the model trained on every other row; rows of other sources are only trained on. New
    writers' batches held out so estimate how the detector does on lines by people it never
    read, which k random folds (every writer on both sides) overstate.
    """
    from pillarwatch.models.marker_eval.classifier import THRESHOLD, VETO, train

    def fold(ex: Example) -> int:
        if batches:
            return batches.index(ex.source) if ex.source in batches else -1
        return fold_of(ex, folds)

    totals: dict[str, dict[str, dict[str, Counts]]] = {
        name: {lang: {} for lang in sets} for name in names
    }
    for held_out in range(len(batches) or folds):
        rest: Iterable[Example] = (
            ex for rows in sets.values() for ex in rows if fold(ex) != held_out
        )
        raw = train(rest, pairs=pairs, question=question, pair_min=pair_min, openers=openers)
        raw["threshold"] = THRESHOLD if threshold is None else threshold
        raw["veto"] = VETO if veto is None else veto
        model = NgramModel(raw)
        detectors = options(model)
        for lang, rows in sets.items():
            chosen = [ex for ex in rows if fold(ex) == held_out and scored(ex)]
            for name in names:
                merge(totals[name][lang], score(chosen, detectors[name]))
    return totals
