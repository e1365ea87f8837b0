"""The two-worker figures from interleaved rounds (benchmarks/scaling.py), computed by hand."""

from __future__ import annotations

import pytest

from benchmarks.scaling import Round, figures


def test_speedups_are_medians_of_two_workers_over_medians_of_one() -> None:
    rounds = [
        # faust 1 / 2 workers, pipeline 1 / 2 workers
        Round(4000.0, 6000.0, 800.0, 1000.0),
        Round(5000.0, 9000.0, 700.0, 1400.0),
        Round(4500.0, 8000.0, 900.0, 1100.0),
    ]
    got = figures(rounds)
    # Medians: faust 4500 / 8000, pipeline 800 / 1100.
    assert got["bare_faust_scaling_one_worker_events_per_s"] == 4500.0
    assert got["bare_faust_two_workers_events_per_s"] == 8000.0
    assert got["bare_faust_two_worker_speedup"] == pytest.approx(8000 / 4500)  # 1.7778
    assert got["pipeline_rocksdb_events_per_s"] == 800.0
    assert got["two_workers_rocksdb_events_per_s"] == 1100.0
    assert got["two_worker_speedup"] == pytest.approx(1.375)
    # 1.375 / 1.7778 = 0.7734
    assert got["two_worker_speedup_vs_faust"] == pytest.approx(0.7734375)
    # Per round: (1000/800)/(6000/4000) = 0.8333; (1400/700)/(9000/5000) = 1.1111;
    # (1100/900)/(8000/4500) = 0.6875.
    assert got["two_worker_speedup_vs_faust_median_round"] == pytest.approx(5 / 6)
    assert got["two_worker_speedup_vs_faust_lowest_round"] == pytest.approx(0.6875)
    assert got["two_worker_speedup_vs_faust_highest_round"] == pytest.approx(10 / 9)


def test_no_rounds_is_an_error() -> None:
    with pytest.raises(ValueError, match="no scaling rounds"):
        figures([])
