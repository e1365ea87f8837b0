"""Dashboards and alerting against real Prometheus and Alertmanager processes.

Prometheus scrapes a /metrics that carries every catalogue metric and Faust's sensor metrics
(synthetic values, one queue): every dashboard query must parse in the real PromQL engine and
return data, through the recording rules. Alertmanager runs the rendered config: pipeline
alerts must mute business alerts, and pages and tickets reach their own webhooks.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from pillarwatch.models.catalogue import CATALOGUE
from tests.integration.monitoring_stack import (
    alertmanager,
    alertmanager_config,
    dashboard_queries,
    http_json,
    prometheus,
    query,
    wait_for,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("prometheus") is None
        or (shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")) is None,
        reason="Debian packages prometheus and prometheus-alertmanager are not installed",
    ),
]

LABEL_VALUES = {
    "queue": "sales",
    "channel": "voice",
    "type": "contact.queued",
    "reason": "invalid_json",
    "outcome": "answered",
    "component": "service_level",
    "state": "available",
}
PILLARS = ("time_effort", "resolution", "integrity", "expectations", "personalisation", "empathy")


def _label_sets(labels: tuple[str, ...]) -> list[dict[str, str]]:
    sets = [{k: LABEL_VALUES[k] for k in labels if k not in ("window", "pillar")}]
    if "window" in labels:
        sets = [{**s, "window": w} for s in sets for w in ("5m", "1h")]
    if "pillar" in labels:
        sets = [{**s, "pillar": p} for s in sets for p in PILLARS]
    return sets


# A healthy queue: 85 % answered in time, 3 % abandoned, scores 75, 30 contacts, 30 s wait.
_HEALTHY = {m.name: 0.85 for m in CATALOGUE if m.name.endswith("_ratio")} | {
    "pillarwatch_abandon_ratio": 0.03,
    "pillarwatch_pillar_score": 75.0,
    "pillarwatch_pillar_component_score": 75.0,
}


def _synthetic_registry() -> CollectorRegistry:
    """Every catalogue metric with plausible values, plus Faust's sensor under `faust_`."""
    registry = CollectorRegistry()
    for spec in CATALOGUE:
        metric: Any
        if spec.kind == "counter":
            metric = Counter(spec.name.removesuffix("_total"), spec.help, spec.labels)
        elif spec.kind == "histogram":
            metric = Histogram(spec.name, spec.help, spec.labels)
        else:
            metric = Gauge(spec.name, spec.help, spec.labels)
        registry.register(metric)
        for labels in _label_sets(spec.labels):
            child = metric.labels(**labels) if labels else metric
            if spec.kind == "counter":
                child.inc(10)
            elif spec.kind == "histogram":
                child.observe(12.0)
            else:
                child.set(_HEALTHY.get(spec.name, 30.0))
    faust = FaustMetrics.create(registry, "faust")
    faust.topic_partition_end_offset.labels(topic="contact-events", partition=0).set(120)
    faust.topic_partition_offset_commited.labels(topic="contact-events", partition=0).set(100)
    faust.messages_received_per_topics.labels(topic="contact-events").inc(100)
    return registry


@pytest.fixture(scope="module")
def scraped_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, thread = start_http_server(0, addr="127.0.0.1", registry=_synthetic_registry())
    port = server.server_address[1]
    try:
        with prometheus(tmp_path_factory.mktemp("prom"), [f"127.0.0.1:{port}"]) as url:
            yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_every_dashboard_query_returns_data(scraped_prometheus: str) -> None:
    empty = []
    for where, expr in dashboard_queries("sales", "voice"):

        def data(expr: str = expr) -> list[Any] | None:
            result: list[Any] = query(scraped_prometheus, expr)["result"]
            return result or None

        # Rates need two scrapes and recording rules one evaluation: wait for the first data.
        if not wait_for(data, 30):
            empty.append((where, expr))
    assert empty == []


def test_no_business_alert_on_a_healthy_queue(scraped_prometheus: str) -> None:
    # The synthetic counters do not move (so PillarwatchNoEvents would go pending): only the
    # business alerts are held to silence here.
    probe = 'queue_channel_window:pillarwatch_service_level_burn_rate:ratio{queue="sales"}'
    assert wait_for(lambda: query(scraped_prometheus, probe)["result"] or None, 30)
    assert query(scraped_prometheus, 'ALERTS{layer="business"}')["result"] == []


# --- Alertmanager ---------------------------------------------------------------------------


class _Webhook(BaseHTTPRequestHandler):
    """Records every notification: (path, payload)."""

    received: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.received.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    _Webhook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def am(tmp_path: Path, webhook: str) -> Iterator[str]:
    with alertmanager(tmp_path, alertmanager_config(f"{webhook}/page", f"{webhook}/ticket")) as url:
        yield url


def _alert(name: str, severity: str, layer: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "severity": severity, "layer": layer, **labels},
        "annotations": {"summary": name},
    }


def _states(am: str) -> dict[str, str]:
    alerts = http_json(f"{am}/api/v2/alerts")
    return {a["labels"]["alertname"]: a["status"]["state"] for a in alerts}


def test_pages_and_tickets_reach_their_own_webhooks(am: str) -> None:
    http_json(
        f"{am}/api/v2/alerts",
        [
            _alert("ServiceLevelFastBurn", "page", "business", queue="sales", channel="voice"),
            _alert("PillarScoreDrop", "ticket", "business", queue="sales", channel="voice"),
        ],
    )

    def delivered() -> dict[str, set[str]] | None:
        got: dict[str, set[str]] = {}
        for path, payload in _Webhook.received:
            got.setdefault(path, set()).update(a["labels"]["alertname"] for a in payload["alerts"])
        return got if len(got) == 2 else None

    assert wait_for(delivered, 20) == {
        "/page": {"ServiceLevelFastBurn"},
        "/ticket": {"PillarScoreDrop"},
    }
    # grouped by queue: one notification carries the queue label as its group key
    assert all(p["groupLabels"] == {"queue": "sales"} for _, p in _Webhook.received)


def test_pipeline_alert_mutes_business_alerts_but_dead_letters_do_not(am: str) -> None:
    business = _alert("ServiceLevelFastBurn", "page", "business", queue="sales", channel="voice")
    dead_letters = _alert("PillarwatchDeadLetterRate", "ticket", "pipeline")
    http_json(f"{am}/api/v2/alerts", [business, dead_letters])
    assert wait_for(lambda: _states(am) if len(_states(am)) == 2 else None, 10) == {
        "ServiceLevelFastBurn": "active",
        "PillarwatchDeadLetterRate": "active",
    }
    no_events = _alert("PillarwatchNoEvents", "page", "pipeline", inhibits_business="true")
    http_json(f"{am}/api/v2/alerts", [no_events])
    assert wait_for(lambda: _states(am) if len(_states(am)) == 3 else None, 10) == {
        "ServiceLevelFastBurn": "suppressed",
        "PillarwatchDeadLetterRate": "active",
        "PillarwatchNoEvents": "active",
    }


def test_fast_burn_mutes_the_slow_burn_of_the_same_queue_only(am: str) -> None:
    http_json(
        f"{am}/api/v2/alerts",
        [
            _alert("ServiceLevelFastBurn", "page", "business", queue="sales", channel="voice"),
            _alert("ServiceLevelSlowBurn", "ticket", "business", queue="sales", channel="voice"),
            _alert("ServiceLevelSlowBurn", "ticket", "business", queue="billing", channel="voice"),
        ],
    )

    def states() -> dict[tuple[str, str], str] | None:
        alerts = http_json(f"{am}/api/v2/alerts")
        got = {
            (a["labels"]["alertname"], a["labels"]["queue"]): a["status"]["state"] for a in alerts
        }
        return got if len(got) == 3 else None

    assert wait_for(states, 10) == {
        ("ServiceLevelFastBurn", "sales"): "active",
        ("ServiceLevelSlowBurn", "sales"): "suppressed",
        ("ServiceLevelSlowBurn", "billing"): "active",
    }
