"""End offsets read from the records, for brokers whose ListOffsets stops at a batch's start.

Faust's table recovery reads each changelog partition up to the end offset that the broker's
ListOffsets answer gives (`Recovery._build_highwaters`) and declares the table restored there.
The embedded broker (Tansu, pillarwatch/broker.py) answers with the last record batch's
*first* offset + 1, not the offset after its last record: after one batch of 10 records at
offsets 3-12 it says 4 (docs/deploy.md, "Recovery"). A worker restarted on `memory://` then
stopped its restore inside the last batch of each changelog partition, and the rest of that
batch was applied or not depending on the race between the recovery's end and the fetched
records still queued. Once the worker's changelog writes went out as one batch per
partition (streams/changelog_batches.py) that batch held a commit's writes, and the
SIGKILL-and-restart fault test lost them in every run (3 of 3).

`true_end_offsets` fetches from each partition's reported end - 1 with a consumer of its own
(no group, nothing committed): a fetch returns the whole batch holding that offset, so the
last record fetched gives the real end. On a broker that answers ListOffsets correctly the
record at end - 1 is the last one and nothing changes. The cost is one consumer start and
one fetch per recovery (start-up and each rebalance).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

__all__ = ["GIVE_UP_S", "PROBE_TIMEOUT_S", "true_end_offsets"]

log = logging.getLogger(__name__)

#: How long the probe waits for a partition's last batch before it keeps the reported end
#: (a partition whose end - 1 is a transaction marker or was compacted away returns nothing).
PROBE_TIMEOUT_S = 2.0
#: The whole probe (connect, fetch, close) at most this long; then the reported ends are kept.
GIVE_UP_S = 15.0


async def true_end_offsets(
    make_consumer: Callable[[], AIOKafkaConsumer],
    reported: Mapping[Any, int | None],
    timeout: float = PROBE_TIMEOUT_S,
    give_up: float = GIVE_UP_S,
) -> dict[Any, int | None]:
    """`reported` end offsets, each raised to one past the last record of the batch that holds
    offset end - 1. `make_consumer` builds an unstarted consumer without a group. A probe
    that fails or takes longer than `give_up` seconds leaves the reported ends (logged): a
    recovery to them is what Faust does without the probe."""
    probe = {
        TopicPartition(tp.topic, tp.partition): tp
        for tp, end in reported.items()
        if end is not None and end > 0
    }
    if not probe:
        return dict(reported)
    began = asyncio.get_running_loop().time()
    try:
        ends = await asyncio.wait_for(_read_ends(make_consumer, reported, probe, timeout), give_up)
    except (TimeoutError, KafkaError, OSError) as exc:
        log.warning(
            "could not read the changelogs' ends past the broker's ListOffsets answer (%r); "
            "recovering to the reported ends",
            exc,
        )
        return dict(reported)
    raised = [tp for tp, end in ends.items() if end != reported[tp]]
    log.info(
        "%d of %d partitions end past the broker's ListOffsets answer (%d records more; "
        "read in %.0f ms)",
        len(raised),
        len(ends),
        sum(int(ends[tp] or 0) - int(reported[tp] or 0) for tp in raised),
        (asyncio.get_running_loop().time() - began) * 1000.0,
    )
    return ends


async def _read_ends(
    make_consumer: Callable[[], AIOKafkaConsumer],
    reported: Mapping[Any, int | None],
    probe: Mapping[TopicPartition, Any],
    timeout: float,
) -> dict[Any, int | None]:
    ends = dict(reported)
    consumer = make_consumer()
    try:
        await consumer.start()
        consumer.assign(list(probe))
        for tp, faust_tp in probe.items():
            consumer.seek(tp, int(reported[faust_tp] or 0) - 1)
        pending = set(probe)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while pending and loop.time() < deadline:
            fetched = await consumer.getmany(*pending, timeout_ms=100)
            for tp, records in fetched.items():
                if records:
                    faust_tp = probe[tp]
                    ends[faust_tp] = max(int(ends[faust_tp] or 0), records[-1].offset + 1)
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return ends
