"""Records for `contact-summaries` gathered per key and sent as one message per key.

A message per record cost the worker a produce, and the measures agent a consume and a bucket
write, for each of about 0.86 records per input event (benchmarks, docs/performance.md). The
first hop gathers what one batch emits, the measures agent the pillar signals one message
yields; each key's records go out as one message (models/summaries.py `wire_records`), in
order.
"""

from __future__ import annotations

from typing import Any

from pillarwatch.models.summaries import WireItem, to_wire, wire_key

__all__ = ["MAX_RECORDS_PER_MESSAGE", "Outbox"]

# A few hundred bytes a record keeps a message far under the broker's 1 MB default.
MAX_RECORDS_PER_MESSAGE = 500


class Outbox:
    """Wire records per queue-and-channel key, in the order they were added."""

    def __init__(self) -> None:
        self.by_key: dict[bytes, list[dict[str, Any]]] = {}

    def add(self, item: WireItem) -> None:
        key = wire_key(item.queue, item.channel).encode()
        self.by_key.setdefault(key, []).append(to_wire(item))

    async def send(self, topic: Any) -> None:
        """One message per key (and per MAX_RECORDS_PER_MESSAGE records): a lone record as
        itself, more as a JSON array. Empties the outbox."""
        for key, docs in self.by_key.items():
            for start in range(0, len(docs), MAX_RECORDS_PER_MESSAGE):
                chunk = docs[start : start + MAX_RECORDS_PER_MESSAGE]
                await topic.send(key=key, value=chunk if len(chunk) > 1 else chunk[0])
        self.by_key.clear()
