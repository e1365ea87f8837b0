"""Processes the benchmark runs and watches: workers, the bare Faust agent, their memory."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pillarwatch.broker import EmbeddedBroker, free_port
from pillarwatch.scrape import Samples, fetch, parse
from pillarwatch.streams.settings import Settings

__all__ = [
    "Proc",
    "bench_settings",
    "cpu_seconds",
    "load",
    "measure_and_write",
    "metric_total",
    "overrides_arg",
    "rss_bytes",
    "settings_env",
    "with_port",
]


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a subprocess read exactly `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILLARWATCH_")}
    env.update(
        PILLARWATCH_BROKER=settings.broker,
        PILLARWATCH_TOPIC=settings.topic,
        PILLARWATCH_APP_ID=settings.app_id,
        PILLARWATCH_WEB_HOST=settings.web_host,
        PILLARWATCH_WEB_PORT=str(settings.web_port),
        PILLARWATCH_DATA_DIR=str(settings.data_dir),
        PILLARWATCH_PARTITIONS=str(settings.partitions),
        PILLARWATCH_STORE=settings.store,
        PILLARWATCH_LOG_LEVEL=settings.log_level,
    )
    return env


def rss_bytes(pid: int, peak: bool = False) -> int:
    """Resident set size now (VmRSS) or its peak (VmHWM), from /proc; 0 when gone."""
    key = "VmHWM:" if peak else "VmRSS:"
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric_total(samples: Samples | None, name: str, **labels: str) -> float:
    """Sum of a sample over every series whose labels include `labels`."""
    if not samples:
        return 0.0
    want = set(labels.items())
    return sum(v for key, v in samples.get(name, {}).items() if want <= set(key))


@dataclass
class Proc:
    """A worker-like subprocess (`python -m MODULE ARGS`) with its own log file."""

    module: str
    settings: Settings
    log: Path
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}/metrics"

    def start(self) -> Proc:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module, *self.args],
                env=settings_env(self.settings),
                stdout=out,
                stderr=out,
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def samples(self, names: Collection[str] | None = None) -> Samples | None:
        """The worker's /metrics now (only the samples in `names`, when given), None when
        it does not answer."""
        try:
            return parse(fetch(self.url, timeout=5.0, names=names), names)
        except OSError:
            return None

    def scrape_seconds(self, times: int = 10) -> float:
        """Median time to fetch /metrics (not parse it), over `times` fetches in a row."""
        took: list[float] = []
        for _ in range(times):
            started = time.perf_counter()
            fetch(self.url, timeout=5.0)
            took.append(time.perf_counter() - started)
        return sorted(took)[len(took) // 2]

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def bench_settings(
    broker: EmbeddedBroker, workdir: Path, name: str, partitions: int, store: str = "memory://"
) -> Settings:
    """Settings of one benchmark run: its own group, state dir and web port on `broker`."""
    return Settings(
        broker=broker.url,
        store=store,
        topic="bench-events",
        app_id=f"bench-{name}",
        web_port=free_port(),
        data_dir=workdir / f"data-{name}",
        partitions=partitions,
        log_level="warning",
    )


def with_port(settings: Settings, worker: int = 1) -> Settings:
    """The same settings with another free web port and data dir (worker `worker` on this
    host): two RocksDB stores cannot share one directory (each database takes a lock)."""
    values = {k: getattr(settings, k) for k in settings.__dataclass_fields__}
    values["web_port"] = free_port()
    values["data_dir"] = settings.data_dir.with_name(f"{settings.data_dir.name}-w{worker}")
    return Settings(**values)


def overrides_arg(overrides: dict[str, object]) -> list[str]:
    return [json.dumps(overrides)] if overrides else []


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages, printed next to every figure."""
    return [round(x, 2) for x in os.getloadavg()]


def measure_and_write(
    measure: Callable[[], dict[str, Any]], table: Callable[[dict[str, Any]], str], out: Path
) -> int:
    """Run a benchmark, add the machine and the load around it, write the JSON, print the
    table (the `main` of every `pillarwatch bench*` command)."""
    started = time.monotonic()
    load_before = load()
    result = measure()
    result["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_before": load_before,
        "load_after": load(),
        "seconds": time.monotonic() - started,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"written: {out}")
    return 0
