"""Reading a topic back from the embedded broker, for the integration tests."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer

from pillarwatch.broker import EmbeddedBroker


async def _read(
    broker: EmbeddedBroker, topic: str, want: int, timeout: float
) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    out: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(out) < want and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            out += [(m.value, dict(m.headers)) for msgs in batches.values() for m in msgs]
        return out
    finally:
        await consumer.stop()


def read_topic(
    broker: EmbeddedBroker, topic: str, want: int, timeout: float = 30.0
) -> list[tuple[bytes, dict[str, bytes]]]:
    """At least `want` messages (value, headers) of `topic` from the start, or what came in time."""
    return asyncio.run(_read(broker, topic, want, timeout))
