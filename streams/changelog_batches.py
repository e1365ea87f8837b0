"""Held changelog writes sent as one record batch per changelog partition.

A commit hands the record cache's held writes over at once (streams/changelog_buffer.py).
Sent one by one, each paid Faust's whole publish path (`Topic.publish_message`: the sensor,
aiokafka's `send` with a future of its own, a callback through the event loop), and aiokafka
packed them 1.46 to a batch: about 0.4 ms of worker CPU per changelog message, a quarter of
the worker (docs/performance.md, "Session 14"). Here a release goes to aiokafka as batches
(`create_batch`, `append` per write, `send_batch` per topic partition, in the order the keys
were first held), and each write's `FutureMessage` is resolved from its batch's result as
Faust's `Topic._on_published` resolves it: the result (a RecordMetadata with the write's own
offset), the message's callback (a RocksDB Table records its persisted offset there), and the
sensor's send counters. What it skips: Faust's `on_produce_message` signal (nothing here
connects to it) and transactions (the worker does not use exactly-once).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from aiokafka.structs import RecordMetadata

__all__ = ["send_batches"]

log = logging.getLogger(__name__)


async def send_batches(app: Any, producer: Any, writes: Iterable[Any]) -> None:
    """Send `writes` (Faust `FutureMessage`s of Table changelogs, their partitions known)
    through `producer`, Faust's aiokafka Producer, one record batch per topic partition."""
    groups: dict[tuple[str, int], list[Any]] = {}
    names: dict[int, str] = {}
    for fut in writes:
        channel = fut.message.channel
        name = names.get(id(channel))
        if name is None:
            name = names[id(channel)] = channel.get_topic_name()
        groups.setdefault((name, fut.message.partition), []).append(fut)
    kafka = producer._ensure_producer()  # aiokafka's AIOKafkaProducer
    for (topic, partition), futs in groups.items():
        await _send_partition(app, producer, kafka, topic, partition, futs)


async def _send_partition(
    app: Any, producer: Any, kafka: Any, topic: str, partition: int, futs: Sequence[Any]
) -> None:
    start = 0
    while start < len(futs):
        batch = kafka.create_batch()
        stamps: list[int] = []
        for fut in futs[start:]:
            message = fut.message
            meta = batch.append(
                key=message.key,
                value=message.value,
                timestamp=_millis(message.timestamp),
                headers=_headers(message.headers, producer.allow_headers),
            )
            if meta is None:  # the batch is full: the rest go in the next one
                break
            stamps.append(meta.timestamp)
        if not stamps:  # one write larger than a batch: Faust's own path sends it alone
            await futs[start].message.channel.publish_message(futs[start], wait=False)
            start += 1
            continue
        chunk = futs[start : start + len(stamps)]
        start += len(stamps)
        batch.close()
        states = [
            app.sensors.on_send_initiated(
                producer,
                topic,
                message=fut.message,
                keysize=len(fut.message.key or b""),
                valsize=len(fut.message.value or b""),
            )
            for fut in chunk
        ]
        delivered = await kafka.send_batch(batch, topic, partition=partition)
        delivered.add_done_callback(partial(_resolve, app, producer, chunk, states, stamps))


def _resolve(
    app: Any,
    producer: Any,
    chunk: Sequence[Any],
    states: Sequence[Any],
    stamps: Sequence[int],
    delivered: Any,
) -> None:
    """Resolve each write of a delivered (or failed) batch as `Topic._on_published` does."""
    try:
        batch: RecordMetadata = delivered.result()
    except Exception as exc:
        log.warning("changelog batch to %s failed: %r", chunk[0].message.channel, exc)
        for fut, state in zip(chunk, states, strict=True):
            if not fut.done():
                fut.set_exception(exc)
            app.sensors.on_send_error(producer, exc, state)
        return
    for offset, (fut, state, stamp) in enumerate(zip(chunk, states, stamps, strict=True)):
        result = RecordMetadata(
            batch.topic,
            batch.partition,
            batch.topic_partition,
            batch.offset + offset,
            stamp if batch.timestamp in (None, -1) else batch.timestamp,
            batch.timestamp_type,
            batch.log_start_offset,
        )
        if not fut.done():
            fut.set_result(result)
        if fut.message.callback:
            fut.message.callback(fut)
        app.sensors.on_send_completed(producer, state, result)


def _millis(timestamp: float | None) -> int | None:
    return int(timestamp * 1000.0) if timestamp else None


def _headers(headers: Any, allowed: bool) -> list[tuple[str, bytes]]:
    if not headers or not allowed:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)
