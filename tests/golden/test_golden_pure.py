"""Golden scenarios through the pure functions: a formula bug shows here in a second.

The same files as tests/golden/test_golden_worker.py; the glue to the pure code is
tests/golden/pure_adapter.py. Live queue gauges exist only in a worker and are left out here.
"""

from __future__ import annotations

import orjson
import pytest

from tests.golden.pure_adapter import LIVE_ONLY, pure_samples
from tests.golden.scenarios import CLOCK_TICK, Scenario, compare, load_all

SCENARIOS = load_all()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_pure_functions_give_the_hand_computed_figures(scenario: Scenario) -> None:
    samples = pure_samples([*scenario.lines(), orjson.dumps(CLOCK_TICK)], scenario.config)
    names = {n for n in samples if n.startswith("pillarwatch_")} - LIVE_ONLY
    problems = compare(scenario, samples, only=frozenset(names | _expected_names(scenario)))
    assert not problems, f"{scenario.name}: {scenario.description}\n" + "\n".join(problems)


def _expected_names(scenario: Scenario) -> set[str]:
    wanted = {f.name for f in scenario.figures} | {h[0] for h in scenario.histograms}
    return wanted - LIVE_ONLY


def test_there_are_at_least_eight_scenarios() -> None:
    assert len(SCENARIOS) >= 8, [s.name for s in SCENARIOS]
