"""Speed of each detector option: median µs per chat message on one core."""

from __future__ import annotations

import os
import statistics
import time

from pillarwatch.models.marker_eval.crossval import fold_of
from pillarwatch.models.marker_eval.scoring import Detector
from pillarwatch.models.marker_eval.sets import Example
from pillarwatch.models.markers import cached_words, clear_caches, detect_languages, normalise

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

    Three figures per detector, by what the classifier's per-word cache holds when a message
    arrives (every other cache is emptied before each call):
    - `cold`: nothing; every word is scored from its n-grams (the upper bound);
    - `seen`: the words of the messages of the other four folds (crossval.fold_of); only the
      messages of fold 0 are timed, and after each call their new words are forgotten again.
      The nearest figure here to a running stream, whose cache holds the words of earlier
      chats;
    - `warm`: every word (the lower bound).
    The detectors take turns on each message, so a machine that speeds up or slows down during
    the run (a shared one does, by a third within minutes here) moves every figure alike and
    the differences between detectors hold.
    """
    messages = [ex for rows in sets.values() for ex in rows]
    held_out = [ex for ex in messages if fold_of(ex) == 0]
    print(f"{len(messages)} messages x {repeats} calls, {_one_core()}")
    timed_detectors = _timed(detectors)
    for mode in ("cold", "seen", "warm"):
        figures = _per_message(messages, held_out, timed_detectors, repeats, mode)
        for name, per_message in figures.items():
            print(
                f"{name:11} {mode} median {statistics.median(per_message):7.1f} µs/message, "
                f"p90 {per_message[int(len(per_message) * 0.9)]:7.1f}, "
                f"{1e6 / statistics.mean(per_message):9,.0f} messages/s "
                f"({len(per_message)} messages)"
            )


def _timed(detectors: dict[str, Detector]) -> dict[str, Detector]:
    return {
        **detectors,
        # The language detector alone (what an untagged message adds): fastText lid.176.ftz.
        "lang-detect": lambda ex: len(detect_languages(ex.text)),
    }


def _words(ex: Example) -> set[str]:
    return {w for text in (ex.text, *(m.text for m in ex.context)) for w in normalise(text).split()}


def _per_message(
    messages: list[Example],
    held_out: list[Example],
    detectors: dict[str, Detector],
    repeats: int,
    mode: str,
) -> dict[str, list[float]]:
    """Sorted best-of-`repeats` µs of each timed message, per detector."""
    clear_caches()
    timed = held_out if mode == "seen" else messages
    for ex in messages:
        if mode != "seen" or fold_of(ex) != 0:
            for detector in detectors.values():
                detector(ex)  # lazy loads (the language model) and the word cache
    per_message: dict[str, list[float]] = {name: [] for name in detectors}
    for ex in timed:
        for name, detector in detectors.items():
            forget: bool | set[str] = mode == "cold"
            if mode == "seen":
                forget = _words(ex) - cached_words()  # this message's words not seen before
            # Best of `repeats` single calls: the machine is shared, and a call that was
            # preempted measures the neighbours, not the detector.
            best = float("inf")
            for _ in range(repeats):
                clear_caches(words=forget)
                start = time.perf_counter_ns()
                detector(ex)
                best = min(best, time.perf_counter_ns() - start)
            clear_caches(words=forget)
            per_message[name].append(best / 1000)
    for figures in per_message.values():
        figures.sort()
    return per_message
