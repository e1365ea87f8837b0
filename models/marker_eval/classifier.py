"""Training the character n-gram classifier (option b) on the dev split.

`pillarwatch markers train` fits one balanced logistic regression per marker on the dev rows of
the role it counts for, over `models.markers.char_ngrams` features, and writes the weights to
models/lexicons/ngram_model.json, which models/markers.py reads at import with json alone.
Training needs scikit-learn (the `markers-train` extra); the runtime does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
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
from pillarwatch.models.marker_ngrams import QUESTION, asks, opens_a_question
from pillarwatch.models.markers import NGRAM_MODEL, SIZES, char_ngrams, normalise

__all__ = ["MODEL_PATH", "train", "write_model"]

MODEL_PATH: Final = Path(__file__).resolve().parent.parent / "lexicons" / NGRAM_MODEL
# Regularisation (inverse strength), L2: in 5-fold cross-validation on dev it beat L1 (F1
# 0.86/0.83/0.88 against 0.82/0.80/0.79 for complaint/apology/empathy). Every weight is kept:
# pruning at |w| < 0.05 halved the file but changed 42 dev predictions.
C: Final = 10.0
# Probability above which the classifier reports a marker, chosen by 5-fold CV on dev with the
# lexicons of this commit (`pillarwatch markers cv --threshold T`). On the retired-test rows,
# which no lexicon entry was written from, combined met the goal in 17 cells at 0.6, 15 at
# 0.7 and 14 at 0.75 (mean P 0.93/0.94/0.94, R 0.92/0.90/0.89); on all dev rows, where the
# lexicons are in-sample, 25, 27, 29. The retired-test rows are the fairer guide to new chat.
# Third round: complaint alone at 0.7 or 0.75 traded as much recall as it bought precision
# (docs/markers.md); a per-marker list [complaint, apology, empathy] is accepted here.
# Ninth round (8,404 dev rows): 0.7 met the goal in 26 cells of all dev rows against 22 at
# 0.6 (25 at 0.75), 15 against 13 on the newest rows (dev-2026-12f) and 23 against 23 on the
# retired-test rows; the eighth round had found 26 against 25 on all dev rows. So 0.7.
# Tenth round (10,620 dev rows: the first test split retired into dev, and 420 questions typed
# without "?", dev-2026-12g): 0.75 met the goal in 24 cells of all dev rows against 23 at 0.7
# and 0.65, 23 against 23 (24 at 0.65) on the retired-test-2026-12 rows, and called fewer of the
# held-out questions without "?" complaints (precision 0.69 against 0.64). So 0.75.
# Eleventh round (12,263 dev rows, the veto below, pairs): chosen by leaving out, in turn, the
# two batches no lexicon entry was written from (`pillarwatch markers cv --batches
# retired-test-2026-12,dev-2026-12h`): 21 cells at 0.5, 0.55 and 0.6, 19 at 0.65; 0.6 had the
# best complaint precision of the three (docs/markers.md, eleventh round). So 0.6.
THRESHOLD: Final = 0.6
# A lexicon's find counts only when the classifier gives the marker at least this probability
# (models.markers.detect), per marker [complaint, apology, empathy]; None: never vetoed. On lines
# by writers the lexicons never read, the lexicons' apology patterns fired on requests to repeat:
# leaving out the two lexicon-free batches (threshold 0.6, pairs), "either finds it" met the
# goal in 16 cells (apology P 0.90 / R 0.98), the veto [None, 0.05, 0.05] in 21 (apology P
# 0.96 / R 0.96). Complaint is never vetoed: leaving out four lexicon-free batches, a veto at
# 0.02 raised its precision from 0.810 to 0.829 (recall 0.869 to 0.864, 21 cells either way),
# but the classifier learned "complain" from negated lines ("no complaints, thanks") and gives
# "I want to complain about my bill" 0.017 (docs/markers.md, eleventh round).
# Twelfth round (16,888 dev rows): leaving out the five lexicon-free batches (the eleventh
# round's four and dev-2026-12j), the veto at 0.05 / 0.1 / 0.15 / 0.2 / 0.3 met the goal in 20 /
# 20 / 21 / 22 / 20 cells, a difference of one or two apology cells (English and Russian
# precision, 0.88-0.89 against 0.90-0.92). At 0.2 the classifier vetoes "przepraszam za zwloke,
# jaki byl numer?" (0.16), an apology with its reason that the courtesy rule keeps
# (tests/unit/test_markers.py). So 0.05 stays (docs/markers.md, twelfth round).
VETO: Final[list[float | None]] = [None, 0.05, 0.05]
# Adjacent word pairs as features besides each word's n-grams. Off until the eleventh round (no
# clear gain on 8,404 dev rows or fewer); on 10,620 rows, leaving one of six writers' batches
# out at a time, they raised the classifier's complaint recall at precision 0.9 from 0.77 to 0.82
# (docs/markers.md, eleventh round). `pillarwatch markers cv --no-pairs` measures them again.
PAIRS: Final = True
# With PAIRS, keep only the pairs whose weight for some marker is at least this in absolute value
# (pruned after training; None keeps all). A message holding none of the kept pairs' first words
# pays nothing for them (NgramModel.pair_heads).
# Eleventh round: 0.1 keeps 17,486 of 66,181 pairs; leaving out the two lexicon-free batches it
# met the goal in the same 21 cells as keeping all (complaint P/R 0.844/0.882 against
# 0.846/0.885, read off the per-language table), and the loaded model took 28 MB of memory in
# place of 38. Trained on 14,833 rows: 82,850 weights (21,049 pairs), 32 MB (the tenth round's:
# 21; RSS before and after reading the file and building NgramModel, in a fresh process); on
# 16,888 (twelfth round): 89,806 weights (24,277 pairs), 36 MB.
PAIR_MIN: Final[float | None] = 0.1
# Which markers' models get the question pseudo-word (marker_ngrams.QUESTION) for a message whose
# raw text holds a question mark: "none", "complaint" or "all" (`pillarwatch markers cv
# --question ...`). Complaint alone: in 5-fold CV on the 6,011-row dev split (seventh round,
# docs/markers.md) it cut the held-out false complaints by a quarter and found as many complaints;
# for all three markers it also cost empathy recall.
QUESTION_WORD: Final = "complaint"
# Whether a message that starts with a question word (marker_ngrams.QUESTION_OPENERS) gets the
# question pseudo-word too, "?" or not. Eleventh round: the classifier called "what is my
# balance" and "where is my parcel" complaints (0.84, 0.86; a stream test caught it), and dev's
# 420 questions typed without "?", held out, had complaint precision 0.56 (docs/markers.md).
OPENERS: Final = True
QUESTION_CHOICES: Final = ("none", "complaint", "all")
# How much more a row without the marker weighs than under "balanced" class weights, per
# marker (complaint, apology, empathy). Above 1 buys precision with recall: complaint at 2 and
# 3 met the goal in no more cells in 5-fold CV on dev (third round, docs/markers.md), so 1.
NEGATIVE_WEIGHT: list[float] = [1.0, 1.0, 1.0]
# The bias of a marker with only one class among its training rows: always or never reported.
_NEVER: Final = -20.0


def _line_key(lang: str, text: str) -> tuple[str, str]:
    return lang, " ".join(normalise(text).split())


def _test_lines(folder: Path) -> set[tuple[str, str]]:
    return {
        _line_key(lang, ex.text) for lang, rows in load_split("test", folder).items() for ex in rows
    }


def _class_weights(y: list[bool], negative_weight: float) -> dict[bool, float]:
    """Balanced class weights (n / (2 n_class)), the negative class's multiplied."""
    positives = sum(y)
    negatives = len(y) - positives
    return {
        True: len(y) / (2 * positives),
        False: negative_weight * len(y) / (2 * negatives),
    }


def _features(pairs: bool, question: bool, openers: bool) -> Callable[[str], list[str]]:
    def analyse(text: str) -> list[str]:
        norm = normalise(text)
        asked = asks(text) or (openers and opens_a_question(norm))
        return char_ngrams(norm, SIZES, pairs, question and asked)

    return analyse


def _prune_pairs(weights: dict[str, list[float]], minimum: float) -> dict[str, list[float]]:
    """Drop the word pairs whose weights are all below `minimum` in absolute value."""
    return {
        gram: w
        for gram, w in weights.items()
        if "_" not in gram[1:] or max(abs(v) for v in w) >= minimum
    }


def train(
    examples: Iterable[Example],
    folder: Path = DEFAULT_DATA,
    pairs: bool | None = None,
    question: str | None = None,
    pair_min: float | None = None,
    openers: bool | None = None,
) -> dict[str, object]:
    """Fit the models; return the JSON-ready model.

    `pairs`, `question`, `pair_min`: the settings PAIRS, QUESTION_WORD and PAIR_MIN when None
    (`pair_min` only with pairs). Refuses a row of the test split: one that carries its
    source, or whose text is a line of the test files in `folder`.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    pairs = PAIRS if pairs is None else pairs
    question = QUESTION_WORD if question is None else question
    if question not in QUESTION_CHOICES:
        raise ValueError(f"question must be one of {QUESTION_CHOICES}, not {question!r}")
    pair_min = PAIR_MIN if pair_min is None else pair_min
    openers = OPENERS if openers is None else openers
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
            analyzer=_features(
                pairs, question == "all" or (question == "complaint" and index == 0), openers
            ),
        )
        if not chosen:
            bias.append(_NEVER)
            continue
        x = vectoriser.fit_transform([ex.text for ex in chosen])
        y = [bool(ex.labels & bit) for ex in chosen]
        if len(set(y)) < 2:
            bias.append(_NEVER if not any(y) else -_NEVER)  # nothing to learn: a constant
            continue
        model = LogisticRegression(
            C=C, max_iter=5000, class_weight=_class_weights(y, NEGATIVE_WEIGHT[index])
        ).fit(x, y)
        for gram, weight in zip(vectoriser.get_feature_names_out(), model.coef_[0], strict=True):
            if weight:
                weights.setdefault(str(gram), [0.0, 0.0, 0.0])[index] = round(float(weight), 3)
        bias.append(round(float(model.intercept_[0]), 4))
    if pairs and pair_min is not None:
        weights = _prune_pairs(weights, pair_min)
    return {
        "sizes": list(SIZES),
        "pairs": pairs,
        "question": QUESTION in weights,
        "question_openers": openers,
        "weights": weights,
        "bias": bias,
        "threshold": THRESHOLD,
        "veto": VETO,
    }


def write_model(folder: Path | None = None, path: Path = MODEL_PATH) -> Path:
    """Train on the dev split and write the model file, recording which dev split it saw."""
    data = folder or DEFAULT_DATA
    model = train((ex for rows in load_split("dev", data).values() for ex in rows), data)
    model["trained_on"] = split_digest("dev", data)
    path.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return path
