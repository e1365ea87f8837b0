"""Per-call cost of Erlang C staffing: models.staffing.project against pyworkforce's ErlangC.

    python -m benchmarks.staffing [--repeat N]

For each agent count N the traffic is 0.85·N Erlangs (a busy queue, so the agents required are
close to N) with a 300 s handle time, 20 s target and 80% goal. Both sides do the same work: the
agents required for the goal, plus the waiting probability and service level with N present.
pyworkforce is imported here only, never by the worker (its import pulls in ortools and pandas).
"""

from __future__ import annotations

import argparse
import time
import timeit
from collections.abc import Callable

from pillarwatch.models.staffing import project

HANDLE_SECONDS = 300.0
TARGET_SECONDS = 20.0
GOAL = 0.8
AGENT_COUNTS = (1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 500)


def _ours(agents: int, rate: float) -> None:
    project(rate, HANDLE_SECONDS, agents, TARGET_SECONDS, GOAL)


def _pyworkforce(agents: int, rate: float) -> None:
    from pyworkforce.queuing import ErlangC  # type: ignore[import-untyped]

    interval_min = 15
    calc = ErlangC(
        transactions=rate * interval_min * 60,
        aht=HANDLE_SECONDS / 60,
        asa=TARGET_SECONDS / 60,
        interval=interval_min,
    )
    calc.required_positions(GOAL)
    calc.waiting_probability(agents)
    calc.service_level(agents)


def _per_call_us(fn: Callable[[int, float], None], agents: int, rate: float, repeat: int) -> float:
    timer = timeit.Timer(lambda: fn(agents, rate))
    number = max(1, repeat // max(1, agents // 10))
    best = min(timer.repeat(repeat=3, number=number))
    return best / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.staffing")
    parser.add_argument("--repeat", type=int, default=200, help="calls per timing at N=1..10")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    import pyworkforce.queuing  # type: ignore[import-untyped]  # noqa: F401

    print(f"pyworkforce.queuing import: {(time.perf_counter() - t0) * 1e3:.0f} ms")
    print(f"{'agents':>6} {'erlangs':>8} {'ours us':>9} {'pyworkforce us':>15} {'ratio':>6}")
    for n in AGENT_COUNTS:
        rate = 0.85 * n / HANDLE_SECONDS
        ours = _per_call_us(_ours, n, rate, args.repeat)
        theirs = _per_call_us(_pyworkforce, n, rate, args.repeat)
        print(f"{n:>6} {0.85 * n:>8.1f} {ours:>9.1f} {theirs:>15.1f} {theirs / ours:>6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
