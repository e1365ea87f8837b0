"""The receiver's and follower's own counters, on their own registry (served at /metrics).

Defined in the metric catalogue (models/catalogue.py); labels stay within the allowed set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from pillarwatch.models.sources import MappingResult
from pillarwatch.streams.metrics import counter

__all__ = ["IngestMetrics"]


@dataclass
class IngestMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        # Names, labels and help come from the catalogue (models/catalogue.py).
        self.requests = counter(self.registry, "pillarwatch_ingest_requests_total")
        self.events = counter(self.registry, "pillarwatch_ingest_events_total")
        self.unmapped = counter(self.registry, "pillarwatch_ingest_unmapped_total")

    def count(self, results: list[MappingResult]) -> None:
        for result in results:
            for event in result.events:
                self.events.labels(type=str(event["type"])).inc()
            for item in result.unmapped:
                self.unmapped.labels(reason=item.reason).inc()
