"""The contributed pillars appear at /metrics of a real worker on the embedded broker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.models.events import parse_ts
from pillarwatch.models.pillars import signal_pillars as pillars
from pillarwatch.models.simulation import Simulation
from pillarwatch.produce import jsonl_records, produce
from tests.support.worker import running_worker, wait_for

pytestmark = pytest.mark.integration

START = parse_ts("2026-03-02T10:00:00Z")


def test_every_contributed_pillar_is_scored_at_metrics(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    events = Simulation(seed=5).events(START, START + 1.5 * 3600)
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    with running_worker(broker, tmp_path, "pillars", PILLARWATCH_PARTITIONS="4") as worker:
        asyncio.run(produce(worker.settings, jsonl_records(path)))

        def scored() -> set[str] | None:
            samples = worker.samples() or {}
            found = {
                dict(labels)["pillar"]
                for labels, v in samples.get("pillarwatch_pillar_score", {}).items()
                if dict(labels)["window"] == "1h"
            }
            return found if found >= set(pillars()) else None

        found = wait_for(scored, timeout=180)
        assert found is not None and found >= set(pillars()), found
