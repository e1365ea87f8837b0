"""Real Prometheus and Alertmanager processes on 127.0.0.1 for the tests (Debian binaries).

Prometheus loads alerts/rules/*.yml and scrapes the given targets under job "pillarwatch"
every second; Alertmanager runs the rendered alerts/alertmanager.yml without clustering.
The lead's end-to-end test can use these with a live worker as the scrape target.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pillarwatch.alertmanager_config import render
from pillarwatch.dashboards.render import render_all
from pillarwatch.dashboards.targets import WallboardTargets

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "alerts" / "rules").glob("*.yml"))
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(probe: Callable[[], T | None], timeout: float, interval: float = 0.25) -> T | None:
    """Poll until `probe` returns something other than None (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def http_json(url: str, data: Any = None) -> Any:
    body = None if data is None else json.dumps(data).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read() or b"null")


def _ready(url: str) -> bool | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return True if resp.status == 200 else None
    except (urllib.error.URLError, ConnectionError):
        return None


@contextmanager
def _process(cmd: list[str], ready_url: str, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            if wait_for(lambda: _ready(ready_url), timeout=30) is None:
                raise RuntimeError(f"{cmd[0]} did not become ready: {log.read_text()[-2000:]}")
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def prometheus(tmp: Path, targets: list[str], alertmanager: str | None = None) -> Iterator[str]:
    """A Prometheus with pillarwatch's rules scraping `targets`; yields its base URL."""
    binary = shutil.which("prometheus")
    assert binary is not None
    port = free_port()
    config: dict[str, Any] = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in RULES],
        "scrape_configs": [{"job_name": "pillarwatch", "static_configs": [{"targets": targets}]}],
    }
    if alertmanager:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    cfg = tmp / "prometheus.yml"
    cfg.write_text(json.dumps(config))  # JSON is YAML
    cmd = [
        binary,
        f"--config.file={cfg}",
        f"--storage.tsdb.path={tmp / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    with _process(cmd, f"{url}/-/ready", tmp / "prometheus.log"):
        yield url


def query(base: str, expr: str) -> dict[str, Any]:
    """The `data` of an instant query; raises on a PromQL error."""
    q = urllib.parse.urlencode({"query": expr})
    try:
        answer = http_json(f"{base}/api/v1/query?{q}")
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{expr!r}: {exc.read().decode()}") from exc
    assert answer["status"] == "success", answer
    data: dict[str, Any] = answer["data"]
    return data


@contextmanager
def alertmanager(tmp: Path, config_text: str) -> Iterator[str]:
    """An Alertmanager (no cluster) with the given rendered config; yields its base URL."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary is not None
    port = free_port()
    cfg = tmp / "alertmanager.yml"
    cfg.write_text(config_text)
    cmd = [
        binary,
        f"--config.file={cfg}",
        f"--storage.path={tmp / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    url = f"http://127.0.0.1:{port}"
    with _process(cmd, f"{url}/-/ready", tmp / "alertmanager.log"):
        yield url


def alertmanager_config(page_url: str, ticket_url: str, wait: str = "1s") -> str:
    """alerts/alertmanager.yml rendered for the given webhooks, with group_wait and
    group_interval shortened to `wait` so a test sees firing and resolved notifications in
    seconds instead of minutes. Routing, grouping, inhibition and receivers are unchanged."""
    text = render(
        (ROOT / "alerts" / "alertmanager.yml").read_text(encoding="utf-8"),
        {"PILLARWATCH_ALERT_PAGE_URL": page_url, "PILLARWATCH_ALERT_TICKET_URL": ticket_url},
    )
    config = yaml.safe_load(text)
    for route in [config["route"], *config["route"].get("routes", [])]:
        route.update(group_wait=wait, group_interval=wait)
    return yaml.safe_dump(config)


def dashboard_queries(queue: str, channel: str) -> list[tuple[str, str]]:
    """Every panel and variable query of the generated dashboards, with Grafana's variables
    filled in as Grafana would for `queue` and `channel`: (where, PromQL)."""
    queries = []
    for uid, text in render_all(WallboardTargets()).items():
        board = json.loads(text)
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                queries.append((f"{uid}: {panel['title']} {target['refId']}", target["expr"]))
        for variable in board["templating"].get("list", []):
            selector = re.fullmatch(r"label_values\((.*),\s*\w+\)", variable["definition"])
            assert selector is not None
            queries.append((f"{uid}: variable {variable['name']}", selector.group(1)))
    return [
        (
            where,
            expr.replace("$__rate_interval", "1m")
            .replace("$queue", queue)
            .replace("$channel", channel),
        )
        for where, expr in queries
    ]
