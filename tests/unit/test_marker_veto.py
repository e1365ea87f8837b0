"""The classifier's veto on the lexicons' finds (issue 14, eleventh round): a marker the lexicon
finds counts only when the classifier gives it at least the model's `veto` probability; a model
file without `veto` keeps "either finds it"; null in the per-marker list never vetoes. Toy models
make the classifier's part exact; "sorry" and "awful" are in the en lexicon (apology, complaint)."""

from __future__ import annotations

import math

import pytest

from pillarwatch.models.markers import APOLOGY, COMPLAINT, NgramModel, detect


def _toy(veto: object = None, weight: float = 0.0) -> NgramModel:
    # Every marker's bias is logit(0.1) = -2.197; "zork" (in no lexicon) adds `weight` to each.
    raw: dict[str, object] = {
        "sizes": [4],
        "weights": {" zork ": [weight, weight, weight]},
        "bias": [math.log(0.1 / 0.9)] * 3,
        "threshold": 0.6,
    }
    if veto is not None:
        raw["veto"] = veto
    return NgramModel(raw)


def test_without_a_veto_the_lexicon_counts_alone() -> None:
    # Probability 0.1 from the classifier, below its threshold: the lexicon's find stands.
    assert detect("I'm so sorry about that", "en", model=_toy()) == APOLOGY


def test_a_lexicon_find_below_the_veto_does_not_count() -> None:
    # 0.1 is below a veto of 0.2, and at or above one of 0.05.
    assert detect("I'm so sorry about that", "en", model=_toy(0.2)) == 0
    assert detect("I'm so sorry about that", "en", model=_toy(0.05)) == APOLOGY


def test_words_that_raise_the_probability_lift_the_veto() -> None:
    # "zork" adds 1.5: logit -0.697, probability 0.33, above the veto and below the threshold.
    assert detect("I'm so sorry about that zork", "en", model=_toy(0.2, 1.5)) == APOLOGY


def test_null_in_the_per_marker_veto_never_vetoes_that_marker() -> None:
    model = _toy([None, 0.2, 0.2])
    assert detect("this is awful", "en", model=model) == COMPLAINT
    assert detect("I'm so sorry about that", "en", model=model) == 0


@pytest.mark.parametrize("bad", [1.5, [0.5, 0.5], [None, 0.5, 1.0], "high"])
def test_a_bad_veto_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValueError, match="veto"):
        _toy(bad)


def test_the_shipped_model_vetoes_apology_and_empathy_but_not_complaint() -> None:
    from pillarwatch.models.markers import _MODEL

    assert _MODEL is not None and _MODEL.veto_logits is not None
    complaint, apology, empathy = _MODEL.veto_logits
    assert complaint == -math.inf
    assert apology == pytest.approx(math.log(0.05 / 0.95))
    assert empathy == pytest.approx(math.log(0.05 / 0.95))
