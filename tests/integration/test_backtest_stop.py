"""A backtest stopped by SIGTERM takes its workers and brokers down with it.

Found on a quiet-machine week run under `timeout`: the default SIGTERM action ended the
backtest at once and left two workers and two embedded brokers running, busy, with no parent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pillarwatch.backtest.scenarios import incident_day, write_events
from tests.unit.known_metrics import RULES_DIR

pytestmark = pytest.mark.integration


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.timeout(300)
def test_sigterm_stops_the_replays_and_their_workers_and_brokers(tmp_path: Path) -> None:
    sim, midnight, _, _ = incident_day(seed=5, day="2026-11-04")
    events = tmp_path / "day.jsonl"
    write_events(sim, midnight + 8 * 3600, midnight + 12 * 3600, events)
    backtest = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pillarwatch",
            "backtest",
            str(events),
            "--rules",
            str(RULES_DIR),
            "--step",
            "15s",
            "--parallel",
            "2",
            "--out",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        # Two replays, each an embedded broker and a worker: wait until all four run.
        deadline = time.monotonic() + 180
        children: set[int] = set()
        while time.monotonic() < deadline and backtest.poll() is None:
            children = _children(backtest.pid)
            if len(children) >= 4:
                break
            time.sleep(0.5)
        assert len(children) >= 4, f"replays did not start: {children}"
        time.sleep(2)  # inside the replay loop, between steps
        backtest.send_signal(signal.SIGTERM)
        _, err = backtest.communicate(timeout=120)
    finally:
        if backtest.poll() is None:
            backtest.kill()
            backtest.wait()
    left = {pid for pid in children if _alive(pid)}
    for pid in left:  # so that a failure here leaves nothing running either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"left running after SIGTERM: {left}"
    assert backtest.returncode == 130, err.decode()
    assert b"stopped" in err
