"""Golden scenarios through real workers on the embedded broker: /metrics equals the hand figures.

Public interfaces only: environment settings, the worker process, the input topic and /metrics.
One worker per config file (scenarios sharing a config share a worker: their queue names are
distinct and their windows end at the same minute, scenarios.END), all on the session broker.
The comparison is two-way: every expected figure present and equal, and no other pillarwatch_*
series for a scenario's queues.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import orjson
import pytest

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.produce import jsonl_records, produce
from pillarwatch.scrape import Samples
from tests.golden.scenarios import CLOCK_TICK, Scenario, compare, load_all
from tests.support.worker import WorkerProcess, running_worker, wait_for

pytestmark = pytest.mark.integration

SCENARIOS = load_all()
CONVERGE_SECONDS = 120.0


def _by_config(scenarios: list[Scenario]) -> dict[Path | None, list[Scenario]]:
    groups: dict[Path | None, list[Scenario]] = {}
    for scenario in scenarios:
        groups.setdefault(scenario.config, []).append(scenario)
    return groups


@pytest.fixture(scope="module")
def final_samples(
    broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Samples | None]]:
    """Scenario name -> the /metrics of its worker once every scenario matched (or time ran out)."""
    tmp = tmp_path_factory.mktemp("golden")
    groups = _by_config(SCENARIOS)
    with ExitStack() as stack:
        workers: dict[Path | None, WorkerProcess] = {}
        for n, config in enumerate(groups):
            name = f"golden-{n}"
            # Without a config file the worker has no PILLARWATCH_CONFIG at all (worker_env
            # drops the caller's): the built-in defaults.
            worker = (
                running_worker(broker, tmp, name, PILLARWATCH_PARTITIONS="4")
                if config is None
                else running_worker(
                    broker, tmp, name, PILLARWATCH_PARTITIONS="4", PILLARWATCH_CONFIG=str(config)
                )
            )
            workers[config] = stack.enter_context(worker)
        for config, scenarios in groups.items():
            path = tmp / f"events-{scenarios[0].name}.jsonl"  # one file per worker
            lines = [line for s in scenarios for line in s.lines()]
            path.write_bytes(b"\n".join([*lines, orjson.dumps(CLOCK_TICK)]) + b"\n")
            asyncio.run(produce(workers[config].settings, jsonl_records(path)))

        latest: dict[str, Samples | None] = {}

        def converged() -> bool:
            done = True
            for config, scenarios in groups.items():
                samples = workers[config].samples()
                for s in scenarios:
                    latest[s.name] = samples
                    done = done and not compare(s, samples)
            return done

        wait_for(converged, CONVERGE_SECONDS, interval=1.0)
        yield latest


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_worker_metrics_equal_the_hand_computed_figures(
    scenario: Scenario, final_samples: dict[str, Samples | None]
) -> None:
    problems = compare(scenario, final_samples.get(scenario.name))
    assert not problems, f"{scenario.name}: {scenario.description}\n" + "\n".join(problems)
