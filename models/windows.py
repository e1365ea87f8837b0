"""Rolling event-time windows over minute buckets: measures and pillar scores per queue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from pillarwatch.models.buckets import window_sum
from pillarwatch.models.config import Config
from pillarwatch.models.measures import Measures, measures
from pillarwatch.models.pillars import PillarScore, core_pillars, pillar_scores

__all__ = ["RETAIN_MINUTES", "WINDOW_MINUTES", "WindowResult", "evaluate"]

WINDOW_MINUTES: Final = {"5m": 5, "1h": 60}
# Buckets older than the longest window (plus one minute of slack) are expired.
RETAIN_MINUTES: Final = max(WINDOW_MINUTES.values()) + 1


@dataclass(frozen=True, slots=True)
class WindowResult:
    queue: str
    channel: str
    window: str
    measures: Measures
    pillars: dict[str, PillarScore]


def evaluate(
    buckets: Iterable[tuple[str, str, int, Sequence[float]]],
    config: Config,
    end_minute: int | None = None,
) -> list[WindowResult]:
    """Every (queue, channel, window) result; windows end at `end_minute` (default: the latest).

    Windows are in event time: they end at the newest minute seen, not at the wall clock, so a
    replayed or backfilled stream gives the same figures as a live one.
    """
    by_queue: dict[tuple[str, str], list[tuple[int, Sequence[float]]]] = defaultdict(list)
    latest = None
    for queue, channel, minute, vector in buckets:
        by_queue[(queue, channel)].append((minute, vector))
        latest = minute if latest is None else max(latest, minute)
    end = latest if end_minute is None else end_minute
    if end is None:
        return []
    results = []
    core = core_pillars()
    for (queue, channel), rows in sorted(by_queue.items()):
        targets = config.targets(queue)
        for window, minutes in WINDOW_MINUTES.items():
            m = measures(window_sum(rows, end, minutes))
            scores = pillar_scores(m, targets, core, config.weights, config.min_contacts)
            results.append(WindowResult(queue, channel, window, m, scores))
    return results
