"""The third tuning round of the marker detector (issue 14): longer courtesy requests, empathy
judged per clause in an apologising message, per-marker classifier thresholds and the
classifier's floor at its bias. Toy models make the classifier's part exact."""

from __future__ import annotations

import pytest

from pillarwatch.models.marker_clauses import clauses
from pillarwatch.models.markers import APOLOGY, COMPLAINT, EMPATHY, NgramModel, detect


@pytest.mark.parametrize(
    ("lang", "text", "apology"),
    [
        # A "?" that does not end the message, and more than eight words.
        ("en", "Sorry, could you repeat the order number? I think a digit is missing", False),
        # Greek asks with ";".
        ("el", "Συγγνώμη, ποιος είναι ο αριθμός του συμβολαίου σας;", False),
        ("el", "Συγγνώμη;", False),
        # No question, but a request to wait from the [repeat] table.
        ("en", "sorry, one moment please while I pull up the policy on your account", False),
        # A reason after the opener, or too long to be only a courtesy: still apologies.
        ("en", "Sorry for the wait, which order number was it?", True),
        (
            "en",
            "sorry, I know this has dragged on for weeks and you have been more than patient "
            "with all of us, what is the number?",
            True,
        ),
    ],
)
def test_a_courtesy_opener_that_asks_or_waits_is_not_an_apology(
    lang: str, text: str, apology: bool
) -> None:
    # The rule, on the lexicon's finds: the shipped classifier may still veto a lexicon's
    # apology (tests/unit/test_marker_veto.py), and gives the long last line 0.02.
    assert bool(detect(text, lang, classifier=False) & APOLOGY) is apology
    if not apology:
        assert detect(text, lang) & APOLOGY == 0


def _toy(threshold: object = 0.5, bias: list[float] | None = None) -> NgramModel:
    # "sorry" weighs for apology and against empathy, as in the trained model; "wobbly" (a word
    # no lexicon holds) for empathy.
    return NgramModel(
        {
            "sizes": [4],
            "weights": {" sorry ": [0.0, 3.0, -5.0], " wobbly ": [0.0, 0.0, 4.0]},
            "bias": bias or [-1.0, -1.0, -1.0],
            "threshold": threshold,
        }
    )


def test_empathy_in_its_own_clause_counts_beside_an_apology() -> None:
    model = _toy()
    text = "sorry for the wait, that is so wobbly for you"
    # The whole message: -1 + 4 - 5 < 0, so no empathy; its second clause alone: -1 + 4 > 0.
    assert model.classify(" sorry for the wait that is so wobbly for you ") & EMPATHY == 0
    assert detect(text, "en", model=model) & EMPATHY == EMPATHY
    # Without an apology the message is not split, and one clause is not split either.
    assert detect("that is so wobbly for you", "en", model=model) & EMPATHY == EMPATHY
    assert detect("sorry for the wait that is so wobbly", "en", model=model) & EMPATHY == 0


def test_clauses_split_at_punctuation_and_keep_three_words_or_more() -> None:
    assert clauses("Sorry! I can see why - that is a pain. ok") == [
        " i can see why ",
        " that is a pain ",
    ]


def test_each_marker_has_its_own_threshold() -> None:
    # logit of "wobbly" alone: -1 + 4 = 3, probability 0.95.
    assert _toy([0.5, 0.5, 0.9]).classify(" wobbly ") == EMPATHY
    assert _toy([0.5, 0.5, 0.97]).classify(" wobbly ") == 0


@pytest.mark.parametrize("bad", [1.5, [0.5, 0.5], [0.5, 0.5, 0.0], "high"])
def test_a_bad_threshold_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises((ValueError, TypeError), match="threshold"):
        _toy(bad)


def test_the_bias_alone_never_reports_a_marker() -> None:
    # Complaint's bias is above its threshold: words the model does not know must not count.
    model = _toy(0.6, bias=[0.6, -1.0, -1.0])
    assert model.classify(" completely unknown words ") == 0
    assert _toy(0.6, bias=[0.6, -1.0, -1.0]).classify(" sorry ") == APOLOGY
    boosted = NgramModel(
        {"sizes": [4], "weights": {" bad ": [0.5, 0.0, 0.0]}, "bias": [0.6, -1.0, -1.0]}
    )
    assert boosted.classify(" so bad ") == COMPLAINT
