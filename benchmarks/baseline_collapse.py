"""How soon `ArrivalsBelowBaseline` catches a small queue's collapse, and what it costs in false
pages: a model of the rule (alerts/rules/baselines.yml), not a measurement of traffic.

    .venv/bin/python -m benchmarks.baseline_collapse [--draws 4000]

A queue gets Poisson(R / 12) contacts in every 5-minute bin, R contacts an hour, the same in
each of the four weeks before (the baseline) and in this one. The rule is evaluated every 5
minutes, as `pillarwatch backtest --step 300s` does: for each window (1h, 2h, 3h of bins) the
count now against min(λ - 3 sqrt(λ), λ / 2), λ the median of the same window in the four
past weeks, judged when λ >= 9 (the 2h window only when the hour's λ is under 9); a page when
the condition held at `for` / 5 min + 1 evaluations in a row. Printed per rate and window set:

- inside: the share of draws that page during a 3-hour collapse to 10 % of the arrivals (the
  scenario of `python -m pillarwatch.backtest.scenarios weeks`), and the median minutes from
  the collapse's start to the page among those;
- false: pages per 1,000 hours of the same queue without a collapse.
"""

from __future__ import annotations

import argparse

import numpy as np

BINS_PER_HOUR = 12
SIGMAS = 3.0
DROP = 0.5
EXPECTED_MIN = 9.0
SPAN_HOURS = 12
COLLAPSE = (6, 9)  # hours of the span
COLLAPSE_SHARE = 0.1
WINDOW_SETS = {"1h+3h (before)": (1, 3), "1h+2h+3h (now)": (1, 2, 3)}
RATES = (3, 4, 5, 6, 8, 12)


def lower_bound(expected: np.ndarray) -> np.ndarray:
    bound: np.ndarray = np.minimum(expected - SIGMAS * np.sqrt(expected), expected * (1 - DROP))
    return bound


def first_pages(
    rate: float, windows: tuple[int, ...], collapse: bool, draws: int, for_steps: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(the evaluation at which each draw first pages or -1, pages per draw) over the span."""
    rng = np.random.default_rng(seed)
    history = max(windows) * BINS_PER_HOUR
    span = SPAN_HOURS * BINS_PER_HOUR
    bins = history + span
    usual = np.full(bins, rate / BINS_PER_HOUR)
    past = np.cumsum(rng.poisson(usual, size=(draws, 4, bins)), axis=2)
    now_rate = usual.copy()
    if collapse:
        start, end = (history + h * BINS_PER_HOUR for h in COLLAPSE)
        now_rate[start:end] *= COLLAPSE_SHARE
    now = np.cumsum(rng.poisson(now_rate, size=(draws, bins)), axis=1)
    at = np.arange(history, bins)
    low = np.zeros((draws, span), dtype=bool)
    judged_hourly = np.zeros((draws, span), dtype=bool)
    for hours in sorted(windows):
        width = hours * BINS_PER_HOUR
        count = now[:, at] - now[:, at - width]
        median = np.median(past[:, :, at] - past[:, :, at - width], axis=1)
        judged = median >= EXPECTED_MIN
        if hours == 1:
            judged_hourly = judged
        elif hours == 2:  # the 2h window only where the hour cannot judge the queue
            judged &= ~judged_hourly
        low |= (count < lower_bound(median)) & judged
    held = np.zeros(draws, dtype=int)
    first = np.full(draws, -1)
    pages = np.zeros(draws, dtype=int)
    for step in range(span):
        held = np.where(low[:, step], held + 1, 0)
        starts = held == for_steps
        pages += starts
        first = np.where((first < 0) & starts, step, first)
    return first, pages


def main() -> None:
    parser = argparse.ArgumentParser(description="The arrivals alert on a modelled collapse.")
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--for-minutes", type=int, default=15, help="the alert's `for:`")
    args = parser.parse_args()
    for_steps = args.for_minutes // 5 + 1
    begin, end = (h * BINS_PER_HOUR for h in COLLAPSE)
    print(
        f"collapse to {COLLAPSE_SHARE:.0%} for {COLLAPSE[1] - COLLAPSE[0]} h, for: "
        f"{args.for_minutes}m, {args.draws} draws: rate/h  windows  P(page inside)  "
        "median minutes to the page  false pages per 1000 h"
    )
    for rate in RATES:
        for name, windows in WINDOW_SETS.items():
            first, _ = first_pages(rate, windows, True, args.draws, for_steps, seed=rate)
            inside = (first >= begin) & (first < end)
            minutes = (first[inside] - begin) * 5
            delay = f"{np.median(minutes):4.0f}" if minutes.size else "   -"
            _, pages = first_pages(rate, windows, False, args.draws, for_steps, seed=100 + rate)
            false = pages.sum() / (args.draws * SPAN_HOURS) * 1000
            print(f"  {rate:3}  {name:16}  {inside.mean():.2f}  {delay}  {false:.2f}")


if __name__ == "__main__":
    main()
