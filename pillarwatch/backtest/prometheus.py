"""Blocks from the OpenMetrics file, a real Prometheus on them, and the recording rules
backfilled by Prometheus's own evaluation (range queries at the recording's step, written
back as blocks with `promtool tsdb create-blocks-from openmetrics`).

Prometheus evaluates every rule of a backfill against the server as it is, so a rule that reads
another recording rule sees nothing until that rule's blocks are loaded. The rules are
therefore backfilled in layers (a rule's layer is one more than the deepest recorded series it
reads) and Prometheus is restarted on the new blocks after each layer.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pillarwatch.broker import free_port
from pillarwatch.dashboards.promql import metric_names

__all__ = [
    "MAX_POINTS",
    "PrometheusError",
    "PrometheusServer",
    "backfill_rules",
    "create_blocks",
    "load_rules",
    "range_query",
    "rule_layers",
]

# Prometheus refuses range queries of more than 11,000 points per series.
MAX_POINTS = 10_000


class PrometheusError(RuntimeError):
    """promtool or Prometheus failed; the message carries its output."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PrometheusError(f"{name} not found: install Prometheus (`make system-deps`)")
    return path


def _run(*cmd: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PrometheusError(f"{' '.join(cmd[:4])} ... failed: {done.stderr or done.stdout}")
    return done.stdout


# promtool reads the whole input file once per block it writes (2 h blocks by default): four
# weeks were 336 passes over the file, minutes of promtool. Blocks of up to 31 days make it a
# pass or two; the backtest's Prometheus keeps every block (retention 100y), so their size
# does not matter to it.
MAX_BLOCK = "744h"


def create_blocks(openmetrics: Path, tsdb: Path) -> None:
    tsdb.mkdir(parents=True, exist_ok=True)
    _run(
        _tool("promtool"),
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        f"--max-block-duration={MAX_BLOCK}",
        str(openmetrics),
        str(tsdb),
    )


def load_rules(rules_dir: Path) -> list[dict[str, Any]]:
    """Every rule of every `*.yml` in `rules_dir` (recording and alerting), in file order."""
    files = sorted(rules_dir.glob("*.yml"))
    if not files:
        raise PrometheusError(f"--rules {rules_dir}: no *.yml rule files there")
    rules: list[dict[str, Any]] = []
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in doc.get("groups", []):
            rules.extend(group.get("rules", []))
    return rules


def rule_layers(rules: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Recording rules grouped so that each layer reads only raw series and earlier layers."""
    records = [r for r in rules if "record" in r]
    names = {r["record"] for r in records}
    depth: dict[str, int] = {}
    for _ in range(len(records) + 1):
        changed = False
        for rule in records:
            reads = metric_names(rule["expr"]) & names
            level = 1 + max((depth.get(n, 0) for n in reads), default=-1)
            if depth.get(rule["record"], -1) < level:
                depth[rule["record"]] = level
                changed = True
        if not changed:
            break
    else:
        raise PrometheusError("recording rules read each other in a cycle")
    layers: list[list[dict[str, Any]]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for rule in records:
        layers[depth[rule["record"]]].append(rule)
    return layers


@dataclass
class PrometheusServer:
    """A Prometheus on 127.0.0.1 serving a TSDB directory; no scrape targets, no rules."""

    tsdb: Path
    lookback: float
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PrometheusServer:
        self.port = free_port()
        config = self.tsdb.parent / "prometheus.yml"
        config.write_text("global: {}\n", encoding="utf-8")
        log = open(self.tsdb.parent / "prometheus.log", "ab")  # noqa: SIM115 - closed with it
        self._proc = subprocess.Popen(
            [
                _tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.tsdb}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                # The recorded period may be months old: keep every block.
                "--storage.tsdb.retention.time=100y",
                # Recorded series have a sample every step and no staleness markers: a series
                # that stopped (a queue went quiet) should vanish after a step, as it would
                # with live scrapes, not linger for the default 5 minutes.
                f"--query.lookback-delta={max(1, round(self.lookback))}s",
            ],
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PrometheusError(f"prometheus exited: see {self.tsdb.parent}/prometheus.log")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise PrometheusError("prometheus did not become ready in 60 s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@contextmanager
def serving(tsdb: Path, lookback: float) -> Iterator[PrometheusServer]:
    server = PrometheusServer(tsdb, lookback).start()
    try:
        yield server
    finally:
        server.stop()


def backfill_rules(
    server: PrometheusServer, rules: list[dict[str, Any]], start: float, end: float, step: float
) -> set[str]:
    """Evaluate the recording rules at every step of [start, end] into the server's TSDB,
    layer by layer (the server is restarted on the new blocks after each). Returns the
    record names that more than one rule writes with the same labels.

    Each rule is a range query at the recording's own grid, which Prometheus answers by
    evaluating the expression at each step exactly as its rule manager would at that time.
    `promtool tsdb create-blocks-from rules` is not used: it evaluates a group at
    `start + hash(group name, rule file path) mod interval` (Prometheus's spreading of group
    evaluations), so the recorded rules landed a random fraction of a step after the raw
    samples, and a rule reading another rule saw it one step late or not, run by run.
    """
    conflicts: set[str] = set()
    for number, layer in enumerate(rule_layers(rules)):
        with tempfile.TemporaryDirectory(prefix="pillarwatch-rules-") as tmp:
            text = Path(tmp) / f"layer{number}.om"
            conflicts |= _write_rule_samples(server, layer, start, end, step, text)
            out = Path(tmp) / "blocks"
            create_blocks(text, out)
            server.stop()
            for block in out.iterdir():
                shutil.move(str(block), server.tsdb / f"{block.name}")
            server.start()
    return conflicts


def _write_rule_samples(
    server: PrometheusServer,
    layer: list[dict[str, Any]],
    start: float,
    end: float,
    step: float,
    out: Path,
) -> set[str]:
    """The layer's recorded series as OpenMetrics: one family per record name (several rules
    may record the same name with different labels), samples stamped at the grid.

    Two rules that record the same series (same name and labels) would each write it in a
    live Prometheus, and the TSDB keeps whichever sample arrives first: here the first rule
    in file order wins, and the conflicting record names are returned for the report."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rule in layer:
        by_name.setdefault(rule["record"], []).append(rule)
    conflicts: set[str] = set()
    with open(out, "w", encoding="utf-8") as fh:
        for name, same in by_name.items():
            fh.write(f"# TYPE {name} gauge\n")
            samples: dict[str, dict[float, float]] = {}
            for rule in same:
                own = {k: str(v) for k, v in rule.get("labels", {}).items()}
                for series in range_query(server, rule["expr"], start, end, step):
                    labels = {k: v for k, v in series["metric"].items() if k != "__name__"}
                    labels.update(own)
                    values = samples.setdefault(name + _label_text(labels), {})
                    for ts, v in series["values"]:
                        if ts in values:
                            conflicts.add(name)
                        else:
                            values[ts] = v
            for head, values in samples.items():
                fh.writelines(f"{head} {_number(values[ts])} {ts:.3f}\n" for ts in sorted(values))
        fh.write("# EOF\n")
    return conflicts


def _label_text(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return "{" + body + "}"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def range_query(
    server: PrometheusServer, expr: str, start: float, end: float, step: float
) -> list[dict[str, Any]]:
    """A range query in chunks of at most MAX_POINTS steps; each series' values joined."""
    merged: dict[str, dict[str, Any]] = {}
    chunk = MAX_POINTS * step
    t = start
    while t <= end:
        stop = min(end, t + chunk - step)
        query = urllib.parse.urlencode(
            {"query": expr, "start": f"{t:.3f}", "end": f"{stop:.3f}", "step": f"{step:g}"}
        )
        try:
            with urllib.request.urlopen(
                f"{server.url}/api/v1/query_range?{query}", timeout=300
            ) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as exc:
            raise PrometheusError(f"query failed: {expr}: {exc.read().decode()}") from exc
        for series in body["data"]["result"]:
            key = json.dumps(series["metric"], sort_keys=True)
            entry = merged.setdefault(key, {"metric": series["metric"], "values": []})
            entry["values"].extend((float(ts), float(v)) for ts, v in series["values"])
        t = stop + step
    return list(merged.values())
