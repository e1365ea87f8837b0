"""The golden runner itself: the arithmetic it accepts and the differences it reports."""

from __future__ import annotations

import math

import pytest

from tests.golden.scenarios import Labels, Scenario, compare, evaluate, load_scenario


def as_samples(scenario: Scenario) -> dict[str, dict[Labels, float]]:
    """What a worker exporting exactly the expected figures would show."""
    samples: dict[str, dict[Labels, float]] = {}
    for fig in scenario.figures:
        samples.setdefault(fig.name, {})[fig.labels] = fig.value
    for name, labels, steps in scenario.histograms:
        for le, fig in steps.items():
            text = "+Inf" if math.isinf(le) else repr(le)
            samples.setdefault(name, {})[tuple(sorted((*labels, ("le", text))))] = fig.value
    return samples


def test_arithmetic_is_numbers_operators_and_three_functions() -> None:
    assert evaluate("6 / (11 - 1)", "t") == 0.6
    assert evaluate("100 * min(1, 0.9 / 0.8)", "t") == 100.0
    assert evaluate("1 - 128 / 231 * exp(-1 / 6)", "t") == 1 - 128 / 231 * math.exp(-1 / 6)
    for bad in ("__import__('os')", "x + 1", "2 ** 10", "'1'"):
        with pytest.raises(ValueError, match=r"only numbers|not arithmetic"):
            evaluate(bad, "t")


def test_exactly_the_expected_figures_compare_equal() -> None:
    scenario = load_scenario("core_edges")
    assert compare(scenario, as_samples(scenario)) == []


def test_a_missing_a_different_and_an_unexpected_figure_are_each_reported() -> None:
    scenario = load_scenario("core_edges")
    samples = as_samples(scenario)
    sl = next(f for f in scenario.figures if f.name == "pillarwatch_service_level_ratio")
    samples[sl.name][sl.labels] = 0.4
    del samples["pillarwatch_transfer_ratio"]
    samples["pillarwatch_reopened_ratio"] = {(("queue", "g-edges"), ("window", "1h")): 0.0}
    samples["pillarwatch_reopened_ratio"][(("queue", "elsewhere"), ("window", "1h"))] = 1.0
    problems = compare(scenario, samples)
    assert len(problems) == 4, problems  # SL differs twice (5m, 1h), one missing, one extra
    assert any("expected 6 / (11 - 1) = 0.6, got 0.4" in p for p in problems)
    assert any("transfer_ratio" in p and "got absent" in p for p in problems)
    assert any("reopened_ratio" in p and "not expected" in p for p in problems)


def test_counts_are_exact_and_ratios_within_a_relative_1e_9() -> None:
    scenario = load_scenario("core_edges")
    samples = as_samples(scenario)
    sl = next(f for f in scenario.figures if f.name == "pillarwatch_service_level_ratio")
    samples[sl.name][sl.labels] = 0.6 * (1 + 1e-12)
    assert compare(scenario, samples) == []
    total = next(f for f in scenario.figures if f.name == "pillarwatch_contacts_total")
    samples[total.name][total.labels] = total.value + 1e-12
    assert len(compare(scenario, samples)) == 1
