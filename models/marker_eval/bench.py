"""Speed of each detector option: median µs per chat message on one core."""

from __future__ import annotations

import os
import statistics
import time

from pillarwatch.models.marker_eval.scoring import Detector
from pillarwatch.models.marker_eval.sets import Example
from pillarwatch.models.markers import clear_caches, detect_languages

__all__ = ["bench"]


def _one_core() -> str:
    """Pin this process to one core so the figure is per core, not spread over several."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def bench(sets: dict[str, list[Example]], detectors: dict[str, Detector], repeats: int) -> None:
    """Time every message with each detector; print the median over messages of the best call.

    Two figures per detector. `cold`: every cache is emptied before each call, so each call
    does all the work (the classifier scores every word from its n-grams). `warm`: the
    classifier's per-word cache is kept (only the last-message memo is emptied), as in a
    running stream where most words of a message were seen before; here every word was, so
    this is the floor, not the typical figure.
    """
    messages = [ex for rows in sets.values() for ex in rows]
    print(f"{len(messages)} messages x {repeats} calls, {_one_core()}")
    for name, detector in _timed(detectors).items():
        for cold in (True, False):
            per_message = _per_message(messages, detector, repeats, cold)
            print(
                f"{name:11} {'cold' if cold else 'warm'} median "
                f"{statistics.median(per_message):7.1f} µs/message, "
                f"p90 {per_message[int(len(per_message) * 0.9)]:7.1f}, "
                f"{1e6 / statistics.mean(per_message):9,.0f} messages/s"
            )


def _timed(detectors: dict[str, Detector]) -> dict[str, Detector]:
    return {
        **detectors,
        # The language detector alone (what an untagged message adds): fastText lid.176.ftz.
        "lang-detect": lambda ex: len(detect_languages(ex.text)),
    }


def _per_message(
    messages: list[Example], detector: Detector, repeats: int, cold: bool
) -> list[float]:
    """Sorted best-of-`repeats` µs of each message."""
    for ex in messages:
        detector(ex)  # lazy loads (the language model) and, for `warm`, the word cache
    per_message = []
    for ex in messages:
        # Best of `repeats` single calls: the machine is shared, and a call that was
        # preempted measures the neighbours, not the detector.
        best = float("inf")
        for _ in range(repeats):
            clear_caches(words=cold)
            start = time.perf_counter_ns()
            detector(ex)
            best = min(best, time.perf_counter_ns() - start)
        per_message.append(best / 1000)
    per_message.sort()
    return per_message
