"""measures: minute buckets per queue and channel; windows and pillar scores at scrape time.

Consumes `contact-summaries` (key: queue and channel, so one worker owns all of a queue's
buckets). The buckets are a plain Table keyed by (queue, channel, minute), expired here: Faust's
windowed tables leak state after recovery and lose windows on rebalance (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from faust.types import StreamT
from prometheus_client.core import GaugeMetricFamily

from models.buckets import WIDTH, increments, minute_of
from models.catalogue import spec
from models.summaries import SEP, WireItem, from_wire
from models.windows import RETAIN_MINUTES, WindowResult, evaluate
from streams.metrics import ScrapeCollector, gauge_family

if TYPE_CHECKING:
    from streams.app import PillarwatchApp

__all__ = ["MEASURE_GAUGES", "add", "install", "result_samples"]

# metric name -> the Measures attribute it exports
MEASURE_GAUGES = {
    "pillarwatch_service_level_ratio": "service_level",
    "pillarwatch_abandon_ratio": "abandon_ratio",
    "pillarwatch_average_speed_of_answer_seconds": "average_speed_of_answer",
    "pillarwatch_average_handle_seconds": "average_handle",
    "pillarwatch_transfer_ratio": "transfer_ratio",
    "pillarwatch_apology_coverage_ratio": "apology_coverage",
    "pillarwatch_complaint_to_apology_seconds": "complaint_to_apology",
    "pillarwatch_repeat_contact_ratio": "repeat_ratio",
    "pillarwatch_first_contact_resolution_ratio": "first_contact_resolution",
    "pillarwatch_journey_contacts": "journey_contacts",
    "pillarwatch_journey_channel_switches": "journey_switches",
    "pillarwatch_journey_wait_seconds": "journey_wait",
    "pillarwatch_journey_resolution_seconds": "journey_duration",
    "pillarwatch_csat_average": "csat",
    "pillarwatch_ces_average": "ces",
}


def result_samples(results: list[WindowResult]) -> Iterator[GaugeMetricFamily]:
    """The gauge families for a list of window results (absent values are not exported)."""
    families = {name: gauge_family(spec(name)) for name in MEASURE_GAUGES}
    volume = gauge_family(spec("pillarwatch_window_contacts"))
    score = gauge_family(spec("pillarwatch_pillar_score"))
    component = gauge_family(spec("pillarwatch_pillar_component_score"))
    for r in results:
        labels = [r.queue, r.channel, r.window]
        volume.add_metric(labels, r.measures.offered)
        for name, attr in MEASURE_GAUGES.items():
            value = getattr(r.measures, attr)
            if value is not None:
                families[name].add_metric(labels, value)
        for pillar, ps in r.pillars.items():
            if ps.score is not None:
                score.add_metric([pillar, *labels], ps.score)
            for comp, value in sorted(ps.components.items()):
                component.add_metric([pillar, comp, *labels], value)
    yield volume
    yield from families.values()
    yield score
    yield component


LATEST = "latest"  # per queue, the newest minute with a bucket: expiry and the too-late check


def add(buckets: Any, item: WireItem) -> bool:
    """Add `item` to its minute bucket; False if that minute already left every window.

    Called while processing a message keyed by the item's queue and channel, so every key
    touched here (same prefix) belongs to that message's partition: Faust writes the changelog
    record, tombstones included, to the right partition.
    """
    minute = minute_of(item.ts)
    prefix = f"{item.queue}{SEP}{item.channel}{SEP}"
    latest = buckets.get(prefix + LATEST)
    if latest is not None and minute <= latest - RETAIN_MINUTES:
        return False
    key = f"{prefix}{minute}"
    vector = buckets.get(key)
    if vector is None:
        vector = [0.0] * WIDTH
        if latest is None or minute > latest:
            if latest is not None:
                # Expire the minutes that the new latest minute pushes out of every window.
                first = max(latest - RETAIN_MINUTES + 1, minute - 2 * RETAIN_MINUTES)
                for old in range(first, minute - RETAIN_MINUTES + 1):
                    if f"{prefix}{old}" in buckets:
                        del buckets[f"{prefix}{old}"]
            buckets[prefix + LATEST] = minute
    for index, amount in increments(item):
        vector[index] += amount
    buckets[key] = vector
    return True


def install(app: PillarwatchApp) -> None:
    s = app.settings
    summaries = app.topic(
        s.summaries_topic, key_serializer="raw", value_serializer="json", partitions=s.partitions
    )
    buckets = app.Table("minute-buckets", default=None, partitions=s.partitions)
    label = app.metrics.queue_label

    @app.agent(summaries, name="measures")
    async def measures_agent(stream: StreamT[Any]) -> None:
        async for doc in stream:
            add(buckets, from_wire(doc))

    def window_gauges() -> Iterator[GaugeMetricFamily]:
        rows = []
        for key, vector in buckets.items():
            if vector is None:
                continue
            queue, channel, minute = key.split(SEP)
            if minute == LATEST:
                continue
            rows.append((label(queue), channel, int(minute), vector))
        yield from result_samples(evaluate(rows, s.config))

    app.registry.register(ScrapeCollector(window_gauges))
