"""Helpers for the ingest integration tests: a private broker and reading topics back."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaConsumer


@dataclass
class Record:
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    @property
    def event(self) -> dict[str, object]:
        loaded = orjson.loads(self.value)
        assert isinstance(loaded, dict)
        return loaded


def unique_topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def read_topic(
    bootstrap: str, topic: str, want: int, wait_seconds: float = 20.0
) -> list[Record]:
    """Every record of `topic` from the start, once `want` have arrived or the wait ends.

    The wait bounds a hang; it is not what the tests assert (they check the records).
    """
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[Record] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while len(records) < want and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(
                    Record(m.key, m.value, {k: bytes(v) for k, v in m.headers}) for m in messages
                )
        # One more short read: more records than wanted is a finding, not to be hidden.
        for messages in (await consumer.getmany(timeout_ms=300)).values():
            records.extend(
                Record(m.key, m.value, {k: bytes(v) for k, v in m.headers}) for m in messages
            )
    finally:
        await consumer.stop()
    return records
