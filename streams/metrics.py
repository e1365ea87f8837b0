"""Prometheus metrics, created against an injected registry from the catalogue.

Counters and histograms are updated as events pass. Window measures, pillar scores and live
queue gauges are not kept as Gauge objects: collectors compute them at scrape time from the
Tables this worker owns, so a queue that moves to another worker leaves no stale series here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pillarwatch.models.catalogue import ALLOWED_LABELS, CATALOGUE, MetricSpec, spec

__all__ = [
    "LIVE_GAUGES",
    "OUTCOMES",
    "PARTITION_GAUGES",
    "Metrics",
    "ScrapeCollector",
    "counter",
    "gauge_family",
    "partition_gauges",
    "scrape_gauge_names",
]

WAIT_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200)
HANDLE_BUCKETS = (30, 60, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 3600)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600)
# The `outcome` values of pillarwatch_contacts_total (models/contact.py Outcome.outcome).
OUTCOMES = ("answered", "abandoned", "short_abandoned")


def counter(registry: CollectorRegistry, name: str) -> Counter:
    """A Counter for catalogue metric `name` on `registry`."""
    s = spec(name)
    return Counter(s.name.removesuffix("_total"), s.help, s.labels, registry=registry)


def _histogram(registry: CollectorRegistry, name: str, buckets: tuple[float, ...]) -> Histogram:
    s = spec(name)
    return Histogram(s.name, s.help, s.labels, buckets=buckets, registry=registry)


class LabelGuard:
    """Caps the distinct values of one label; the rest fold into 'other' and are counted.

    A bug upstream that sends ids as queue names must not explode the number of series.
    """

    def __init__(self, cap: int, folded: Counter) -> None:
        self._cap = cap
        self._seen: set[str] = set()
        self._folded = folded

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        if len(self._seen) < self._cap:
            self._seen.add(value)
            return value
        self._folded.inc()
        return "other"


class Metrics:
    """The counters and histograms the agents update, on one registry."""

    def __init__(self, registry: CollectorRegistry, max_queues: int = 500) -> None:
        self.registry = registry
        self.events = counter(registry, "pillarwatch_events_total")
        self.rejected = counter(registry, "pillarwatch_events_rejected_total")
        self.duplicates = counter(registry, "pillarwatch_events_duplicate_total")
        self.late = counter(registry, "pillarwatch_events_late_total")
        self.folded = counter(registry, "pillarwatch_labels_folded_total")
        self.contacts = counter(registry, "pillarwatch_contacts_total")
        self.expired = counter(registry, "pillarwatch_contacts_expired_total")
        self.wait = _histogram(registry, "pillarwatch_wait_seconds", WAIT_BUCKETS)
        self.handle = _histogram(registry, "pillarwatch_handle_seconds", HANDLE_BUCKETS)
        self.lag = _histogram(registry, "pillarwatch_event_lag_seconds", LAG_BUCKETS)
        self.queue_label = LabelGuard(max_queues, self.folded)
        # Children cached per label value: .labels() costs a lock and a dict lookup each call.
        self._event_children: dict[str, Any] = {}
        self._outcome_children: dict[tuple[str, str, str], Any] = {}

    def count_outcome(self, queue: str, channel: str, outcome: str) -> None:
        """Count one queue outcome. The first time a queue and channel is seen, every outcome's
        child starts at 0, so increase() and alert expressions see 0 rather than no data."""
        child = self._outcome_children.get((queue, channel, outcome))
        if child is None:
            for name in OUTCOMES:
                self._outcome_children.setdefault(
                    (queue, channel, name), self.contacts.labels(queue, channel, name)
                )
            child = self._outcome_children.setdefault(
                (queue, channel, outcome), self.contacts.labels(queue, channel, outcome)
            )
        child.inc()

    def count_event(self, event_type: str) -> None:
        child = self._event_children.get(event_type)
        if child is None:
            child = self._event_children[event_type] = self.events.labels(event_type)
        child.inc()


def gauge_family(metric: MetricSpec) -> GaugeMetricFamily:
    assert metric.kind == "gauge" and set(metric.labels) <= ALLOWED_LABELS
    return GaugeMetricFamily(metric.name, metric.help, labels=list(metric.labels))


class ScrapeCollector(Collector):
    """Adapts a function that yields metric families at scrape time into a Collector.

    `names` lists every family the function may yield. The registry learns them from
    `describe()`, so a `name[]`-filtered page (streams/sensor.py) runs the function only when
    one of its names is asked for: the window gauges cost about 15-25 ms a read, and a reader
    polling Faust's counters (the pipeline benchmark, five times a second) no longer pays it.
    A family the function yields outside `names` is an error, so a list that falls behind
    the code fails every scrape (and the tests), instead of silently dropping from a
    filtered page.
    """

    def __init__(
        self, produce: Callable[[], Iterable[GaugeMetricFamily]], names: Iterable[str]
    ) -> None:
        self._produce = produce
        self.names = frozenset(names)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for family in self._produce():
            if family.name not in self.names:
                raise ValueError(
                    f"scrape collector yielded {family.name!r}, not among its names: "
                    "add it to the names given to ScrapeCollector"
                )
            yield family

    def describe(self) -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily(name, "") for name in sorted(self.names)]


def scrape_gauge_names(exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """The catalogue's gauges (all of them are computed at scrape time), less `exclude`."""
    skip = set(exclude)
    return tuple(m.name for m in CATALOGUE if m.kind == "gauge" and m.name not in skip)


# Which scrape-time collector yields which gauges (ScrapeCollector's `names`): the partition
# gauge (here), the first hop's live queue gauges (agents/contacts.py), and every other
# catalogue gauge from the measures agent's windows (agents/measures.py).
PARTITION_GAUGES = ("pillarwatch_partitions_assigned",)
LIVE_GAUGES = ("pillarwatch_queue_waiting_contacts", "pillarwatch_queue_longest_wait_seconds")


def partition_gauges(
    assignment: Callable[[], tuple[Sized, Sized]],
) -> Callable[[], Iterator[GaugeMetricFamily]]:
    """pillarwatch_partitions_assigned from `assignment()`: this worker's (active, standby)
    topic partitions now, read at scrape time so a rebalance shows at the next scrape."""

    def produce() -> Iterator[GaugeMetricFamily]:
        actives, standbys = assignment()
        family = gauge_family(spec("pillarwatch_partitions_assigned"))
        family.add_metric(["active"], len(actives))
        family.add_metric(["standby"], len(standbys))
        yield family

    return produce
