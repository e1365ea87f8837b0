"""Pillar scores 0..100 from a window: core pillars from its measures, the others from summed
signals. A score is the weighted mean of the components that have data in the window, with
the weights renormalised over those: a missing component counts neither as 0 nor as 100. A
window with fewer than `min_contacts` offered contacts gets no score at all (too noisy).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.measures import Measures
from pillarwatch.models.pillars._spec import CorePillar, Pillar

__all__ = [
    "PillarResult",
    "PillarScore",
    "SignalRow",
    "evaluate_signals",
    "pillar_scores",
    "weighted_score",
]


@dataclass(frozen=True, slots=True)
class PillarScore:
    score: float | None
    components: dict[str, float]


@dataclass(frozen=True, slots=True)
class PillarResult:
    pillar: str
    queue: str
    channel: str
    window: str
    score: float | None
    components: dict[str, float]
    gauges: dict[str, float]


def weighted_score(parts: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    """Weighted mean of the parts present, weights renormalised; None when nothing weighs."""
    total = sum(weights.get(name, 0.0) for name in parts)
    if total <= 0:
        return None
    mean = sum(value * weights.get(name, 0.0) for name, value in parts.items()) / total
    return min(100.0, max(0.0, mean))  # float rounding must not leave 0..100


def pillar_scores(
    m: Measures,
    t: Targets,
    pillars: Iterable[CorePillar],
    weights: Mapping[str, Mapping[str, float]],
    min_contacts: int,
) -> dict[str, PillarScore]:
    """Scores and components per core pillar; none of either below `min_contacts` offered.
    `weights` are the configured ones; a pillar missing there scores with its defaults."""
    parts = {p.name: (p.components(m, t), weights.get(p.name, p.weights)) for p in pillars}
    if m.offered < min_contacts:
        return {name: PillarScore(None, {}) for name in parts}
    return {
        name: PillarScore(weighted_score(comps, w), comps) for name, (comps, w) in parts.items()
    }


# (pillar, queue, channel, minute, sums of the signal fields)
SignalRow = tuple[str, str, str, int, Mapping[str, float]]


def evaluate_signals(
    rows: Iterable[SignalRow],
    pillars: Mapping[str, Pillar],
    offered: Mapping[tuple[str, str, str], int],
    end_minute: int,
    windows: Mapping[str, int],
    config: Config,
) -> list[PillarResult]:
    """Window results per (pillar, queue, channel, window) from signal buckets.

    `offered[(queue, channel, window)]` is the core window's offered volume, for the
    minimum-volume rule; windows end at `end_minute`, the newest minute of the core buckets,
    so pillar windows line up with the core ones.
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
