"""False-alarm rates implied by the baseline alerts' bounds (alerts/rules/baselines.yml).

    .venv/bin/python -m benchmarks.baseline_bounds

Arrivals: P(observed < min(λ - 3 sqrt(λ), λ / 2)) for a Poisson queue whose traffic has not
changed, once with λ known (the exact Poisson tail) and once with λ estimated as the rule does
(the median of four simulated weeks, judged only when it is at least 9). Service level:
P(late > μ + 3 sqrt(μ)) for n contacts, each late with probability 0.1 (the cap on the usual
level), late contacts independent. The figures are model properties, not measurements of
traffic: real traffic is burstier and pages more.
"""

from __future__ import annotations

import math

import numpy as np

SIGMAS = 3.0
DROP = 0.5
EXPECTED_MIN = 9.0
LATE_SHARE = 0.1
DRAWS = 400_000


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


def main() -> None:
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


if __name__ == "__main__":
    main()
