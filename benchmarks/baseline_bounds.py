"""False-alarm rates implied by the baseline alerts' bounds (alerts/rules/baselines.yml).

    .venv/bin/python -m benchmarks.baseline_bounds
    .venv/bin/python -m benchmarks.baseline_bounds --dispersion BACKTEST_OUT/metrics.om

Arrivals: P(observed < min(λ - 3 sqrt(λ), λ / 2)) for a Poisson queue whose traffic has not
changed, once with λ known (the exact Poisson tail) and once with λ estimated as the rule does
(the median of four simulated weeks, judged only when it is at least 9). Service level:
P(late > μ + 3 sqrt(μ)) for n contacts, each late with probability 0.1 (the cap on the usual
level), late contacts independent. The figures are model properties, not measurements of
traffic: real traffic is burstier and pages more.

Service level with late contacts in runs: the late count of an hour as a negative binomial with
mean μ and variance DISPERSION_TRUE · μ (DISPERSION_TRUE = 1: Poisson), hours independent of
each other. For the previous rule (the hour alone, late > μ + 3 sqrt(μ)), the current one (the
last 3 hours past 3μ + 3 sqrt(2 · 3μ)) and the current one with the hour past μ + 3 sqrt(2 μ)
as well (weighed, not chosen), each also needing the hour 20 points under the usual: the chance
that an unchanged queue pages in a judged hour, the largest one-hour backlog that does not page,
and the hour of a collapse in which the expected late counts first page.

--dispersion measures φ on a `pillarwatch backtest` recording (step 300 s or any divisor of an
hour): per queue and channel, for every hour (and every 3 hours, not overlapping) with at least
10 contacts in the hour and two weeks of history, the late count against the rule's own
expectation μ (four-week median, capped at 90 %); φ = the mean of (late − μ)² / μ.
"""

from __future__ import annotations

import argparse
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

SIGMAS = 3.0
DROP = 0.5
EXPECTED_MIN = 9.0
LATE_SHARE = 0.1
DRAWS = 400_000
# pillarwatch:baseline_service_level_dispersion:ratio and ..._service_level_drop:ratio
DISPERSION = 2.0
SL_DROP = 0.2


def arrivals_bound(expected: float) -> float:
    return min(expected - SIGMAS * math.sqrt(expected), expected * (1 - DROP))


def poisson_below(bound: float, expected: float) -> float:
    """P(X < bound) for X ~ Poisson(expected)."""
    top = math.ceil(bound) - 1
    return sum(math.exp(-expected) * expected**k / math.factorial(k) for k in range(top + 1))


def arrivals_with_median(expected: float, rng: np.random.Generator) -> float:
    weeks = rng.poisson(expected, size=(DRAWS, 4))
    median = np.median(weeks, axis=1)
    bound = np.minimum(median - SIGMAS * np.sqrt(median), median * (1 - DROP))
    observed = rng.poisson(expected, size=DRAWS)
    return float(np.mean((observed < bound) & (median >= EXPECTED_MIN)))


def late_above(contacts: int) -> tuple[float, float]:
    """(the late-count bound, P(late > bound)) for Binomial(contacts, LATE_SHARE)."""
    mu = LATE_SHARE * contacts
    bound = mu + SIGMAS * math.sqrt(mu)
    p = sum(
        math.comb(contacts, k) * LATE_SHARE**k * (1 - LATE_SHARE) ** (contacts - k)
        for k in range(contacts + 1)
        if k > bound
    )
    return bound, p


def late_pmf(mean: float, dispersion: float, top: int) -> np.ndarray:
    """P(late = k) for k = 0..top: Poisson for dispersion 1, else the negative binomial with
    this mean and variance dispersion · mean (runs of late contacts)."""
    if dispersion == 1.0:
        logs = [-mean + i * math.log(mean) - math.lgamma(i + 1) for i in range(top + 1)]
    else:
        size = mean / (dispersion - 1)  # r, the "number of runs" parameter
        q = 1 / dispersion  # success probability: mean = r (1 - q) / q
        logs = [
            math.lgamma(i + size)
            - math.lgamma(size)
            - math.lgamma(i + 1)
            + size * math.log(q)
            + i * math.log(1 - q)
            for i in range(top + 1)
        ]
    probs: np.ndarray = np.exp(np.array(logs))
    return probs


def late_bound(expected: float, dispersion: float) -> float:
    return expected + SIGMAS * math.sqrt(dispersion * expected)


# The rules compared: which conditions on the late count of the hour (x1, of n contacts) and
# of the 3 hours (x3) page. All of them also need the hour 20 points under the usual 90 %:
# more than 30 % late.
RULES = ("previous", "current", "hour bound too")


def pages(rule: str, x1: float, x3: float, contacts: int) -> bool:
    mu = LATE_SHARE * contacts
    drop = x1 > (LATE_SHARE + SL_DROP) * contacts
    if rule == "previous":  # the hour alone, late contacts independent
        return drop and x1 > late_bound(mu, 1.0)
    over_3h = x3 > late_bound(3 * mu, DISPERSION)
    if rule == "current":  # the 3 hours, runs allowed for; the hour says "still going on"
        return drop and over_3h
    return drop and over_3h and x1 > late_bound(mu, DISPERSION)  # the design weighed


def page_chance(rule: str, contacts: int, true_dispersion: float) -> float:
    """P(an unchanged queue pages in a judged hour): the hour's late count x1 and the two
    hours before it (x23) independent, each of mean μ and dispersion true_dispersion."""
    mu = LATE_SHARE * contacts
    top = int(10 * mu + 60)
    hour = late_pmf(mu, true_dispersion, top)
    earlier = np.convolve(hour, hour)
    total = 0.0
    for x1 in range(top + 1):
        for x23 in range(len(earlier)):
            if pages(rule, x1, x1 + x23, contacts):
                total += hour[x1] * earlier[x23]
    return total


def collapse_hour(rule: str, contacts: int, late_share: float) -> int | None:
    """The hour of a collapse (late share from 10 % to late_share) in which the expected late
    counts first page (hourly evaluation; the page follows `for:` later)."""
    usual = LATE_SHARE * contacts
    bad = late_share * contacts
    for hour in (1, 2, 3):
        late_3h = min(hour, 3) * bad + max(0, 3 - hour) * usual
        if pages(rule, bad, late_3h, contacts):
            return hour
    return None


def backlog_passing(rule: str, contacts: int) -> int:
    """The most late contacts beyond the usual that one hour of backlog may add without a
    page (the backlog's late contacts all in one hour, the hours around it usual)."""
    usual = LATE_SHARE * contacts
    extra = 0
    while pages(rule, usual + extra + 1, 3 * usual + extra + 1, contacts) is False:
        extra += 1
        if extra > contacts:
            break
    return extra


def late_runs() -> None:
    print(
        "service level, late contacts in runs (negative binomial): contacts  "
        "P(page) per judged hour for true dispersion 1 / 2 / 3, per rule"
    )
    for contacts in (10, 15, 20, 30, 50):
        cells = []
        for rule in RULES:
            chances = [page_chance(rule, contacts, d) for d in (1.0, 2.0, 3.0)]
            cells.append(f"{rule}: " + " / ".join(f"{p:.1e}" for p in chances))
        print(f"  {contacts:4}  " + "  ".join(cells))
    print(
        "service level, one-hour backlog: contacts  most extra late contacts not paged "
        "(whole contacts), per rule"
    )
    for contacts in (10, 15, 20, 30, 50):
        cells = [f"{rule}: {backlog_passing(rule, contacts)}" for rule in RULES]
        print(f"  {contacts:4}  " + "  ".join(cells))
    print(
        "service level, collapse: contacts  late share  hour of the collapse in which it "
        "pages, per rule (then `for: 15m`)"
    )
    for contacts in (10, 20, 30):
        for share in (0.4, 0.5, 0.6):
            cells = [f"{rule}: {collapse_hour(rule, contacts, share)}" for rule in RULES]
            print(f"  {contacts:4}  {share:.1f}  " + "  ".join(cells))


_SAMPLE = re.compile(
    r"^(pillarwatch_window_contacts|pillarwatch_service_level_ratio)\{([^}]*)\} (\S+) (\S+)"
)
_LABEL = re.compile(r'(\w+)="([^"]*)"')
WEEK = 7 * 86400


def hourly_late(path: Path) -> dict[tuple[str, str], dict[float, tuple[float, float]]]:
    """(contacts, late contacts) of the 1h window at every whole hour, per (queue, channel)."""
    contacts: dict[tuple[str, str], dict[float, float]] = defaultdict(dict)
    level: dict[tuple[str, str], dict[float, float]] = defaultdict(dict)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            m = _SAMPLE.match(line)
            if m is None:
                continue
            labels = dict(_LABEL.findall(m.group(2)))
            ts = float(m.group(4))
            if labels.get("window") != "1h" or ts % 3600:
                continue
            into = contacts if m.group(1) == "pillarwatch_window_contacts" else level
            into[(labels["queue"], labels["channel"])][ts] = float(m.group(3))
    out: dict[tuple[str, str], dict[float, tuple[float, float]]] = {}
    for key, series in contacts.items():
        levels = level.get(key, {})
        out[key] = {ts: (n, n * (1 - levels.get(ts, 1.0))) for ts, n in series.items()}
    return out


def measured_dispersion(path: Path) -> None:
    cap = 1 - LATE_SHARE
    for (queue, channel), hours in sorted(hourly_late(path).items()):
        levels = {ts: 1 - late / n for ts, (n, late) in hours.items() if n > 0}
        expected: dict[float, float] = {}
        for ts, (n, _) in hours.items():
            past = [levels[ts - w * WEEK] for w in (1, 2, 3, 4) if ts - w * WEEK in levels]
            weeks = sum(ts - w * WEEK in hours for w in (1, 2, 3, 4))
            if past and weeks >= 2:
                expected[ts] = n * (1 - min(float(np.median(past)), cap))
        for window in (1, 3):
            residuals = []
            starts = sorted(ts for ts in expected if hours[ts][0] >= 10)
            last = -math.inf
            for ts in starts:
                if ts - last < window * 3600:
                    continue  # windows that do not overlap
                span = [ts - h * 3600 for h in range(window)]
                mu = sum(expected.get(t, 0.0) for t in span)
                late = sum(hours[t][1] for t in span if t in hours)
                if mu > 0:
                    residuals.append((late - mu) ** 2 / mu)
                    last = ts
            if residuals:
                phi = float(np.mean(residuals))
                print(f"  {queue}/{channel}  {window}h  windows {len(residuals):4}  phi {phi:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="False-alarm rates of the baseline bounds.")
    parser.add_argument("--dispersion", type=Path, help="a backtest's metrics.om: measure φ")
    args = parser.parse_args()
    if args.dispersion is not None:
        print("late-count dispersion (mean squared Pearson residual against the rule's μ):")
        measured_dispersion(args.dispersion)
        return
    rng = np.random.default_rng(1)
    print("arrivals: lambda  bound  P(page | known lambda)  P(page | lambda = median of 4 weeks)")
    for expected in (9, 12, 18, 25, 36, 60):
        bound = arrivals_bound(expected)
        known = poisson_below(bound, expected)
        estimated = arrivals_with_median(expected, rng)
        print(f"  {expected:4}  {bound:6.2f}  {known:.1e}  {estimated:.1e}")
    print("service level: contacts  late bound  P(page)  service level below")
    for contacts in (10, 15, 20, 30, 50):
        bound, p = late_above(contacts)
        print(f"  {contacts:4}  {bound:6.2f}  {p:.1e}  {1 - bound / contacts:.2f}")
    late_runs()


if __name__ == "__main__":
    main()
