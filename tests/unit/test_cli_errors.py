"""The `pillarwatch` command line: named errors instead of tracebacks, and --version."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILLARWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "pillarwatch", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--start", "junk"), "--start 'junk'"),
        (("--start", "2026-01-05T09:00:00"), "no offset"),
        (("--minutes", "nan"), "--minutes nan"),
        (("--minutes", "-5"), "--minutes -5.0"),
    ],
)
def test_simulate_bad_option_is_a_named_error(
    tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    # Before: `--start junk` ended in a traceback from the timestamp parser.
    run = _run("simulate", *args, "--out", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert run.returncode == 2
    assert named in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_simulate_to_a_file_with_a_good_start(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    run = _run(
        "simulate",
        "--start",
        "2026-01-05T09:00:00Z",
        "--minutes",
        "1",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert out.read_text().count("\n") > 0


def test_version(tmp_path: Path) -> None:
    run = _run("--version", cwd=tmp_path)
    assert run.returncode == 0
    assert run.stdout.strip() == f"pillarwatch {version('pillarwatch')}"
