"""Recording rules backfilled by a real Prometheus land on the recording's own grid: a rule
that reads another rule sees it at the same step, whatever the rule files are called; two
rules recording the same series keep the first and are reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pillarwatch.backtest.openmetrics import OpenMetricsWriter, write_openmetrics
from pillarwatch.backtest.prometheus import (
    backfill_rules,
    create_blocks,
    range_query,
    serving,
)

START, STEP, STEPS = 1_800_000_000.0, 60.0, 30

RULES = [
    {"record": "x:doubled", "expr": "pillarwatch_x * 2"},
    # Reads the rule above: with promtool's backfill it was evaluated at another offset
    # within the step than `x:doubled`, so it read the previous step's value of it.
    {"record": "x:tripled", "expr": "x:doubled + pillarwatch_x", "labels": {"kind": "sum"}},
    # The same series again (as staffing.rules.yml and aggregates.yml both record the goal):
    # the first rule in file order is kept and the conflict reported.
    {"record": "x:doubled", "expr": "pillarwatch_x * 5"},
]


def test_rules_read_each_other_at_the_same_step(tmp_path: Path) -> None:
    if shutil.which("promtool") is None or shutil.which("prometheus") is None:
        pytest.skip("prometheus/promtool not installed (make system-deps)")
    writer = OpenMetricsWriter(tmp_path / "spool")
    for i in range(STEPS):  # a value that changes every step: a step's lag shows
        writer.add(f'pillarwatch_x{{queue="q"}} {i * i}\n', START + i * STEP)
    writer.close()
    write_openmetrics([writer], tmp_path / "m.om")
    create_blocks(tmp_path / "m.om", tmp_path / "data")
    end = START + (STEPS - 1) * STEP
    with serving(tmp_path / "data", lookback=2 * STEP) as server:
        conflicts = backfill_rules(server, RULES, START, end, STEP)
        [series] = range_query(server, "x:tripled", START, end, STEP)
    assert series["metric"] == {"__name__": "x:tripled", "queue": "q", "kind": "sum"}
    assert series["values"] == [(START + i * STEP, 3.0 * i * i) for i in range(STEPS)]
    assert conflicts == {"x:doubled"}
