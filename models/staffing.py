"""Live staffing against Erlang C: agents required, projected service level and speed of answer.

Pure code, no event loop. The stream side (per-queue agent counts from `agent.state` events, the
measured arrival rate and handle time) calls `project()` once per queue and channel and exports
the fields of the returned `StaffingProjection`; see docs/staffing.md for the formulas and what
Erlang C assumes.

Why not pyworkforce (the obvious library): importing `pyworkforce.queuing` imports the whole
package, which pulls in ortools and pandas (0.68 s measured with `python -X importtime`), its
waiting probability is not a probability once traffic reaches the agents present (1.42 for
10 Erlangs on 9 agents), its search for the required positions starts at round(A + 1) and so can
skip the right answer by one, and it has no speed of answer. The formulas are a few lines; the
tests check this code against pyworkforce over a grid where both are defined, and
`python -m benchmarks.staffing` compares their cost.

Units: seconds and contacts per second throughout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "AGENT_STATES",
    "PRESENT_STATES",
    "AgentStateChange",
    "StaffingProjection",
    "agents_present",
    "arrival_rate",
    "erlang_b",
    "erlang_c",
    "gauge_values",
    "project",
    "queue_staffing",
    "service_level",
]

# The states an `agent.state` event may carry, in the order a wallboard lists them.
AGENT_STATES = ("available", "busy", "after_call_work", "break", "offline")
# Agents that count as staffing the queue: logged in and taking or finishing contacts. Agents on
# break or offline are not serving, so Erlang C must not count them.
PRESENT_STATES = frozenset({"available", "busy", "after_call_work"})

# A bound on the search for the agents required, far above any real queue. It only matters for a
# goal of 1.0, which Erlang C approaches but reaches only when float rounding makes it so.
_MAX_EXTRA_AGENTS = 100_000


@dataclass(frozen=True, slots=True)
class StaffingProjection:
    """Erlang C for one queue and channel, with the agents present now.

    `overloaded` is True when the traffic (Erlangs) is at or above the agents present: the queue
    then grows without bound, so `projected_service_level` is 0.0, `probability_of_waiting` is
    1.0, `projected_asa_seconds` is `math.inf` (exported as +Inf, so an alert on a high ASA still
    fires, where a missing series would go silent) and `occupancy` is 1.0.
    With no arrivals, nobody waits: required 0, service level 1.0, ASA 0.0, occupancy 0.0.
    """

    traffic_erlangs: float
    agents_present: int
    required_agents: int
    probability_of_waiting: float
    projected_service_level: float
    projected_asa_seconds: float
    occupancy: float
    overloaded: bool


@dataclass(frozen=True, slots=True)
class AgentStateChange:
    """An agent's state for one queue and channel, as the measures agent keeps it."""

    queue: str
    channel: str
    ts: float
    agent_id: str
    state: str


def queue_staffing(
    offered_in_lookback: float,
    lookback_seconds: float,
    mean_handle_seconds: float | None,
    counts_by_state: Mapping[str, int],
    target_seconds: float,
    goal: float,
) -> StaffingProjection | None:
    """The projection for one queue from what the pipeline measures: offered contacts over the
    lookback, mean handle time, and the agents present by state."""
    return project(
        arrival_rate(offered_in_lookback, lookback_seconds),
        mean_handle_seconds,
        agents_present(counts_by_state),
        target_seconds,
        goal,
    )


def arrival_rate(contacts: float, lookback_seconds: float) -> float:
    """Contacts per second offered over the lookback (event time)."""
    if lookback_seconds <= 0:
        raise ValueError(f"lookback_seconds must be > 0, got {lookback_seconds}")
    if contacts < 0:
        raise ValueError(f"contacts must be >= 0, got {contacts}")
    return contacts / lookback_seconds


def agents_present(counts_by_state: Mapping[str, int]) -> int:
    """Agents staffing a queue, from its counts by state (summed over workers)."""
    unknown = set(counts_by_state) - set(AGENT_STATES)
    if unknown:
        raise ValueError(f"unknown agent states {sorted(unknown)}; expected {AGENT_STATES}")
    return sum(max(0, n) for s, n in counts_by_state.items() if s in PRESENT_STATES)


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability B(N, A) by the recursion B(n) = A·B(n-1) / (n + A·B(n-1)).

    Every step stays in [0, 1], so it neither overflows nor loses precision for thousands of
    agents, unlike A^N / N! over a sum of such terms.
    """
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must be >= 0")
    b = 1.0
    for n in range(1, agents + 1):
        ab = traffic * b
        b = ab / (n + ab)
    return b


def _erlang_c_from_b(agents: int, traffic: float, b: float) -> float:
    # C = N·B / (N - A·(1 - B)), defined (and a probability) only for N > A.
    return agents * b / (agents - traffic * (1.0 - b))


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact waits, C(N, A); 1.0 when A >= N (the queue never clears)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    return _erlang_c_from_b(agents, traffic, erlang_b(agents, traffic))


def _sl(agents: int, traffic: float, c: float, handle: float, target: float) -> float:
    # P(wait <= t) = 1 - C·exp(-(N - A)·t / h); clamp float noise into [0, 1].
    return min(1.0, max(0.0, 1.0 - c * math.exp(-(agents - traffic) * target / handle)))


def service_level(
    agents: int, arrival_per_second: float, handle_seconds: float, target_seconds: float
) -> float:
    """Projected share of contacts answered within `target_seconds` with `agents` serving."""
    traffic = arrival_per_second * handle_seconds
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return _sl(agents, traffic, erlang_c(agents, traffic), handle_seconds, target_seconds)


def project(
    arrival_per_second: float,
    mean_handle_seconds: float | None,
    agents: int,
    target_seconds: float,
    goal: float,
) -> StaffingProjection | None:
    """Erlang C staffing for one queue; None when there is no handle-time data yet.

    `arrival_per_second`: measured offered contacts / lookback (see `arrival_rate`).
    `mean_handle_seconds`: measured mean handle time; None or 0 means nothing measured yet.
    `agents`: agents present (see `agents_present`). `target_seconds`, `goal`: the queue's
    service-level target, e.g. 80% (0.8) within 20 s.
    """
    if arrival_per_second < 0 or not math.isfinite(arrival_per_second):
        raise ValueError(f"arrival_per_second must be finite and >= 0, got {arrival_per_second}")
    if agents < 0:
        raise ValueError(f"agents must be >= 0, got {agents}")
    if target_seconds < 0:
        raise ValueError(f"target_seconds must be >= 0, got {target_seconds}")
    if not 0.0 < goal <= 1.0:
        raise ValueError(f"goal must be in (0, 1], got {goal}")
    if mean_handle_seconds is None or mean_handle_seconds <= 0:
        return None

    traffic = float(arrival_per_second * mean_handle_seconds)
    if traffic == 0:
        return StaffingProjection(0.0, agents, 0, 0.0, 1.0, 0.0, 0.0, False)

    # One pass of the Erlang B recursion serves both questions: the figures at the agents
    # present, and the first N > A whose service level meets the goal.
    required: int | None = None
    at_present: tuple[float, float] | None = None  # (C, SL) with the agents present
    b = 1.0
    n = 0
    limit = math.ceil(traffic) + _MAX_EXTRA_AGENTS
    while required is None or (at_present is None and n < agents):
        n += 1
        ab = traffic * b
        b = ab / (n + ab)
        if n <= traffic:
            continue
        c = _erlang_c_from_b(n, traffic, b)
        sl = _sl(n, traffic, c, mean_handle_seconds, target_seconds)
        if required is None and (sl >= goal or n >= limit):
            required = n
        if n == agents:
            at_present = (c, sl)

    if at_present is None:  # agents <= traffic: the queue grows without bound
        return StaffingProjection(traffic, agents, required, 1.0, 0.0, math.inf, 1.0, True)
    c, sl = at_present
    asa = c * mean_handle_seconds / (agents - traffic)
    return StaffingProjection(traffic, agents, required, c, sl, asa, traffic / agents, False)


def gauge_values(projection: StaffingProjection) -> dict[str, float]:
    """The projection as the exporter sets it: catalogue metric name -> value for one
    (queue, channel). `pillarwatch_staffing_present_agents{state}` is set from the counts by
    state directly, not from here."""
    return {
        "pillarwatch_staffing_required_agents": float(projection.required_agents),
        "pillarwatch_projected_service_level_ratio": projection.projected_service_level,
        "pillarwatch_projected_average_speed_of_answer_seconds": projection.projected_asa_seconds,
        "pillarwatch_occupancy_ratio": projection.occupancy,
    }
