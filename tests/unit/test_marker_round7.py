"""The seventh tuning round of the marker detector (issue 14): the question pseudo-word and word
pairs gated by their first words. Toy models make the classifier's part exact."""

from __future__ import annotations

import pytest

from pillarwatch.models.marker_eval.classifier import train
from pillarwatch.models.marker_ngrams import asks
from pillarwatch.models.markers import COMPLAINT, NgramModel, char_ngrams, detect


def _toy(question: bool = True) -> NgramModel:
    # "wobbly" (a word no lexicon holds) speaks for complaint; asking speaks against it.
    return NgramModel(
        {
            "sizes": [4],
            "question": question,
            "weights": {" wobbly ": [3.0, 0.0, 0.0], "_q": [-2.0, 0.0, 0.0]},
            "bias": [-1.0, -1.0, -1.0],
        }
    )


@pytest.mark.parametrize(
    ("text", "asking"),
    [("so wobbly?", True), ("τόσο wobbly;", True), ("so wobbly\uff1f", True), ("so wobbly", False)],
)
def test_a_question_mark_in_the_raw_text_asks(text: str, asking: bool) -> None:
    assert asks(text) is asking


def test_the_question_word_counts_only_for_a_model_trained_with_it() -> None:
    model = _toy()
    assert model.classify(" so wobbly ") == COMPLAINT
    # -1 + 3 - 2 = 0: not above the floor.
    assert model.classify(" so wobbly ", question=True) == 0
    assert _toy(question=False).classify(" so wobbly ", question=True) == COMPLAINT


def test_detect_tells_the_classifier_whether_the_message_asks() -> None:
    model = _toy()
    assert detect("so wobbly", "en", model=model) & COMPLAINT
    assert not detect("so wobbly?", "en", model=model) & COMPLAINT
    assert not detect("τόσο wobbly;", "el", model=model) & COMPLAINT


def test_the_question_word_is_a_feature_of_its_own() -> None:
    grams = char_ngrams(" so wobbly ", question=True)
    assert grams[-1] == "_q"
    assert "_q" not in char_ngrams(" so wobbly ")


def test_pairs_are_looked_up_only_after_one_of_their_first_words() -> None:
    model = NgramModel(
        {
            "sizes": [4],
            "pairs": True,
            "weights": {"thanks_for": [3.0, 0.0, 0.0], " for ": [0.1, 0.0, 0.0]},
            "bias": [-1.0, -1.0, -1.0],
        }
    )
    assert model.pair_heads == frozenset({"thanks"})
    assert model.classify(" thanks for nothing ") == COMPLAINT
    assert model.classify(" for thanks ") == 0
    # A model without pairs has no heads, whatever its weights hold.
    assert (
        NgramModel(
            {"sizes": [4], "weights": {"a_b": [1.0, 0.0, 0.0]}, "bias": [0, 0, 0]}
        ).pair_heads
        == frozenset()
    )


def test_the_trainer_names_the_question_settings() -> None:
    with pytest.raises(ValueError, match="question"):
        train([], question="sometimes")
