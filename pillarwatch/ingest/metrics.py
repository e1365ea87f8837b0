"""The receiver's and follower's own counters, on their own registry (served at /metrics).

Defined in the metric catalogue (models/catalogue.py); labels stay within the allowed set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from pillarwatch.models.sources import MappingResult
from pillarwatch.streams.metrics import LabelGuard, counter

__all__ = ["IngestMetrics"]


# Queue label values one ingest process keeps before folding the rest into "other".
MAX_QUEUES = 500


@dataclass
class IngestMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        # Names, labels and help come from the catalogue (models/catalogue.py).
        self.requests = counter(self.registry, "pillarwatch_ingest_requests_total")
        self.events = counter(self.registry, "pillarwatch_ingest_events_total")
        self.unmapped = counter(self.registry, "pillarwatch_ingest_unmapped_total")
        # Per-queue facts that are not schema events (Asterisk RINGNOANSWER): counted here,
        # at the source, so the stream agents need no new event type.
        self.agent_no_answer = counter(self.registry, "pillarwatch_ingest_agent_no_answer_total")
        self.folded = counter(self.registry, "pillarwatch_labels_folded_total")
        self.queue_label = LabelGuard(MAX_QUEUES, self.folded)

    def count(self, results: list[MappingResult]) -> None:
        for result in results:
            for event in result.events:
                self.events.labels(type=str(event["type"])).inc()
            for item in result.unmapped:
                self.unmapped.labels(reason=item.reason).inc()
            for signal in result.signals:
                if signal.name == "agent_no_answer":
                    self.agent_no_answer.labels(queue=self.queue_label(signal.queue)).inc()
