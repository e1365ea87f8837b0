"""Faust's Prometheus sensor, keeping only the series something here reads.

Faust's sensor updates a dozen series per message. Kept, because a dashboard, an alert, a
runbook or the benchmark reads them: messages received per topic, active messages, messages
sent per topic, end and committed offsets per partition (the consumer-lag alert), rebalances,
messages received per topic and partition (the two-worker test), and the commit and
assignment figures (updated per commit or rebalance, not per message). Dropped: the Table
get/set/del counter (two or three updates per event), the per-stream event counter, the event
runtime and send latency histograms (one observation per event and per message produced), and
every counter's `_created` sample (docs/performance.md, "Faust's Prometheus sensor").
"""

from __future__ import annotations

from typing import Any, cast

import faust
import prometheus_client
from aiohttp.web import Response
from faust import web
from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

__all__ = ["LeanPrometheusMonitor", "metrics_page", "setup_sensor"]

#: Faust's metric families no dashboard, alert, runbook, test or the bench reads.
UNUSED = (
    "events_runtime_latency",
    "total_events",
    "total_active_events",
    "total_events_per_stream",
    "table_operations",
    "producer_send_latency",
)


class LeanPrometheusMonitor(PrometheusMonitor):
    """Faust's monitor without the per-event and per-Table-operation series in UNUSED."""

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> Any:
        return Monitor.on_stream_event_in(self, tp, offset, stream, event)

    def on_stream_event_out(
        self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None
    ) -> None:
        Monitor.on_stream_event_out(self, tp, offset, stream, event, state)

    def on_table_get(self, table: Any, key: Any) -> None:
        return None

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        return None

    def on_table_del(self, table: Any, key: Any) -> None:
        return None

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        Monitor.on_send_completed(self, producer, state, metadata)


def setup_sensor(app: faust.App, registry: CollectorRegistry, prefix: str) -> None:
    """Faust's metrics on `registry` with the lean monitor, and the /metrics page."""
    metrics = FaustMetrics.create(registry, prefix)
    for name in UNUSED:
        registry.unregister(getattr(metrics, name))
    app.monitor = LeanPrometheusMonitor(metrics=metrics)
    # Process-wide: `_created` is a sample per counter and histogram series at every scrape,
    # and no dashboard or alert reads it.
    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
    metrics_page(app, registry)


def metrics_page(app: faust.App, registry: CollectorRegistry) -> None:
    """/metrics, as Faust's sensor serves it, plus prometheus_client's own `name[]` filter:
    `/metrics?name[]=pillarwatch_contacts_total&name[]=...` answers with those samples only.

    The whole page is about a thousand lines, and writing it out is about half of a scrape's
    cost on the worker (docs/performance.md, "The scrape"). A reader that wants a few series
    (the latency benchmark, a health probe) takes a page of those. The filter is
    prometheus_client's `restricted_registry`: only the collectors of the named samples are
    collected. The scrape-time gauges name theirs (`ScrapeCollector`'s `names`), so a page of
    Faust's counters does not compute the windows; a collector that could not name its
    samples would still be collected for every filtered page, as the registry is made with
    `support_collectors_without_names` (`create_app`).
    """

    @app.page("/metrics")
    async def metrics_handler(self: web.View, request: web.Request) -> web.Response:
        names = request.query.getall("name[]", [])  # type: ignore[attr-defined]
        source = registry.restricted_registry(names) if names else registry
        body = generate_latest(source)  # type: ignore[arg-type]
        headers = {"Content-Type": CONTENT_TYPE_LATEST}
        return cast(web.Response, Response(body=body, headers=headers))
