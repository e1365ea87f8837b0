"""The glue from a golden scenario to the pure functions: events in, /metrics-like samples out.

The only module of the golden tests that imports pillarwatch internals, so that a refactoring
of them is followed here and nowhere else. It runs the reference computation
(tests/support/reference.py: decode, contact state, journeys, pillar signals, windows) and
renders the result with the exporter's own pieces (counters, histograms and window families),
plus the staffing projection and the final FCR gauge. Live queue gauges
(`queue_waiting_contacts`, `queue_longest_wait_seconds`) exist only in a worker: LIVE_ONLY
names them, and the pure comparison leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from pillarwatch.models.buckets import WIDTH, increments, minute_of
from pillarwatch.models.config import load_config
from pillarwatch.models.contact import Outcome, Summary
from pillarwatch.models.events import Event, decode
from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import registry, signal_pillars
from pillarwatch.scrape import Samples, parse
from pillarwatch.streams.metrics import Metrics, ScrapeCollector, scrape_gauge_names
from pillarwatch.streams.staffing_export import staffing_samples
from pillarwatch.streams.window_export import final_fcr, result_samples
from tests.support.reference import reference

__all__ = ["LIVE_ONLY", "pure_samples"]

LIVE_ONLY = frozenset(
    {"pillarwatch_queue_waiting_contacts", "pillarwatch_queue_longest_wait_seconds"}
)


def pure_samples(lines: list[bytes], config_path: Path | None) -> Samples:
    """What a worker that read `lines` (in order) would export, from the pure functions."""
    config = load_config(config_path, registry())
    out = reference(lines, config, signal_pillars())
    metrics = Metrics(CollectorRegistry())
    hours: dict[tuple[str, str], dict[int, list[float]]] = {}
    buckets: dict[tuple[str, str, int], list[float]] = {}
    for item in out.emitted:
        row = buckets.setdefault((item.queue, item.channel, minute_of(item.ts)), [0.0] * WIDTH)
        for index, amount in increments(item):
            row[index] += amount
        if isinstance(item, Outcome):
            metrics.count_outcome(item.queue, item.channel, item.outcome)
            if item.outcome == "answered":
                metrics.wait.labels(item.queue, item.channel).observe(item.wait)
        elif isinstance(item, Summary) and item.handle is not None:
            metrics.handle.labels(item.queue, item.channel).observe(item.handle)
        elif isinstance(item, JourneyDelta):
            pair = hours.setdefault((item.queue, item.channel), {}).setdefault(
                int(item.ts // 3600), [0.0, 0.0]
            )
            pair[0] += item.delta.get("fcr_eligible", 0.0)
            pair[1] += item.delta.get("fcr_resolved", 0.0)
    rows: list[tuple[str, str, int, Sequence[float]]] = [
        (q, c, m, v) for (q, c, m), v in buckets.items()
    ]
    events = [e for e in (decode(line, now=float("inf")) for line in lines) if isinstance(e, Event)]
    end = minute_of(max(e.ts for e in events))
    agents = _agents_by_state(events)

    def families() -> Iterator[GaugeMetricFamily]:
        yield from result_samples(out.windows, out.pillar_windows)
        yield from staffing_samples(rows, out.windows, agents, config, end)
        final = GaugeMetricFamily(
            "pillarwatch_first_contact_resolution_final_ratio", "", labels=["queue", "channel"]
        )
        for queue, channel, value in final_fcr(hours, end, config):
            final.add_metric([queue, channel], value)
        yield final

    metrics.registry.register(ScrapeCollector(families, scrape_gauge_names()))
    return parse(generate_latest(metrics.registry).decode())


def _agents_by_state(events: list[Event]) -> dict[tuple[str, str], dict[str, int]]:
    """Each agent's newest state per queue and channel, counted by state."""
    newest: dict[tuple[str, str, str], tuple[float, str]] = {}
    for e in events:
        if e.type != "agent.state" or e.agent_id is None or e.state is None:
            continue
        for queue in e.queues:
            key = (queue, e.channel, e.agent_id)
            if key not in newest or e.ts >= newest[key][0]:
                newest[key] = (e.ts, e.state)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for (queue, channel, _agent), (_ts, state) in newest.items():
        by_state = counts.setdefault((queue, channel), {})
        by_state[state] = by_state.get(state, 0) + 1
    return counts
