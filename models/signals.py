"""Pillar signals: how an agent module contributes a pillar score without touching the core.

A pillar agent turns contact summaries into *signals*: additive amounts per named field
({"complained": 1, "empathised": 1}) for one queue, channel and event-time minute. Signals go
onto `contact-summaries` (wire kind `signal`); the measures agent adds them into per-pillar
minute buckets and, at scrape time, sums each window and asks the pillar's pure
`components(sums, targets)` for 0..100 component scores. The pillar score is their weighted
mean (models.pillars.weighted_score), under the same minimum-volume rule as the core pillars.

Everything here is pure: the agents and the reference computation (models/reference.py) call
the same functions, so /metrics can be held equal to what the input implies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.contact import Summary
from pillarwatch.models.pillars import weighted_score

__all__ = [
    "Pillar",
    "PillarResult",
    "Ratio",
    "Signal",
    "State",
    "clamp100",
    "components_from",
    "evaluate_signals",
    "gauges_from",
    "ratio",
]


@dataclass(frozen=True, slots=True)
class Signal:
    """Additive amounts a pillar contributes to the bucket of (queue, channel, minute of ts)."""

    queue: str
    channel: str
    ts: float
    pillar: str
    values: dict[str, float]
    # What identifies the signal in its bucket, so a replay after a crash or a partition move
    # is not counted twice: `<contact id>@<summary ts>:<n>` for the n-th signal of a summary.
    # Set by the agent installer (streams/agents/_contract.py), not by the pillar's code.
    ident: str | None = None


# State is a JSON-able dict kept in a Table (per customer or per queue); None when new.
State = dict[str, Any] | None
SignalsFn = Callable[[State, Summary, Config], tuple[State, list[Signal]]]
SweepFn = Callable[[State, float, Config], tuple[State, list[Signal]]]
ComponentsFn = Callable[[Mapping[str, float], Targets], dict[str, float]]
GaugesFn = Callable[[Mapping[str, float]], dict[str, float]]


@dataclass(frozen=True)
class Pillar:
    """The pure part of a pillar agent module: what the generic pillar installer runs.

    - `signals(state, summary, config)`: fold one contact summary into the agent's state and
      return the new state (None: forget it) and the signals to emit.
    - `sweep(state, watermark, config)`: optional; called for every stored state as event time
      (the newest summary time this worker saw) advances: judges what was waiting for time.
    - `components(sums, targets)`: 0..100 component scores from a window's summed signals; a
      component without data is absent (it counts neither as 0 nor as 100).
    - `gauges(sums)`: the module's own window gauges, metric name -> value (absent: no data).
    """

    name: str
    weights: Mapping[str, float]
    signals: SignalsFn
    components: ComponentsFn
    gauges: GaugesFn
    keyed_by: Literal["customer", "queue"] = "queue"
    sweep: SweepFn | None = None
    fields: tuple[str, ...] = field(default_factory=tuple)  # the signal fields it emits


@dataclass(frozen=True, slots=True)
class PillarResult:
    pillar: str
    queue: str
    channel: str
    window: str
    score: float | None
    components: dict[str, float]
    gauges: dict[str, float]


def clamp100(x: float) -> float:
    return 100.0 * min(1.0, max(0.0, x))


def ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio of two signal sums, exported as a gauge, scored as a component, or both.

    Most of a pillar's figures are such ratios; declaring them once keeps the gauge and the
    component that reads the same numbers from drifting apart.
    """

    num: str
    den: str
    gauge: str | None = None  # catalogue metric of the raw ratio
    component: str | None = None  # component scored 100 x ratio (0..100)
    lower_is_better: bool = False  # the component scores 100 x (1 - ratio) instead


def components_from(
    ratios: Sequence[Ratio],
) -> Callable[[Mapping[str, float], Targets], dict[str, float]]:
    """A pillar's `components` from its ratios; a ratio with no denominator is left out."""

    def components(sums: Mapping[str, float], targets: Targets) -> dict[str, float]:
        out = {}
        for r in ratios:
            value = ratio(sums.get(r.num, 0.0), sums.get(r.den, 0.0))
            if r.component is not None and value is not None:
                out[r.component] = clamp100(1.0 - value if r.lower_is_better else value)
        return out

    return components


def gauges_from(ratios: Sequence[Ratio]) -> Callable[[Mapping[str, float]], dict[str, float]]:
    """A pillar's `gauges` from its ratios (metric name -> value)."""

    def gauges(sums: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for r in ratios:
            value = ratio(sums.get(r.num, 0.0), sums.get(r.den, 0.0))
            if r.gauge is not None and value is not None:
                out[r.gauge] = value
        return out

    return gauges


def evaluate_signals(
    rows: Iterable[tuple[str, str, str, int, Mapping[str, float]]],
    pillars: Mapping[str, Pillar],
    offered: Mapping[tuple[str, str, str], int],
    end_minute: int,
    windows: Mapping[str, int],
    config: Config,
) -> list[PillarResult]:
    """Window results per (pillar, queue, channel, window) from signal buckets.

    `rows` are (pillar, queue, channel, minute, sums); `offered[(queue, channel, window)]` is the
    core window's offered volume, for the minimum-volume rule; windows end at `end_minute`, the
    newest minute of the core buckets, so pillar windows line up with the core ones.
    """
    by_key: dict[tuple[str, str, str], list[tuple[int, Mapping[str, float]]]] = defaultdict(list)
    for name, queue, channel, minute, values in rows:
        by_key[(name, queue, channel)].append((minute, values))
    out = []
    for (name, queue, channel), minutes in sorted(by_key.items()):
        pillar = pillars.get(name)
        if pillar is None:
            continue  # signals of a pillar this worker does not run (a rolling upgrade)
        targets = config.targets(queue)
        weights = config.weights.get(name, pillar.weights)
        for window, length in windows.items():
            sums: dict[str, float] = defaultdict(float)
            for minute, amounts in minutes:
                if end_minute - length < minute <= end_minute:
                    for k, v in amounts.items():
                        sums[k] += v
            comps = pillar.components(sums, targets)
            gauges = pillar.gauges(sums)
            if offered.get((queue, channel, window), 0) < config.min_contacts:
                out.append(PillarResult(name, queue, channel, window, None, {}, gauges))
                continue
            score = weighted_score(comps, weights)
            out.append(PillarResult(name, queue, channel, window, score, comps, gauges))
    return out
