"""What a pillar module declares: `Pillar` (scored from signals) or `CorePillar` (from measures).

A signal pillar turns contact summaries into *signals*: additive amounts per named field
({"complained": 1, "empathised": 1}) for one queue, channel and event-time minute. The
streams runtime (pillarwatch.streams.pillar_runtime) calls `signals` for every summary,
sends the signals onto `contact-summaries` (wire kind `signal`), and the measures agent adds
them into per-pillar minute buckets; at scrape time it sums each window and asks the pillar's
pure `components(sums, targets)` for 0..100 component scores. The pillar score is their
weighted mean (`weighted_score`), under the same minimum-volume rule as the core pillars.

Everything here is pure and free of Faust: the runtime, the dashboards and alert builds and the
reference computation (tests/support/reference.py) read the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.contact import Summary

if TYPE_CHECKING:
    from pillarwatch.models.measures import Measures

__all__ = [
    "CorePillar",
    "Pillar",
    "Ratio",
    "Signal",
    "State",
    "clamp100",
    "components_from",
    "gauges_from",
    "metrics_from",
    "ratio",
    "ratio_pillar",
]

# A panel {"title", "expr", optional "unit", "description"} and a Prometheus alerting rule,
# as plain data: the dashboards and alert builds render them (no Grafana SDK import here).
Panel = Mapping[str, str]
Alert = Mapping[str, Any]


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
    # Set by the runtime (streams/pillar_runtime.py), not by the pillar's code.
    ident: str | None = None


# State is a JSON-able dict kept in a Table per customer; None when new (or to forget it).
State = dict[str, Any] | None
SignalsFn = Callable[[State, Summary, Config], tuple[State, list[Signal]]]
SweepFn = Callable[[State, float, Config], tuple[State, list[Signal]]]
ComponentsFn = Callable[[Mapping[str, float], Targets], dict[str, float]]
GaugesFn = Callable[[Mapping[str, float]], dict[str, float]]
MeasureComponentsFn = Callable[["Measures", Targets], dict[str, float]]


@dataclass(frozen=True)
class Pillar:
    """A pillar scored from signals: everything the runtime, dashboards and alerts need.

    - `signals(state, summary, config)`: fold one contact summary into the pillar's state and
      return the new state (None: forget it) and the signals to emit. A pillar keyed by queue
      is stateless (it gets None and its returned state is dropped); one keyed by customer
      gets the customer's stored state.
    - `sweep(state, watermark, config)`: optional, customer-keyed only; called as event time
      (the newest summary time the worker saw) advances: judges what was waiting for time.
    - `components(sums, targets)`: 0..100 component scores from a window's summed signals; a
      component without data is absent (it counts neither as 0 nor as 100).
    - `gauges(sums)`: the pillar's own window gauges, metric name -> value (absent: no data);
      `metrics` names them (catalogue names, models/catalogue.py).
    - `state_bound`: for a customer-keyed pillar, what bounds its per-customer state.
    """

    name: str
    weights: Mapping[str, float]
    signals: SignalsFn
    components: ComponentsFn
    gauges: GaugesFn
    metrics: tuple[str, ...] = ()
    keyed_by: Literal["customer", "queue"] = "queue"
    sweep: SweepFn | None = None
    state_bound: str = ""
    panels: tuple[Panel, ...] = ()
    alerts: tuple[Alert, ...] = ()

    @property
    def table(self) -> str:
        """The Table of a customer-keyed pillar's state (its changelog topic follows)."""
        return f"{self.name}-state"


@dataclass(frozen=True)
class CorePillar:
    """A pillar scored from a window's core measures (models/measures.py), not from signals."""

    name: str
    weights: Mapping[str, float]
    components: MeasureComponentsFn
    panels: tuple[Panel, ...] = ()
    alerts: tuple[Alert, ...] = ()


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


def components_from(ratios: Sequence[Ratio]) -> ComponentsFn:
    """A pillar's `components` from its ratios; a ratio with no denominator is left out."""

    def components(sums: Mapping[str, float], targets: Targets) -> dict[str, float]:
        out = {}
        for r in ratios:
            value = ratio(sums.get(r.num, 0.0), sums.get(r.den, 0.0))
            if r.component is not None and value is not None:
                out[r.component] = clamp100(1.0 - value if r.lower_is_better else value)
        return out

    return components


def gauges_from(ratios: Sequence[Ratio]) -> GaugesFn:
    """A pillar's `gauges` from its ratios (metric name -> value)."""

    def gauges(sums: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for r in ratios:
            value = ratio(sums.get(r.num, 0.0), sums.get(r.den, 0.0))
            if r.gauge is not None and value is not None:
                out[r.gauge] = value
        return out

    return gauges


def ratio_pillar(
    name: str,
    weights: Mapping[str, float],
    signals: SignalsFn,
    ratios: Sequence[Ratio],
    *,
    keyed_by: Literal["customer", "queue"] = "queue",
    sweep: SweepFn | None = None,
    state_bound: str = "",
    panels: tuple[Panel, ...] = (),
    alerts: tuple[Alert, ...] = (),
) -> Pillar:
    """A pillar whose components and gauges are all `ratios` (the usual case)."""
    return Pillar(
        name=name,
        weights=weights,
        signals=signals,
        components=components_from(ratios),
        gauges=gauges_from(ratios),
        metrics=metrics_from(ratios),
        keyed_by=keyed_by,
        sweep=sweep,
        state_bound=state_bound,
        panels=panels,
        alerts=alerts,
    )


def metrics_from(ratios: Sequence[Ratio]) -> tuple[str, ...]:
    """The gauge metric names a pillar's ratios export, in declaration order, once each."""
    return tuple(dict.fromkeys(r.gauge for r in ratios if r.gauge is not None))
