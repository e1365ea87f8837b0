"""`pillarwatch worker` started from any directory: absolute state directory, made with its
parents, named at start-up; and Faust's /table and /router pages are not served."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.scrape import fetch
from tests.support.worker import wait_for, worker_env

pytestmark = pytest.mark.integration


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_worker_runs_from_a_new_directory_and_serves_no_table_pages(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    home = tmp_path / "home"  # does not exist yet: the worker must create the whole path
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = worker_env(broker, tmp_path, "anywhere", HOME=str(home))
    del env["PILLARWATCH_DATA_DIR"]  # the default, as a new user has it
    env.pop("XDG_STATE_HOME", None)
    port = env["PILLARWATCH_WEB_PORT"]
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pillarwatch", "worker"],
            env=env,
            cwd=elsewhere,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        metrics = wait_for(lambda: _fetch(f"http://127.0.0.1:{port}/metrics"), 90)
        assert metrics, f"worker never served /metrics:\n{log.read_text()[-3000:]}"
        state = home / ".local" / "state" / "pillarwatch"
        assert f"pillarwatch worker: state in {state}" in log.read_text()
        assert state.is_dir()
        assert not (elsewhere / "var").exists()
        # Stored customer state over HTTP: journeys by customer id, contacts by contact id.
        for path in ("/table/", "/table/journeys/c-1/", "/table/contacts/x/", "/router/"):
            assert _status(f"http://127.0.0.1:{port}{path}") == 404, path
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)


def _fetch(url: str) -> str | None:
    try:
        return fetch(url)
    except OSError:
        return None


def test_unwritable_data_dir_is_a_named_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILLARWATCH_")}
    env["PILLARWATCH_DATA_DIR"] = str(blocker / "state")
    run = subprocess.run(
        [sys.executable, "-m", "pillarwatch", "worker"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "PILLARWATCH_DATA_DIR" in run.stderr and "Traceback" not in run.stderr
