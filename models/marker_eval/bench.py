"""Speed of each detector option: median µs per chat message on one core."""

from __future__ import annotations

import os
import statistics
import time

from pillarwatch.models.marker_eval.scoring import Detector
from pillarwatch.models.marker_eval.sets import Example

__all__ = ["bench"]


def _one_core() -> str:
    """Pin this process to one core so the figure is per core, not spread over several."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def bench(sets: dict[str, list[Example]], detectors: dict[str, Detector], repeats: int) -> None:
    """Time every message `repeats` times with each detector; print the median per message."""
    messages = [ex for rows in sets.values() for ex in rows]
    print(f"{len(messages)} messages x {repeats} calls, {_one_core()}")
    for name, detector in detectors.items():
        for ex in messages[:50]:
            detector(ex)  # warm caches and lazy loads (the language model) before timing
        per_message = []
        for ex in messages:
            start = time.perf_counter_ns()
            for _ in range(repeats):
                detector(ex)
            per_message.append((time.perf_counter_ns() - start) / repeats / 1000)
        per_message.sort()
        print(
            f"{name:10} median {statistics.median(per_message):7.1f} µs/message, "
            f"p90 {per_message[int(len(per_message) * 0.9)]:7.1f}, "
            f"{1e6 / statistics.mean(per_message):9,.0f} messages/s"
        )
