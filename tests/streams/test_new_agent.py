"""`pillarwatch new-agent NAME` writes a pillar module and a test that pass as generated."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pillarwatch.new_agent import main

REPO = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".*_cache", ".hypothesis", "var")


def test_generated_agent_passes_its_tests_and_the_contract(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(REPO, root, ignore=SKIP, symlinks=True)
    assert main(["courtesy", "--root", str(root)]) == 0
    assert (root / "models/pillars/courtesy.py").is_file()
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/streams/test_courtesy_pillar.py",
            "tests/streams/test_agent_contract.py",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "courtesy" in done.stdout or "passed" in done.stdout
    # the registry found it: the contract test ran a case for it
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "tests/streams/test_agent_contract.py",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "test_pillar_keeps_the_contract[courtesy]" in listed.stdout


def test_refuses_bad_or_taken_names(tmp_path: Path) -> None:
    (tmp_path / "models/pillars").mkdir(parents=True)
    (tmp_path / "tests/streams").mkdir(parents=True)
    assert main(["Bad-Name", "--root", str(tmp_path)]) == 2
    assert main(["measures", "--root", str(tmp_path)]) == 2
    assert main(["courtesy", "--root", str(tmp_path)]) == 0
    assert main(["courtesy", "--root", str(tmp_path)]) == 2  # exists already
