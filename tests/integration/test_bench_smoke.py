"""The benchmark command runs end to end on a tiny stream and reports every figure.

No timing is asserted: figures must exist and be positive; their size is the bench's job.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.pipeline import GOALS, main

pytestmark = pytest.mark.integration

FIGURES = {
    "bare_consumer_events_per_s",
    "bare_faust_events_per_s",
    "pipeline_events_per_s",
    "ratio_pipeline_to_consumer",
    "ratio_pipeline_to_faust",
    "worker_peak_rss_mb",
    "worker_cpu_ms_per_event",
    "changelog_messages_per_event",
    "first_hop_changelog_messages_per_event",
    "messages_produced_per_event",
    "idle_scrape_ms",
    "latency_rate_events_per_s",
    "latency_p50_s",
    "latency_p99_s",
    "latency_first_hop_p50_s",
    "latency_first_hop_p99_s",
    "latency_probes",
    "latency_read_ms",
    "latency_read_pause_ms",
    "idle_rss_mb",
    "rss_mb_per_10k_open_contacts",
    "rss_kb_per_active_queue",
    "peak_rss_mb_open_contacts",
    "bare_faust_scaling_one_worker_events_per_s",
    "bare_faust_two_workers_events_per_s",
    "bare_faust_two_worker_speedup",
    "pipeline_rocksdb_events_per_s",
    "two_workers_rocksdb_events_per_s",
    "two_worker_speedup",
    "two_worker_speedup_vs_faust",
    "two_worker_speedup_vs_faust_median_round",
    "two_worker_speedup_vs_faust_lowest_round",
    "two_worker_speedup_vs_faust_highest_round",
}


def test_bench_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = main(
        [
            "--events", "2000", "--repeat", "1", "--partitions", "4",
            "--open-contacts", "2000", "--queues", "500", "--latency-seconds", "3",
            "--out", str(out), "--workdir", str(tmp_path / "work"), "--timeout", "180",
        ]
    )  # fmt: skip
    assert code == 0
    result = json.loads(out.read_text())
    figures = result["figures"]
    assert set(figures) == FIGURES
    bad = {k: v for k, v in figures.items() if not (math.isfinite(v) and v > 0)}
    assert not bad, f"figures not positive: {bad}"
    assert figures["latency_p50_s"] <= figures["latency_p99_s"]
    # At least 50 probes, each timed to its window gauge, which comes after the first hop.
    assert figures["latency_probes"] >= 50
    assert figures["latency_first_hop_p50_s"] <= figures["latency_p50_s"]
    # Every input event makes at least its first hop's changelog write and its summary's share.
    assert figures["messages_produced_per_event"] >= figures["changelog_messages_per_event"]
    assert result["detail"]["messages_per_event_by_topic"], "the per-topic breakdown"
    # One interleaved scaling round per repeat, its four throughputs kept.
    (round_,) = result["detail"]["two_worker_rounds"]
    assert round_["pipeline_two"] == figures["two_workers_rocksdb_events_per_s"]
    assert set(result["goals"]) == set(GOALS)
    assert all(isinstance(g["met"], bool) for g in result["goals"].values())
    assert result["params"]["events"] == 2000
    assert result["machine"]["cpus"] >= 1
