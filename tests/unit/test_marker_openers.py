"""The question word for questions typed without "?" (issue 14, eleventh round): a message that
starts with a question word gets the classifier's QUESTION feature when the model was trained
so (`question_openers`); a model file without the field keeps "?" alone."""

from __future__ import annotations

import pytest

from pillarwatch.models.marker_ngrams import QUESTION, NgramModel, opens_a_question
from pillarwatch.models.markers import COMPLAINT, normalise


@pytest.mark.parametrize(
    ("text", "opens"),
    [
        ("what is my balance", True),
        ("Gdzie jest moja paczka", True),
        ("ΠΟΤΕ έρχεται ο τεχνικός", True),  # normalised: accents and case folded
        ("Какой у меня тариф", True),  # й folds to и in the set and in the text alike
        ("my balance please", False),
        ("", False),
    ],
)
def test_a_question_word_first_opens_a_question(text: str, opens: bool) -> None:
    assert opens_a_question(" " + normalise(text) + " ") is opens


def _toy(openers: bool | None) -> NgramModel:
    # "balance" leans to complaint; the question word pulls it back below the threshold.
    raw: dict[str, object] = {
        "sizes": [4],
        "weights": {" balance ": [2.0, 0.0, 0.0], QUESTION: [-3.0, 0.0, 0.0]},
        "bias": [-1.0, -1.0, -1.0],
        "question": True,
        "threshold": 0.5,
    }
    if openers is not None:
        raw["question_openers"] = openers
    return NgramModel(raw)


def test_a_model_trained_with_openers_gives_them_the_question_word() -> None:
    model = _toy(True)
    norm = " what is my balance "
    assert model.asks("what is my balance", norm)
    assert model.classify(norm, model.asks("what is my balance", norm)) == 0
    # Not a question: the word alone decides (-1 + 2 > 0).
    assert model.classify(" my balance ", model.asks("my balance", " my balance ")) == COMPLAINT


@pytest.mark.parametrize("openers", [False, None])
def test_a_model_without_openers_asks_only_with_a_question_mark(openers: bool | None) -> None:
    model = _toy(openers)
    assert not model.asks("what is my balance", " what is my balance ")
    assert model.asks("what is my balance?", " what is my balance ")
