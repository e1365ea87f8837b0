"""Table recovery's end offsets read from the records (streams/end_offsets.py), on the real
embedded broker, whose ListOffsets answer stops at the last record batch's first offset."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.streams.end_offsets import true_end_offsets


async def _write(broker: EmbeddedBroker, topic: str) -> None:
    """Partition 0: three single-record batches, then one batch of ten (offsets 3-12).
    Partition 1: two single-record batches. Partition 2: nothing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:
        for i in range(3):
            await producer.send_and_wait(topic, b"one %d" % i, key=b"k", partition=0)
        batch = producer.create_batch()
        for i in range(10):
            assert batch.append(key=b"k%d" % i, value=b"batched", timestamp=None) is not None
        batch.close()
        await (await producer.send_batch(batch, topic, partition=0))
        for i in range(2):
            await producer.send_and_wait(topic, b"alone %d" % i, key=b"k", partition=1)
    finally:
        await producer.stop()


async def _reported(broker: EmbeddedBroker, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


def _probe(broker: EmbeddedBroker) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        fetch_max_wait_ms=100,
    )


def test_end_offsets_reach_past_the_last_batchs_first_record(broker: EmbeddedBroker) -> None:
    topic = f"end-offsets-{uuid.uuid4().hex[:8]}"
    tps = [TopicPartition(topic, p) for p in range(3)]

    async def run() -> tuple[dict[TopicPartition, int], dict[TopicPartition, int | None]]:
        await _write(broker, topic)
        reported = await _reported(broker, tps)
        return reported, await true_end_offsets(lambda: _probe(broker), reported)

    reported, ends = asyncio.run(run())
    # The broker's fault that the module works around: the batch of ten starts at offset 3.
    assert reported[tps[0]] == 4
    assert ends == {tps[0]: 13, tps[1]: 2, tps[2]: 0}


def test_correct_ends_and_unknown_ends_are_kept(broker: EmbeddedBroker) -> None:
    topic = f"end-offsets-{uuid.uuid4().hex[:8]}"
    tps = [TopicPartition(topic, p) for p in range(3)]

    async def run() -> dict[TopicPartition, int | None]:
        await _write(broker, topic)
        # Partition 1 answered right, partition 2 unknown (None), partition 0 not asked.
        return await true_end_offsets(lambda: _probe(broker), {tps[1]: 2, tps[2]: None})

    assert asyncio.run(run()) == {tps[1]: 2, tps[2]: None}


def test_no_partition_with_records_starts_no_consumer(broker: EmbeddedBroker) -> None:
    def fail() -> AIOKafkaConsumer:
        raise AssertionError("a probe consumer was built for empty partitions")

    ends = asyncio.run(true_end_offsets(fail, {TopicPartition("t", 0): 0}))
    assert ends == {TopicPartition("t", 0): 0}


def test_a_broker_that_cannot_be_reached_leaves_the_reported_ends() -> None:
    from pillarwatch.broker import free_port

    port = free_port()  # nothing listens there

    def unreachable() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(bootstrap_servers=f"127.0.0.1:{port}", enable_auto_commit=False)

    reported = {TopicPartition("t", 0): 4, TopicPartition("t", 1): 0}
    assert asyncio.run(true_end_offsets(unreachable, reported, give_up=10.0)) == reported
