"""Scaled worker replicas each claim their own state directory, and free it when they exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pillarwatch.state_slot import claim_slot


def test_replicas_get_distinct_slots_and_reuse_a_freed_one(tmp_path: Path) -> None:
    first, fd1 = claim_slot(tmp_path)
    second, fd2 = claim_slot(tmp_path)
    assert (first.name, second.name) == ("slot-0", "slot-1")
    os.close(fd1)  # replica 0 stops: its lock goes with it
    again, fd3 = claim_slot(tmp_path)
    assert again == first
    os.close(fd2)
    os.close(fd3)


def test_all_slots_taken_is_an_error(tmp_path: Path) -> None:
    _, fd = claim_slot(tmp_path, max_slots=1)
    with pytest.raises(RuntimeError, match="all 1 state slots"):
        claim_slot(tmp_path, max_slots=1)
    os.close(fd)


def test_the_lock_is_held_by_the_execd_command(tmp_path: Path) -> None:
    # The child claims slot-0 and then execs a process that prints its data dir and waits;
    # while it runs, slot-0 is taken; once it exits, slot-0 is free again.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    waiter = (
        "import os,sys; print(os.environ['PILLARWATCH_DATA_DIR'], flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pillarwatch.state_slot",
            str(tmp_path),
            "--",
            sys.executable,
            "-c",
            waiter,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == str(tmp_path / "slot-0")
    taken, fd = claim_slot(tmp_path)
    assert taken.name == "slot-1"
    os.close(fd)
    child.stdin.close()
    assert child.wait(timeout=30) == 0
    freed, fd = claim_slot(tmp_path)
    assert freed.name == "slot-0"
    os.close(fd)


def test_usage_error_without_a_command(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pillarwatch.state_slot", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert run.returncode == 2 and "usage" in run.stderr
