"""Erlang C staffing: published worked example, edge cases, pyworkforce as oracle, properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pillarwatch.models.catalogue import spec
from pillarwatch.models.staffing import (
    AGENT_STATES,
    agents_present,
    arrival_rate,
    erlang_b,
    erlang_c,
    gauge_values,
    project,
    service_level,
)

ErlangC = pytest.importorskip("pyworkforce.queuing").ErlangC

# The worked example (callcentrehelper.com's Erlang C walk-through): 100 contacts in 30 minutes,
# 180 s handle time, 80% answered within 20 s.
RATE = arrival_rate(100, 30 * 60)
HANDLE = 180.0


def test_worked_example_matches_the_published_figures() -> None:
    p = project(RATE, HANDLE, 14, 20.0, 0.80)
    assert p is not None
    assert p.traffic_erlangs == pytest.approx(10.0)
    assert p.required_agents == 14
    # Published: waiting about 17%, service level about 89%, ASA about 7.8 s. Exact Erlang C to
    # four places agrees with every one of them (0.1741, 0.8884, 7.836 s).
    assert p.probability_of_waiting == pytest.approx(0.1741, abs=5e-5)
    assert p.projected_service_level == pytest.approx(0.8884, abs=5e-5)
    assert p.projected_asa_seconds == pytest.approx(7.836, abs=5e-4)
    assert p.occupancy == pytest.approx(10 / 14)
    assert not p.overloaded


def test_one_agent_fewer_misses_the_goal() -> None:
    p = project(RATE, HANDLE, 13, 20.0, 0.80)
    assert p is not None
    assert p.projected_service_level < 0.80
    assert p.required_agents == 14


def test_erlang_b_matches_the_table() -> None:
    # Erlang B tables: 10 Erlangs on 10 trunks block 21.46% of calls.
    assert erlang_b(10, 10.0) == pytest.approx(0.2146, abs=5e-5)
    assert erlang_b(0, 3.0) == 1.0


@pytest.mark.parametrize(("agents", "traffic"), [(50, 42.0), (900, 870.5), (5000, 4900.0)])
def test_erlang_b_recursion_agrees_with_log_space_formula(agents: int, traffic: float) -> None:
    # B = (A^N / N!) / sum_k A^k / k!, summed in log space so the check is independent of the
    # recursion and cannot overflow either.
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents + 1)]
    top = max(logs)
    log_sum = top + math.log(sum(math.exp(x - top) for x in logs))
    assert erlang_b(agents, traffic) == pytest.approx(math.exp(logs[-1] - log_sum), rel=1e-9)


def test_large_queue_is_finite_and_sane() -> None:
    p = project(4800 / 300, 300.0, 5000, 20.0, 0.8)
    assert p is not None
    assert 0.0 < p.probability_of_waiting < 1.0
    assert 0.0 <= p.projected_service_level <= 1.0
    assert math.isfinite(p.projected_asa_seconds)
    assert 4800 < p.required_agents <= 5000


@pytest.mark.parametrize("agents", [9, 10])
def test_traffic_at_or_above_agents_is_overloaded(agents: int) -> None:
    p = project(RATE, HANDLE, agents, 20.0, 0.80)
    assert p is not None
    assert p.overloaded
    assert p.projected_service_level == 0.0
    assert p.probability_of_waiting == 1.0
    assert p.projected_asa_seconds == math.inf
    assert p.occupancy == 1.0
    assert p.required_agents == 14


def test_zero_agents_is_overloaded_with_the_requirement_still_known() -> None:
    p = project(RATE, HANDLE, 0, 20.0, 0.80)
    assert p is not None
    assert p.overloaded
    assert p.required_agents == 14


def test_zero_arrivals_need_nobody_and_nobody_waits() -> None:
    p = project(0.0, HANDLE, 3, 20.0, 0.80)
    assert p is not None
    assert (p.required_agents, p.probability_of_waiting, p.projected_service_level) == (0, 0, 1)
    assert p.projected_asa_seconds == 0.0
    assert p.occupancy == 0.0
    assert not p.overloaded


@pytest.mark.parametrize("handle", [None, 0.0])
def test_no_handle_time_data_is_no_projection(handle: float | None) -> None:
    assert project(RATE, handle, 14, 20.0, 0.80) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arrival_per_second": -1.0},
        {"arrival_per_second": math.nan},
        {"agents": -1},
        {"target_seconds": -1.0},
        {"goal": 0.0},
        {"goal": 1.5},
    ],
)
def test_bad_inputs_raise(kwargs: dict[str, float]) -> None:
    args: dict[str, float | int | None] = {
        "arrival_per_second": RATE,
        "mean_handle_seconds": HANDLE,
        "agents": 14,
        "target_seconds": 20.0,
        "goal": 0.8,
    }
    args.update(kwargs)
    with pytest.raises(ValueError):
        project(**args)  # type: ignore[arg-type]


def test_a_goal_of_one_terminates_with_more_agents() -> None:
    p = project(RATE, HANDLE, 14, 20.0, 1.0)
    assert p is not None
    assert p.required_agents > 14
    assert service_level(p.required_agents, RATE, HANDLE, 20.0) == 1.0


def test_agents_present_counts_only_serving_states() -> None:
    counts = {"available": 3, "busy": 7, "after_call_work": 2, "break": 4, "offline": 9}
    assert agents_present(counts) == 12
    with pytest.raises(ValueError, match="lunch"):
        agents_present({"lunch": 1})


def test_arrival_rate_rejects_an_empty_lookback() -> None:
    with pytest.raises(ValueError):
        arrival_rate(10, 0)


# pyworkforce as the oracle. Units there are minutes and transactions per interval; its
# required_positions starts its search at round(A + 1) and so can overshoot by one, so the
# requirement is checked against its service_level instead.
GRID = [
    (calls, aht, target, goal)
    for calls in (1, 7, 40, 100, 333, 1200)
    for aht in (45.0, 180.0, 600.0)
    for target in (10.0, 20.0, 60.0)
    for goal in (0.5, 0.8, 0.95)
]


@pytest.mark.parametrize(("calls", "aht", "target", "goal"), GRID)
def test_agrees_with_pyworkforce(calls: int, aht: float, target: float, goal: float) -> None:
    oracle = ErlangC(transactions=calls, aht=aht / 60, asa=target / 60, interval=30)
    rate = calls / 1800
    traffic = rate * aht
    first = math.floor(traffic) + 1
    for agents in range(first, first + 8):
        p = project(rate, aht, agents, target, goal)
        assert p is not None
        assert p.probability_of_waiting == pytest.approx(oracle.waiting_probability(agents))
        assert p.projected_service_level == pytest.approx(oracle.service_level(agents))
        assert p.occupancy == pytest.approx(oracle.achieved_occupancy(agents))
    p = project(rate, aht, 0, target, goal)
    assert p is not None
    n = p.required_agents
    assert oracle.service_level(n) >= goal
    assert n - 1 <= traffic or oracle.service_level(n - 1) < goal


rates = st.floats(min_value=0.0, max_value=5.0, allow_nan=False)
handles = st.floats(min_value=1.0, max_value=1800.0)
targets = st.floats(min_value=0.0, max_value=300.0)


@given(rates, handles, targets, st.integers(min_value=0, max_value=400))
def test_more_agents_never_lower_the_service_level(
    rate: float, handle: float, target: float, agents: int
) -> None:
    fewer = service_level(agents, rate, handle, target)
    more = service_level(agents + 1, rate, handle, target)
    assert 0.0 <= fewer <= more <= 1.0


@given(rates, handles, targets, st.integers(min_value=0, max_value=400), st.floats(0.05, 0.99))
def test_projection_stays_in_range_and_required_meets_goal(
    rate: float, handle: float, target: float, agents: int, goal: float
) -> None:
    p = project(rate, handle, agents, target, goal)
    assert p is not None
    assert 0.0 <= p.probability_of_waiting <= 1.0
    assert 0.0 <= p.projected_service_level <= 1.0
    assert 0.0 <= p.occupancy <= 1.0
    assert p.projected_asa_seconds >= 0.0
    assert p.overloaded == (p.traffic_erlangs > 0 and agents <= p.traffic_erlangs)
    assert service_level(p.required_agents, rate, handle, target) >= goal
    assert erlang_c(p.required_agents, p.traffic_erlangs) <= 1.0


def test_gauge_values_are_catalogue_gauges_per_queue_and_channel() -> None:
    p = project(RATE, HANDLE, 9, 20.0, 0.80)
    assert p is not None
    values = gauge_values(p)
    for name in values:
        assert spec(name).kind == "gauge"
        assert spec(name).labels == ("queue", "channel")
    assert values["pillarwatch_staffing_required_agents"] == 14.0
    assert values["pillarwatch_projected_average_speed_of_answer_seconds"] == math.inf
    present = spec("pillarwatch_staffing_present_agents")
    assert present.labels == ("queue", "channel", "state")
    assert set(AGENT_STATES) == {"available", "busy", "after_call_work", "break", "offline"}
