"""The receiver's and follower's own counters, on their own registry (served at /metrics).

Proposed for the metric catalogue; labels stay within the allowed set (outcome, type, reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter

from models.sources import MappingResult

__all__ = ["IngestMetrics"]


@dataclass
class IngestMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "pillarwatch_ingest_requests_total",
            "Webhook requests and queue_log batches by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            "pillarwatch_ingest_events_total",
            "Schema v1 events produced (acknowledged by the broker).",
            ["type"],
            registry=self.registry,
        )
        self.unmapped = Counter(
            "pillarwatch_ingest_unmapped_total",
            "Source events that gave no schema event, by reason code.",
            ["reason"],
            registry=self.registry,
        )

    def count(self, results: list[MappingResult]) -> None:
        for result in results:
            for event in result.events:
                self.events.labels(type=str(event["type"])).inc()
            for item in result.unmapped:
                self.unmapped.labels(reason=item.reason).inc()
