"""Run a real worker process against the embedded broker and read its /metrics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pillarwatch.broker import EmbeddedBroker, free_port
from pillarwatch.scrape import Samples, fetch, parse
from pillarwatch.streams.settings import Settings

T = TypeVar("T")


@dataclass
class WorkerProcess:
    env: dict[str, str]
    log: Path
    #: What runs, as `python -m ...`: the worker command, or a module that wraps it
    #: (benchmarks.recovery_worker counts changelog records replayed).
    command: tuple[str, ...] = ("pillarwatch", "worker")
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    #: Extra Faust settings, passed as one JSON argument; the default command then runs as
    #: `python -m benchmarks.worker '<json>'` (`pillarwatch worker` with these settings).
    faust_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['PILLARWATCH_WEB_PORT']}/metrics"

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    def start(self) -> WorkerProcess:
        out = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        command = [sys.executable, "-m", *self.command]
        if self.faust_overrides:
            # bench_worker and recovery_worker both take the settings as one JSON argument.
            if self.command == ("pillarwatch", "worker"):
                command = [sys.executable, "-m", "benchmarks.worker"]
            command.append(json.dumps(self.faust_overrides))
        self.proc = subprocess.Popen(command, env=self.env, stdout=out, stderr=out)
        return self

    def samples(self) -> Samples | None:
        try:
            return parse(fetch(self.url))
        except OSError:
            return None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode


def worker_env(broker: EmbeddedBroker, tmp: Path, name: str, **extra: str) -> dict[str, str]:
    """Environment for a worker with its own topic and consumer group on a shared broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILLARWATCH_")}
    env.update(
        PILLARWATCH_BROKER=broker.url,
        PILLARWATCH_TOPIC=f"{name}-events",
        PILLARWATCH_SUMMARIES_TOPIC=f"{name}-summaries",
        PILLARWATCH_APP_ID=f"pw-{name}",
        PILLARWATCH_WEB_PORT=str(free_port()),
        PILLARWATCH_DATA_DIR=str(tmp / f"data-{name}"),
        PILLARWATCH_PARTITIONS="4",
        # PILLARWATCH_TEST_WORKER_LOG_LEVEL=info (with DEVLOG=1 for Faust's own dev lines)
        # when a fault test needs the workers' story: docs/reliability.md, "Debugging".
        PILLARWATCH_LOG_LEVEL=os.environ.get("PILLARWATCH_TEST_WORKER_LOG_LEVEL", "warning"),
    )
    env.update(extra)
    return env


def wait_for(probe: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T | None:
    """Poll until probe() returns something truthy; the last value otherwise (None on timeout)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    return value


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get(name, {}).get(tuple(sorted(labels.items())))


def total(samples: Samples, name: str) -> float:
    return sum(samples.get(name, {}).values())


@contextmanager
def running_worker(
    broker: EmbeddedBroker, tmp: Path, name: str, timeout: float = 120.0, **env: str
) -> Iterator[WorkerProcess]:
    """A worker (every discovered agent) on the embedded broker, serving /metrics; stopped after.

    with running_worker(broker, tmp_path, "empathy") as w:
        asyncio.run(produce(w.settings, records))
        wait_for(lambda: (s := w.samples()) and value(s, "pillarwatch_..."), 60)
    """
    worker = WorkerProcess(worker_env(broker, tmp, name, **env), tmp / f"{name}.log").start()
    try:
        if wait_for(worker.samples, timeout) is None:
            raise RuntimeError(f"worker {name} never served /metrics: {worker.log.read_text()}")
        yield worker
    finally:
        code = worker.stop()
        if code not in (0, None):
            raise RuntimeError(f"worker {name} exited {code}: {worker.log.read_text()[-3000:]}")
