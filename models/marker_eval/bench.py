"""Speed of each detector option: median µs per chat message on one core."""

from __future__ import annotations

import os
import statistics
import time

from pillarwatch.models.marker_eval.scoring import Detector
from pillarwatch.models.marker_eval.sets import Example
from pillarwatch.models.markers import detect_languages

__all__ = ["bench"]


def _one_core() -> str:
    """Pin this process to one core so the figure is per core, not spread over several."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def bench(sets: dict[str, list[Example]], detectors: dict[str, Detector], repeats: int) -> None:
    """Time every message with each detector; print the median over messages of the best call."""
    messages = [ex for rows in sets.values() for ex in rows]
    print(f"{len(messages)} messages x {repeats} calls, {_one_core()}")
    timed: dict[str, Detector] = {
        **detectors,
        # The language detector alone (what an untagged message adds): fastText lid.176.ftz.
        "lang-detect": lambda ex: len(detect_languages(ex.text)),
    }
    for name, detector in timed.items():
        for ex in messages[:50]:
            detector(ex)  # warm caches and lazy loads (the language model) before timing
        per_message = []
        for ex in messages:
            # Best of `repeats` single calls: the machine is shared, and a call that was
            # preempted measures the neighbours, not the detector.
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter_ns()
                detector(ex)
                best = min(best, time.perf_counter_ns() - start)
            per_message.append(best / 1000)
        per_message.sort()
        print(
            f"{name:11} median {statistics.median(per_message):7.1f} µs/message, "
            f"p90 {per_message[int(len(per_message) * 0.9)]:7.1f}, "
            f"{1e6 / statistics.mean(per_message):9,.0f} messages/s"
        )
