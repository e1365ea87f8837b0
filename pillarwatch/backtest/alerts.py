"""Firing intervals of the alert rules over the recorded period.

Prometheus evaluates each alert expression (a range query at the evaluation step); the `for:`
is applied here as the rule manager does: a series becomes pending at the first evaluation
that returns it, fires once it has been returned at every evaluation for `for:`, and resolves
at the first evaluation that does not return it.

Pipeline alerts (`layer: pipeline`) are left out: they watch the worker and Prometheus's own
scrapes (`up`, event lag, consumer lag), which in a backtest describe the replay, not the
contact centre.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pillarwatch.backtest.prometheus import PrometheusServer, range_query

__all__ = ["Firing", "alert_rules", "duration_seconds", "evaluate_alerts", "firings_of", "iso"]

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def duration_seconds(text: str) -> float:
    """A Prometheus duration (`1h30m`, `2m`) in seconds."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r} (e.g. 5m, 1h30m)")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Firing:
    alert: str
    labels: dict[str, str]  # the series' labels and the rule's own (severity, layer)
    start: float  # first evaluation at which it fired
    end: float  # first evaluation at which it was resolved (or the period's end)
    value: float  # the expression's value when it fired
    peak: float  # the value furthest from the start of the firing, in either direction

    @property
    def queue(self) -> str:
        return self.labels.get("queue", "")

    @property
    def channel(self) -> str:
        return self.labels.get("channel", "")

    def identity(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.alert, tuple(sorted(self.labels.items()))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "start_iso": iso(self.start), "end_iso": iso(self.end)}


def alert_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rules if "alert" in r and r.get("labels", {}).get("layer") != "pipeline"]


def firings_of(
    alert: dict[str, Any], series: list[dict[str, Any]], step: float, end: float
) -> list[Firing]:
    """Firing intervals from the range-query result of one alert's expression."""
    hold = duration_seconds(str(alert.get("for", "0s")))
    out: list[Firing] = []
    for s in series:
        labels = {k: v for k, v in s["metric"].items() if k != "__name__"}
        labels.update({k: str(v) for k, v in alert.get("labels", {}).items()})
        run: list[tuple[float, float]] = []
        for ts, value in [*s["values"], (float("inf"), float("nan"))]:
            if run and ts - run[-1][0] > step * 1.5:  # a gap: the series was not returned
                out.extend(_fired(alert["alert"], labels, run, hold, ts, step, end))
                run = []
            run.append((ts, value))
    return sorted(out, key=lambda f: (f.start, f.alert, sorted(f.labels.items())))


def _fired(
    name: str,
    labels: dict[str, str],
    run: list[tuple[float, float]],
    hold: float,
    next_ts: float,
    step: float,
    end: float,
) -> list[Firing]:
    active_at = run[0][0]
    firing = [(ts, v) for ts, v in run if ts - active_at >= hold]
    if not firing:
        return []
    first = firing[0][1]
    peak = max((v for _, v in firing), key=lambda v: abs(v - first))
    resolved = min(run[-1][0] + step, end)
    return [Firing(name, labels, firing[0][0], resolved, first, peak)]


def evaluate_alerts(
    server: PrometheusServer, rules: list[dict[str, Any]], start: float, end: float, step: float
) -> list[Firing]:
    firings: list[Firing] = []
    for alert in alert_rules(rules):
        series = range_query(server, alert["expr"], start, end, step)
        firings.extend(firings_of(alert, series, step, end))
    return sorted(firings, key=lambda f: (f.start, f.alert, sorted(f.labels.items())))
