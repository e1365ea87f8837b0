"""Every measure and pillar formula on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from pillarwatch.models.buckets import FIELDS, IDX, WIDTH, increments, window_sum
from pillarwatch.models.config import Targets
from pillarwatch.models.contact import Outcome, Summary
from pillarwatch.models.markers import APOLOGY, COMPLAINT
from pillarwatch.models.measures import measures
from pillarwatch.models.pillars import (
    core_pillars,
    default_weights,
    pillar_scores,
    registry,
    resolution,
    time_effort,
    weighted_score,
)
from pillarwatch.models.windows import evaluate

DEFAULT_WEIGHTS = default_weights(registry())

T = 1_772_445_600.0


def out(kind: str, wait: float, within: bool = False) -> Outcome:
    return Outcome("q", "voice", T, kind, wait, within)


def summ(
    handle: float | None,
    *,
    transfers: int = 0,
    hold: float = 0.0,
    resolved: bool | None = None,
    markers: int = 0,
    delay: float | None = None,
) -> Summary:
    return Summary(
        "q",
        "voice",
        T,
        handle is not None,
        handle,
        1 if hold else 0,
        hold,
        transfers,
        resolved is not None,
        resolved,
        markers,
        delay,
    )


def bucket(items: list[Outcome | Summary]) -> list[float]:
    v = [0.0] * WIDTH
    for item in items:
        for i, amount in increments(item):
            v[i] += amount
    return v


# 10 offered: 6 answered (4 within 20 s; waits 5,10,15,20,30,40), 3 abandoned after 30 s,
# 1 short abandon (2 s). 4 handled: handle 100,200,300,400; 1 transferred; holds 60 and 20;
# 3 wrapped with a disposition, 2 resolved; 2 complaints, 1 apologised 30 s later.
ITEMS: list[Outcome | Summary] = [
    out("answered", 5, True),
    out("answered", 10, True),
    out("answered", 15, True),
    out("answered", 20, True),
    out("answered", 30),
    out("answered", 40),
    out("abandoned", 30),
    out("abandoned", 35),
    out("abandoned", 50),
    out("short_abandoned", 2),
    summ(100, hold=60, resolved=True, markers=COMPLAINT | APOLOGY, delay=30.0),
    summ(200, transfers=1, resolved=False, markers=COMPLAINT),
    summ(300, hold=20, resolved=True),
    summ(400),
]


def test_measures_hand_computed() -> None:
    m = measures(window_sum([(0, bucket(ITEMS))], 0, 5))
    assert m.offered == 10
    assert m.service_level == pytest.approx(4 / 9)  # short abandon leaves the denominator
    assert m.abandon_ratio == pytest.approx(3 / 9)
    assert m.average_speed_of_answer == pytest.approx(120 / 6)
    assert m.average_handle == pytest.approx(1000 / 4)
    assert m.transfer_ratio == pytest.approx(1 / 4)
    assert m.average_hold == pytest.approx(80 / 4)
    assert m.resolved_ratio == pytest.approx(2 / 3)
    assert m.apology_coverage == pytest.approx(1 / 2)
    assert m.complaint_to_apology == pytest.approx(30.0)


def test_empty_window_has_no_measures_not_zeros() -> None:
    m = measures(window_sum([], 0, 5))
    assert m.offered == 0
    assert all(getattr(m, f) is None for f in m.__slots__ if f != "offered")


def test_window_takes_only_its_minutes() -> None:
    one = bucket([out("answered", 5, True)])
    rows = [(100, one), (96, one), (95, one), (41, one), (40, one)]
    assert window_sum(rows, 100, 5)[IDX["offered"]] == 2  # minutes 96..100
    assert window_sum(rows, 100, 60)[IDX["offered"]] == 4  # minutes 41..100
    assert len(FIELDS) == WIDTH


def test_components_hand_computed() -> None:
    m = measures(window_sum([(0, bucket(ITEMS))], 0, 5))
    t = Targets()
    c = {"time_effort": time_effort.components(m, t), "resolution": resolution.components(m, t)}
    te, res = c["time_effort"], c["resolution"]
    assert te["service_level"] == pytest.approx(100 * (4 / 9) / 0.8)
    assert te["speed_of_answer"] == pytest.approx(100.0)  # ASA 20 s == target
    assert te["abandonment"] == 0.0  # 33 % abandoned is past the 25 % ceiling
    assert te["transfers"] == pytest.approx(100 * (1 - 0.25 / 0.5))
    assert te["holds"] == pytest.approx(100 * (1 - 20 / 120))
    assert res == pytest.approx({"resolved_at_wrap_up": 100 * 2 / 3, "apology_coverage": 50.0})


def test_pillar_score_is_weighted_mean_over_present_components() -> None:
    w = {"a": 0.5, "b": 0.25, "c": 0.25}
    assert weighted_score({"a": 80.0, "b": 40.0, "c": 0.0}, w) == pytest.approx(50.0)
    # c missing: renormalise over a and b, never count it as 0 or 100
    assert weighted_score({"a": 80.0, "b": 40.0}, w) == pytest.approx((40 + 10) / 0.75)
    assert weighted_score({}, w) is None
    assert weighted_score({"a": 10.0}, {"a": 0.0}) is None


def test_low_volume_window_reports_no_score() -> None:
    m = measures(window_sum([(0, bucket(ITEMS))], 0, 5))
    scores = pillar_scores(m, Targets(), core_pillars(), DEFAULT_WEIGHTS, min_contacts=11)
    assert all(p.score is None and not p.components for p in scores.values())
    scores = pillar_scores(m, Targets(), core_pillars(), DEFAULT_WEIGHTS, min_contacts=10)
    te = scores["time_effort"]
    assert te.score is not None and 0 <= te.score <= 100
    want = weighted_score(te.components, DEFAULT_WEIGHTS["time_effort"])
    assert te.score == pytest.approx(want)


def test_evaluate_gives_both_windows_per_queue() -> None:
    rows = [("q", "voice", 100, bucket(ITEMS)), ("q", "voice", 50, bucket(ITEMS))]
    from pillarwatch.models.config import Config

    results = {(r.window): r for r in evaluate(rows, Config())}
    assert results["5m"].measures.offered == 10 and results["1h"].measures.offered == 20
    assert not math.isnan(results["1h"].pillars["time_effort"].score or 0)
