"""The character n-gram classifier of the marker detector (models/markers.py).

A logistic model per marker over character n-grams of each normalised word, trained on the dev
split by `pillarwatch markers train` (models/marker_eval/classifier.py) and shipped as
models/lexicons/ngram_model.json: {"sizes", "pairs", "question", "weights": {gram: [complaint,
apology, empathy]}, "bias": [...], "threshold": probability, "trained_on": sha256 of the dev
split}. Scored in pure Python: scikit-learn is needed only to train.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any, Final

from pillarwatch.models.marker_text import normalise

__all__ = [
    "BITS",
    "NGRAM_MODEL",
    "QUESTION",
    "QUESTION_MARKS",
    "QUESTION_OPENERS",
    "SIZES",
    "NgramModel",
    "asks",
    "char_ngrams",
    "opens_a_question",
    "word_features",
    "word_pairs",
]

# The bits `NgramModel.classify` reports, in the order of the weights: models.markers' COMPLAINT,
# APOLOGY and EMPATHY (tests/unit/test_markers.py checks they agree).
BITS: Final = (1, 2, 4)
_ALL: Final = BITS[0] | BITS[1] | BITS[2]
# A logistic model per marker over character n-grams of each normalised word, trained on the
# dev split by `pillarwatch markers train` (models/marker_eval/classifier.py) and shipped as
# models/lexicons/ngram_model.json: {"sizes", "weights": {gram: [complaint, apology,
# empathy]}, "bias": [...], "threshold": probability, "trained_on": sha256 of the dev
# split}. Lexicons give precision, the classifier recall; a marker counts when either finds it
# (docs/markers.md has the figures that chose this).
NGRAM_MODEL: Final = "ngram_model.json"
# Character 4-grams of each padded word (and the word itself). In 5-fold CV on dev, combined met
# the goal in as many cells on the retired-test rows as with 3-, 4- and 5-grams (17 of 33, mean
# P 0.93, R 0.92; one cell fewer on all dev rows) with a third of the features, so a word the
# cache has not seen costs a third as much to score (docs/markers.md).
SIZES: Final = (4,)
# Distinct words whose three logits are kept: chat vocabulary is small and repetitive, so a
# running stream mostly scores a message by adding up a few cached triples.
_WORD_CACHE: Final = 1 << 16
# Greek writes its question mark as ";" (U+037E, or the semicolon it decomposes to), and a
# semicolon is rare in chat in the other languages: each counts as asking.
QUESTION_MARKS: Final = ("?", ";", "\u037e", "\uff1f")
# The question pseudo-word: one feature for a message whose raw text asks something (normalising
# removes the marks). `_` never occurs in a normalised word, so it cannot collide with a word's
# n-grams or a word pair. It lets the model weigh a question apart from a statement of the same
# words (docs/markers.md, sixth and seventh rounds).
QUESTION: Final = "_q"


def _logit(probability: float) -> float:
    return math.log(probability / (1 - probability))


def _floors(raw: object, field: str) -> list[float]:
    """Logits of a probability, or of one probability per marker, read from the model file."""
    if isinstance(raw, int | float):
        probabilities = [float(raw)] * len(BITS)
    elif isinstance(raw, list):
        probabilities = [t for t in raw if isinstance(t, int | float)]
    else:
        probabilities = []
    if len(probabilities) != len(BITS) or not all(0 < t < 1 for t in probabilities):
        raise ValueError(
            f"ngram model: {field} must be a probability or {len(BITS)} of them "
            f"(complaint, apology, empathy), each between 0 and 1, not {raw!r}"
        )
    return [_logit(t) for t in probabilities]


def _veto_floors(raw: object) -> list[float]:
    """The veto's logits; a null in a per-marker list never vetoes (minus infinity)."""
    if isinstance(raw, list) and len(raw) == len(BITS) and None in raw:
        given = [0.5 if v is None else v for v in raw]
        floors = _floors(given, "veto")
        return [-math.inf if v is None else floor for v, floor in zip(raw, floors, strict=True)]
    return _floors(raw, "veto")


def _triple(values: list[float]) -> tuple[float, float, float]:
    return values[0], values[1], values[2]


def word_features(word: str, sizes: tuple[int, ...] = SIZES) -> set[str]:
    """Features of one normalised word: the word padded with spaces, and its n-grams."""
    padded = f" {word} "
    return {padded[i : i + k] for k in sizes for i in range(len(padded) - k + 1)} | {padded}


def asks(text: str) -> bool:
    """Whether the raw text holds a question mark (QUESTION_MARKS)."""
    return "?" in text or ";" in text or "\u037e" in text or "\uff1f" in text


# Words that open a question in the eleven languages, normalised (lower case, no accents): a
# message that starts with one asks even when it is typed without "?" ("what is my balance",
# "gdzie jest moja paczka"). One set for every language, as the classifier has no language:
# a word that opens a statement in another ("wie gesagt", "как я уже писал": "as I said") gets
# the question feature too, and the model weighs the rest of the message as it learned.
_OPENERS_BY_LANGUAGE: Final = {
    "en": "what where when how why who which whats wheres hows can could would will do does did "
    "is are have has",
    "de": "was wo wann wie warum wieso weshalb wer welche welcher welches kann konnen konnt "
    "kannst ist sind gibt habt hast",
    "fr": "quoi ou quand comment pourquoi qui quel quelle quels quelles combien peut pouvez avez",
    "es": "donde cuando como quien cual cuanto cuanta cuantos puede pueden podria podrian hay "
    "tienen",
    "it": "dove quando come perche chi quale quanto quanta quanti posso potete puo",
    "pt": "onde quando como quem qual quanto quanta quantos quantas posso pode podem",
    "ro": "unde cand cum cine care cat cati pot puteti exista",
    "pl": "co gdzie kiedy jak dlaczego czemu kto ktory ktora ile czy mozna moge mozecie",
    "el": "τι που ποτε πως γιατι ποιος ποια ποιο ποσο ποσα μπορω μπορειτε υπαρχει",
    "ru": "что где когда как почему зачем кто какой какая сколько можно могу можете",
    "uk": "що де коли як чому навіщо хто який яка скільки можу чи",
}
QUESTION_OPENERS: Final = frozenset(
    normalise(word).strip() for words in _OPENERS_BY_LANGUAGE.values() for word in words.split()
)


def opens_a_question(norm: str) -> bool:
    """Whether a normalised message starts with one of QUESTION_OPENERS."""
    words = norm.split(maxsplit=1)
    return bool(words) and words[0] in QUESTION_OPENERS


def word_pairs(words: list[str]) -> set[str]:
    """Adjacent word pairs as features ("thanks_for", "for_nothing"): `_` never occurs in a
    normalised word, so a pair cannot collide with a word's n-gram."""
    return {f"{a}_{b}" for a, b in pairwise(words)}


def char_ngrams(
    norm: str, sizes: tuple[int, ...] = SIZES, pairs: bool = False, question: bool = False
) -> list[str]:
    """Features of a normalised message: each distinct word's features, one after the other,
    (`pairs`) the distinct adjacent word pairs, and (`question`: the raw text asks) QUESTION.

    A gram shared by two words counts twice, as the runtime adds up each word's logits.
    """
    words = norm.split()
    grams = [gram for word in set(words) for gram in word_features(word, sizes)]
    if pairs:
        grams += sorted(word_pairs(words))
    if question:
        grams.append(QUESTION)
    return grams


class NgramModel:
    """One logistic model per marker over `char_ngrams`; scores a message word by word."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.sizes: tuple[int, ...] = tuple(raw["sizes"])
        self.weights: dict[str, tuple[float, float, float]] = {
            gram: (w[0], w[1], w[2]) for gram, w in raw["weights"].items()
        }
        self.bias: tuple[float, float, float] = (raw["bias"][0], raw["bias"][1], raw["bias"][2])
        self.pairs = bool(raw.get("pairs", False))
        # The first words of the model's pairs: a message holding none of them pays for no pair
        # (a trainer may keep only a few strong pairs, models/marker_eval/classifier.py).
        self.pair_heads: frozenset[str] = (
            frozenset(gram.split("_", 1)[0] for gram in self.weights if "_" in gram[1:])
            if self.pairs
            else frozenset()
        )
        # Whether the model was trained with QUESTION; its three weights when it was.
        self.question = bool(raw.get("question", False))
        # Whether QUESTION was also given to messages that open with a question word and have no
        # "?" (eleventh round); a model file without the field was trained on "?" alone.
        self.question_openers = bool(raw.get("question_openers", False))
        self.question_logits: tuple[float, float, float] = self.weights.get(
            QUESTION, (0.0, 0.0, 0.0)
        )
        # One probability for every marker, or one per marker [complaint, apology, empathy];
        # 0.5 is the plain logistic decision.
        floors = _floors(raw.get("threshold", 0.5), "threshold")
        # The veto: a marker the lexicon finds counts only when the classifier gives it at least
        # this probability (models.markers.detect). None (a model file without "veto"): the
        # lexicon's finds always count. Logits, like the thresholds.
        # A list may hold null for a marker the classifier never vetoes.
        raw_veto = raw.get("veto")
        self.veto_logits: tuple[float, float, float] | None = (
            None if raw_veto is None else _triple(_veto_floors(raw_veto))
        )
        if raw.get("evidence", True):
            # The words must speak for the marker: when the bias alone is above the threshold
            # (complaint, trained mostly on complaining customer lines), a message of words the
            # model does not know, or words that say nothing, would count. So the floor is at
            # least the bias: the words' logits must add up to more than zero.
            floors = [max(floor, bias) for floor, bias in zip(floors, self.bias, strict=True)]
        self.min_logits: tuple[float, float, float] = _triple(floors)
        # word -> its three logits, for at most _WORD_CACHE words.
        self.word_cache: dict[str, tuple[float, float, float]] = {}

    def word_logits(self, word: str) -> tuple[float, float, float]:
        """The sum of one word's feature weights, per marker (cached)."""
        cached = self.word_cache.get(word)
        if cached is None:
            self._learn({word})
            cached = self.word_cache[word]
        return cached

    def _learn(self, words: set[str]) -> None:
        """Score words the cache does not hold, in one pass, and cache them."""
        if len(self.word_cache) + len(words) > _WORD_CACHE:
            self.word_cache.clear()  # emptied when full: cheaper per call than an LRU's upkeep
        get, sizes = self.weights.get, self.sizes
        for word in words:
            complaint = apology = empathy = 0.0
            for weight in map(get, word_features(word, sizes)):
                if weight is not None:
                    complaint += weight[0]
                    apology += weight[1]
                    empathy += weight[2]
            self.word_cache[word] = (complaint, apology, empathy)

    def logits(self, norm: str, question: bool = False) -> tuple[float, float, float]:
        """Each marker's logit for a normalised message; `question`: its raw text asks (`asks`),
        which counts only for a model trained with the question word."""
        complaint, apology, empathy = self.bias
        words = norm.split()
        cache = self.word_cache
        distinct = set(words)
        unseen = distinct.difference(cache)
        if unseen:
            self._learn(distinct if len(cache) + len(unseen) > _WORD_CACHE else unseen)
        for c, a, e in map(cache.__getitem__, distinct):
            complaint += c
            apology += a
            empathy += e
        heads = self.pair_heads
        if heads and not heads.isdisjoint(distinct):
            pairs = {f"{a}_{b}" for a, b in pairwise(words) if a in heads}
            for weight in map(self.weights.get, pairs):
                if weight is not None:
                    complaint += weight[0]
                    apology += weight[1]
                    empathy += weight[2]
        if question and self.question:
            c, a, e = self.question_logits
            complaint += c
            apology += a
            empathy += e
        return complaint, apology, empathy

    def asks(self, text: str, norm: str) -> bool:
        """Whether the message gets QUESTION: a question mark, or (question_openers) a question
        word first. False for a model trained without QUESTION."""
        if not self.question:
            return False
        return asks(text) or (self.question_openers and opens_a_question(norm))

    def classify(self, norm: str, question: bool = False) -> int:
        """Markers found in a normalised message (`logits` above each marker's floor)."""
        return _above(self.logits(norm, question), self.min_logits)

    def judge(self, norm: str, question: bool = False) -> tuple[int, int]:
        """(markers found, markers not vetoed) for one message, its logits computed once.

        Not vetoed: the markers whose probability reaches the veto, so a lexicon's find of
        them may count; every marker when the model has no veto."""
        logits = self.logits(norm, question)
        allowed = _ALL if self.veto_logits is None else _above(logits, self.veto_logits)
        return _above(logits, self.min_logits), allowed


def _above(logits: tuple[float, float, float], floors: tuple[float, float, float]) -> int:
    complaint_bit, apology_bit, empathy_bit = BITS
    return (
        (complaint_bit if logits[0] > floors[0] else 0)
        | (apology_bit if logits[1] > floors[1] else 0)
        | (empathy_bit if logits[2] > floors[2] else 0)
    )
