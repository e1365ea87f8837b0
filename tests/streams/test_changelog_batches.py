"""A release of held changelog writes goes out as one record batch per topic partition
(streams/changelog_batches.py), on the real embedded broker: what a consumer reads back, the
offsets each write's future gets, its callback and the sensor's counts."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from types import SimpleNamespace
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import RecordMetadata

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.streams.changelog_batches import send_batches


class Channel:
    def __init__(self, name: str) -> None:
        self.name = name

    def get_topic_name(self) -> str:
        return self.name


class Sensors:
    """Counts what Faust's sensor is told, as `Topic.publish_message` would tell it."""

    def __init__(self) -> None:
        self.initiated: Counter[str] = Counter()
        self.completed = 0

    def on_send_initiated(self, producer: Any, topic: str, **_: Any) -> str:
        self.initiated[topic] += 1
        return topic

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        self.completed += 1

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        raise AssertionError(f"send failed: {exc!r}")


def write(channel: Channel, partition: int, key: bytes, value: bytes, seen: list[Any]) -> Any:
    """A Table's changelog write as Faust hands it over: a future with its pending message."""
    fut: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
    fut.message = SimpleNamespace(  # type: ignore[attr-defined]
        channel=channel,
        partition=partition,
        key=key,
        value=value,
        timestamp=1_700_000_000.0,
        headers=None,
        callback=seen.append,
    )
    return fut


async def round_trip(bootstrap: str, rows: int) -> tuple[list[Any], list[Any], Any, Any]:
    topic = f"batches-{uuid.uuid4().hex[:8]}-changelog"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    kafka = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await kafka.start()
    producer = SimpleNamespace(_ensure_producer=lambda: kafka, allow_headers=True)
    sensors = Sensors()
    app = SimpleNamespace(sensors=sensors)
    channel, seen = Channel(topic), []
    writes = [
        write(channel, i % 2, f"k{i}".encode(), b"x" * 300 + str(i).encode(), seen)
        for i in range(rows)
    ]
    try:
        await send_batches(app, producer, writes)
        results = await asyncio.wait_for(asyncio.gather(*writes), timeout=30)
    finally:
        await kafka.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    read: list[Any] = []
    try:
        while len(read) < rows:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=500), timeout=30)
            read.extend(m for msgs in batches.values() for m in msgs)
    finally:
        await consumer.stop()
    return results, read, sensors, seen


def test_every_write_arrives_in_order_and_its_future_holds_its_own_offset(
    broker: EmbeddedBroker,
) -> None:
    # 200 writes of about 300 bytes: more than one 16 KiB batch per partition.
    results, read, sensors, seen = asyncio.run(round_trip(broker.bootstrap, 200))
    by_partition: dict[int, list[tuple[bytes, bytes, int]]] = {0: [], 1: []}
    for m in read:
        by_partition[m.partition].append((m.key, m.value, m.offset))
    for partition, got in by_partition.items():
        keys = [key for key, _, _ in got]
        assert keys == [f"k{i}".encode() for i in range(partition, 200, 2)]  # in order
        assert [offset for *_, offset in got] == list(range(100))
    offsets = {(r.partition, r.offset) for r in results}
    stored = {(m.partition, m.offset): m.key for m in read}
    for i, result in enumerate(results):  # each future: the offset its write was stored at
        assert stored[(result.partition, result.offset)] == f"k{i}".encode()
    assert len(offsets) == 200
    assert all(m.timestamp == 1_700_000_000_000 for m in read)
    assert len(seen) == 200  # each write's callback (a RocksDB Table's persisted offset)
    assert sum(sensors.initiated.values()) == sensors.completed == 200
