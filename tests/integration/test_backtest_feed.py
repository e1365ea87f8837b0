"""The backtest feeder's batches on the real embedded broker: every event of a step arrives,
on the partition the producer's default partitioner gives its key, in order."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pillarwatch.backtest.record import Event, _send_step
from pillarwatch.broker import EmbeddedBroker

PARTITIONS = 4


async def _topic(broker: EmbeddedBroker) -> str:
    name = f"feed-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        await admin.close()
    return name


async def _read(broker: EmbeddedBroker, topic: str, count: int) -> list[tuple[int, bytes]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    got: list[tuple[int, bytes]] = []
    deadline = asyncio.get_running_loop().time() + 30
    try:
        while len(got) < count and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                got += [(r.partition, r.value) for r in records if r.value is not None]
    finally:
        await consumer.stop()
    return got


async def _feed_and_compare(broker: EmbeddedBroker, step: list[Event]) -> None:
    batched, plain = await _topic(broker), await _topic(broker)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=0)
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(batched))
        await _send_step(producer, batched, partitions, step)
        for _, key, value in step:
            if key is not None:
                await producer.send(plain, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    got = await _read(broker, batched, len(step))
    assert sorted(v for _, v in got) == sorted(v for _, _, v in step)
    # Each value's partition is the one the producer picks for its key, and each
    # partition keeps the step's order.
    keyed = [e for e in step if e[1] is not None]
    by_value = {value: partition for partition, value in await _read(broker, plain, len(keyed))}
    per_partition: dict[int, list[bytes]] = defaultdict(list)
    for partition, value in got:
        if value in by_value:  # the keyless event goes to any partition
            assert partition == by_value[value], value
        per_partition[partition].append(value)
    order = {v: i for i, (_, _, v) in enumerate(step)}
    for values in per_partition.values():
        assert [order[v] for v in values] == sorted(order[v] for v in values)


def test_a_step_arrives_whole_on_its_keys_partitions(broker: EmbeddedBroker) -> None:
    step: list[Event] = [
        (float(i), f"contact-{i % 7}".encode(), f'{{"n":{i}}}'.encode()) for i in range(40)
    ]
    step.append((40.0, None, b'{"n":"no key"}'))
    asyncio.run(_feed_and_compare(broker, step))


def test_a_step_larger_than_one_batch_is_split_and_arrives_whole(
    broker: EmbeddedBroker,
) -> None:
    # 1,500 events of about 300 bytes: more than aiokafka's 16 KB batch on every partition.
    pad = "x" * 280
    step: list[Event] = [
        (float(i), f"c-{i % 11}".encode(), f'{{"n":{i},"p":"{pad}"}}'.encode()) for i in range(1500)
    ]
    asyncio.run(_feed_and_compare(broker, step))
