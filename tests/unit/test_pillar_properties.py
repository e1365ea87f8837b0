"""Scores move the right way when inputs worsen, stay in 0..100, and never divide by zero."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pillarwatch.models.buckets import WIDTH
from pillarwatch.models.config import Targets
from pillarwatch.models.measures import Measures, measures
from pillarwatch.models.pillars import core_pillars, default_weights, pillar_scores, registry

CORE = core_pillars()
DEFAULT_WEIGHTS = default_weights(registry())

ratio = st.floats(0, 1)
seconds = st.floats(0, 7200)

measures_st = st.builds(
    Measures,
    offered=st.integers(0, 10_000),
    service_level=st.none() | ratio,
    abandon_ratio=st.none() | ratio,
    average_speed_of_answer=st.none() | seconds,
    average_handle=st.none() | seconds,
    transfer_ratio=st.none() | ratio,
    average_hold=st.none() | seconds,
    resolved_ratio=st.none() | ratio,
    apology_coverage=st.none() | ratio,
    complaint_to_apology=st.none() | seconds,
    repeat_ratio=st.none() | ratio,
    first_contact_resolution=st.none() | ratio,
    journey_contacts=st.none() | st.floats(1, 20),
    journey_switches=st.none() | st.floats(0, 10),
    journey_wait=st.none() | seconds,
    journey_duration=st.none() | st.floats(0, 30 * 86400),
    csat=st.none() | st.floats(1, 5),
    ces=st.none() | st.floats(1, 7),
)

# (measure, direction that is worse, pillar, component)
WORSE = [
    ("service_level", -1, "time_effort", "service_level"),
    ("average_speed_of_answer", +1, "time_effort", "speed_of_answer"),
    ("abandon_ratio", +1, "time_effort", "abandonment"),
    ("transfer_ratio", +1, "time_effort", "transfers"),
    ("average_hold", +1, "time_effort", "holds"),
    ("repeat_ratio", +1, "time_effort", "repeat_contacts"),
    ("journey_contacts", +1, "time_effort", "journey_effort"),
    ("ces", -1, "time_effort", "customer_effort"),
    ("first_contact_resolution", -1, "resolution", "first_contact_resolution"),
    ("resolved_ratio", -1, "resolution", "resolved_at_wrap_up"),
    ("journey_duration", +1, "resolution", "time_to_resolution"),
    ("apology_coverage", -1, "resolution", "apology_coverage"),
    ("csat", -1, "resolution", "csat"),
]


@settings(max_examples=300, deadline=None)
@given(measures_st)
def test_scores_are_bounded(m: Measures) -> None:
    for p in pillar_scores(m, Targets(), CORE, DEFAULT_WEIGHTS, 10).values():
        assert p.score is None or 0.0 <= p.score <= 100.0
        assert all(0.0 <= v <= 100.0 and math.isfinite(v) for v in p.components.values())


@settings(max_examples=300, deadline=None)
@given(measures_st.filter(lambda m: m.offered >= 10), st.sampled_from(WORSE), st.floats(0, 1))
def test_worse_input_never_raises_a_score(m: Measures, case, amount: float) -> None:  # type: ignore[no-untyped-def]
    attr, direction, pillar, component = case
    before = getattr(m, attr)
    if before is None:
        return
    worse = before + direction * amount * (before if direction < 0 else max(before, 1.0))
    m2 = dataclasses.replace(m, **{attr: worse})
    s1 = pillar_scores(m, Targets(), CORE, DEFAULT_WEIGHTS, 10)[pillar]
    s2 = pillar_scores(m2, Targets(), CORE, DEFAULT_WEIGHTS, 10)[pillar]
    assert s2.components[component] <= s1.components[component] + 1e-9
    assert s1.score is not None and s2.score is not None and s2.score <= s1.score + 1e-9


def test_all_zero_bucket_divides_by_nothing() -> None:
    m = measures(np.zeros(WIDTH))
    scores = pillar_scores(m, Targets(), CORE, DEFAULT_WEIGHTS, 0)
    assert all(p.score is None and p.components == {} for p in scores.values())
