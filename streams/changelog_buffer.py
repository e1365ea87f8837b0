"""Table changelog writes coalesced per key until the next commit (a record cache).

Faust sends one changelog message per Table write. A contact's row is rewritten by each of
its events, a minute bucket by every record of its queue in that minute, a customer's pillar
state by each of their contacts: most of those messages are overwritten within seconds, and
a compacted changelog keeps only the last one per key anyway. Kafka Streams' record cache
(`statestore.cache.max.bytes`) holds a store's writes and sends only the last value per key
when it commits; this buffer does the same for Faust's changelog buffer:

- a write is held, keyed by (changelog topic, partition, table key); a later write of the
  same key replaces it, keeping the first one's place in the order (only the last value per
  key matters to a compacted topic, and a restore applies the partition's messages in order);
- `flush`, which `Consumer.commit` awaits after choosing the offsets it will commit and before
  committing them (and Faust's stop and rebalance too), first hands every held write over,
  then waits for them as `DrainingBuffer.flush` does. So no committed offset ever covers an
  event whose write is still held: a crash replays those events onto the older rows, exactly
  as it did when the changelog lagged the Table in the send buffer;
- more than `max_held` keys held hands them all over at once (a bound on memory and on the
  work a commit must do); `max_held = 0` turns coalescing off. The worker's producer sets it
  from PILLARWATCH_CHANGELOG_CACHE_KEYS (default 500). A commit hands every held write to
  the producer at once; each was encoded into an 8 KB orjson buffer until streams/codecs.py
  trimmed them, so 10,000 held keys cost a peak of 240 MB with 100,000 open contacts on 8
  partitions, and 187 MB trimmed (179 MB at 500; docs/performance.md, "Session 13").

A release goes to the send queue as one item (`HeldWrites`), and the worker's producer sends
it as one record batch per changelog partition (streams/changelog_batches.py), not message
by message through Faust's publish path.

The in-memory Table is unchanged: the worker reads its own writes at once. What lags is the
changelog, by up to one commit interval (2.8 s), which only a restore or a standby reads.
A superseded write's future is left unresolved: nothing awaits a changelog future, and its
callback (RocksDB's persisted offset) runs for the write that replaced it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from faust.transport.producer import ProducerBuffer

__all__ = ["CoalescingBuffer", "DrainingBuffer", "HeldWrites"]


class HeldWrites(list[Any]):
    """The writes one release hands over: one item of the send queue, sent together."""


class DrainingBuffer(ProducerBuffer):
    """Faust's buffer of Table changelog messages, with a flush that waits until every
    message put before it began has been handed to the Kafka producer.

    Faust's own `flush` returns as soon as no message left the buffer for 0.1 s: on a busy
    worker it returned with changelog messages still buffered, and `Consumer.commit` (which
    flushes the producer, then commits offsets) committed the offsets of events whose Table
    writes were not sent yet. At stop the buffer's sender task leaves after its current
    message and the rest was dropped. Either way a restart or a fail-over replayed from after
    those events onto a changelog without their writes: the rows lost them.

    The flush waits for the messages put before it began, not until the buffer is empty: the
    offsets a commit covers are chosen before it flushes, and an event's writes are put before
    it is acked, so those are all the commit needs. Waiting for an empty buffer, a commit on a
    busy worker waited for writes that agents kept adding while it waited (the two-worker
    fault test logged `Timer commit is overlapping (interval=2.8 runtime=29...)`).
    """

    _put = 0  # messages put so far
    _handed = 0  # messages handed to the Kafka producer so far (in put order: one sender)

    def put(self, fut: Any) -> None:
        self._put += 1
        super().put(fut)

    async def _send_pending(self, fut: Any) -> None:
        try:
            await self._publish(fut)
        finally:
            self._handed += 1

    async def _publish(self, item: Any) -> None:
        await super()._send_pending(item)

    async def flush(self) -> None:
        """Return when every message put before this call was handed over."""
        target = self._put
        while self._handed < target:
            if self.state != "running" and self._handed + self.size == self._put:
                # No sender task (not started, stopping: it leaves its loop, or crashed) and
                # none in flight: hand over the rest here, in order.
                await self._send_pending(self.pending.get_nowait())
                continue
            self.message_sent.clear()
            try:
                await asyncio.wait_for(self.message_sent.wait(), timeout=0.1)
            except TimeoutError:
                continue  # a slow send: keep waiting (Faust's flush returned here)


class CoalescingBuffer(DrainingBuffer):
    """Faust's changelog buffer holding each key's last write until the next flush."""

    #: Keys held before they are all handed over without waiting for a commit (the worker's
    #: producer sets it from its settings).
    max_held = 500
    #: Sends a release's writes together (the worker's producer sets it to
    #: streams/changelog_batches.py `send_batches`); None: one by one, Faust's own path.
    send_held: Callable[[HeldWrites], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._held: dict[Hashable, Any] = {}
        self.writes = 0  # writes put by the Tables
        self.coalesced = 0  # writes replaced by a later write of the same key before a flush

    def put(self, fut: Any) -> None:
        self.writes += 1
        message = fut.message
        slot = (id(message.channel), message.partition, message.key)
        try:
            replaced = self._held.get(slot) is not None
        except TypeError:  # an unhashable key: not cached, after what is held (order kept)
            self.release()
            super().put(fut)
            return
        self.coalesced += replaced
        self._held[slot] = fut
        if len(self._held) > self.max_held:
            self.release()

    @property
    def held(self) -> int:
        """Keys whose last write waits for the next flush."""
        return len(self._held)

    def release(self) -> None:
        """Hand every held write to the send queue, in the order their keys were first held,
        as one item: the queue's length, on which Faust's conductor waits (`wait_until_ebb`),
        counts releases, not writes, so a commit's release does not stall the streams."""
        held, self._held = self._held, {}
        if held:
            super().put(HeldWrites(held.values()))

    async def _publish(self, item: Any) -> None:
        if not isinstance(item, HeldWrites):
            await super()._publish(item)
        elif self.send_held is not None:
            await self.send_held(item)
        else:
            for fut in item:
                await super()._publish(fut)

    async def flush(self) -> None:
        """Hand over the held writes, then return when every write put so far was sent."""
        self.release()
        await super().flush()
