"""Batches for the agents that write Tables: each changed row written once per batch.

Every Table write is a changelog message, and producing messages is most of a worker's time
(docs/performance.md). An agent that reads its stream with `batches` and writes through a
`WriteBack` sends one changelog message per changed key per batch instead of one per event.

`batches` is not Faust's `take_events`: that runs the stream in a background task and reads
`stream.current_event` after awaiting the previous batch, while a batch's Table writes must
move `current_event` to each key's own event (the changelog and RocksDB partition come from
it), so an event that arrives during a batch can be recorded as an older one: never
processed, never acked, the partition's commits stuck (docs/performance.md, "Batching").
Here the agent's own task iterates, a batch ends as soon as the stream's buffer is empty
(after up to BATCH_WAIT_SECONDS when the partition has a backlog: it waits for time alone,
never for anything that could wait for it), and a batch's events are acked only after the
agent has handled it (and flushed its writes), so a crash replays them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, MutableMapping
from typing import Any

from faust.types import AppT, EventT, StreamT

__all__ = [
    "BATCH_MAX",
    "BATCH_POLL_SECONDS",
    "BATCH_WAIT_SECONDS",
    "Collecting",
    "WriteBack",
    "batches",
    "more_coming",
    "set_current_event",
]

# Events handled per batch at most: bounds the events held unacked and the pause of one batch.
BATCH_MAX = 500
# How long a batch waits for the stream's buffer to refill before it is handled, when its
# partition has more messages (a backlog): Faust's fetch loop hands over fetched messages one
# at a time, so without a short wait every batch would hold one event. Caught up (live
# traffic), a batch does not wait. Bounds the latency batching adds.
BATCH_WAIT_SECONDS = 0.01
BATCH_POLL_SECONDS = 0.002


def set_current_event(stream: StreamT[Any], event: EventT[Any]) -> None:
    """Make `event` the one a Table read or write belongs to: Faust takes the changelog
    partition, and RocksDB the partition it reads and writes, from the current event, which
    in a batch is the stream's last, not the key's own."""
    stream._set_current_event(event)  # type: ignore[attr-defined]


async def more_coming(queue: Any, last: EventT[Any], end_offsets: Mapping[Any, int]) -> bool:
    """True when the stream has another event buffered now, or, when `last`'s partition has
    more messages, within BATCH_WAIT_SECONDS. Bounded by time alone: a batch never waits for
    anything that could wait for it."""
    if not queue.empty():
        return True
    end = end_offsets.get(last.message.tp)
    if end is None or end <= last.message.offset + 1:
        return False  # caught up: handle the batch now
    for _ in range(round(BATCH_WAIT_SECONDS / BATCH_POLL_SECONDS)):
        await asyncio.sleep(BATCH_POLL_SECONDS)
        if not queue.empty():
            return True
    return False


class Collecting:
    """The events of the batch being collected, released when Faust clears the agents'
    buffers (`flow_control.clear()`, at a rebalance and at stop).

    Faust then waits until every message a stream took is acked (`Consumer.wait_empty`), and
    a batch that is still collecting can neither be handled (the stream stops handing over
    events) nor acked (it was not processed), while Faust's stream keeps a reference to the
    last message it handed over: the wait never ended (the SIGTERM fault test hung so). A
    released message is marked done for that wait only: it is not acked to the consumer, so
    its offset is not committed and it comes again after the rebalance or restart, as the
    buffered messages Faust itself drops do.
    """

    def __init__(self) -> None:
        self.events: list[EventT[Any]] = []

    def clear(self) -> None:
        dropped, self.events = self.events, []
        for event in dropped:
            # What `Consumer.wait_empty` looks at; the consumer's acked offsets, from which
            # it commits, stay without this one.
            event.message.acked = True


async def batches(stream: StreamT[Any], app: AppT) -> AsyncIterator[list[EventT[Any]]]:
    """The stream's events in batches of what it has buffered (at most BATCH_MAX); a batch's
    events are acked when the agent asks for the next batch, i.e. after it handled this one."""
    stream.enable_acks = False
    queue = stream.channel.queue  # type: ignore[attr-defined]
    end_offsets = app.monitor.tp_end_offsets  # per partition, kept by Faust's fetch
    collecting = Collecting()
    app.flow_control.manage_queue(collecting)  # type: ignore[arg-type]  # a weak reference
    async for raw in stream.events():
        collecting.events.append(raw)
        coming = len(collecting.events) < BATCH_MAX and await more_coming(queue, raw, end_offsets)
        del raw  # only `collecting` may hold an unacked event while the stream is awaited
        if coming:
            continue
        batch, collecting.events = collecting.events, []
        yield batch
        for done in batch:
            await stream.ack(done)


_DELETED = object()


class WriteBack(MutableMapping[str, Any]):
    """A Table as a batch sees it: reads see the batch's own writes, and `flush` writes each
    changed key to the Table once, as the event that last changed it (so to that event's
    changelog partition). Set `event` to the event being handled before handling it.

    Rows may be mutated in place after a read (the measures buckets are): every key written
    in the batch is flushed, never compared with what the Table holds.
    """

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table
        self.event: EventT[Any] | None = None
        self.pending: dict[str, tuple[Any, EventT[Any] | None]] = {}
        #: Flushes that wrote something: unchanged, the Table holds what it held (unless
        #: Faust itself wrote to it: a recovery after a rebalance).
        self.version = 0

    def get(self, key: str, default: Any = None) -> Any:
        found = self.pending.get(key)
        if found is None:
            return self.table.get(key, default)
        return default if found[0] is _DELETED else found[0]

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _DELETED)
        if value is _DELETED:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        found = self.pending.get(key)  # type: ignore[call-overload]
        if found is None:
            return key in self.table
        return found[0] is not _DELETED

    def __setitem__(self, key: str, value: Any) -> None:
        self.pending[key] = (value, self.event)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.pending[key] = (_DELETED, self.event)

    def __iter__(self) -> Iterator[str]:
        for key in list(self.table):
            if key not in self.pending:
                yield key
        for key, (value, _event) in list(self.pending.items()):
            if value is not _DELETED:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self, stream: StreamT[Any]) -> None:
        """Write every changed key once, each as the event that last changed it."""
        if self.pending:
            self.version += 1
        for key, (value, event) in self.pending.items():
            if event is not None:
                set_current_event(stream, event)
            if value is not _DELETED:
                self.table[key] = value
            elif key in self.table:
                del self.table[key]
        self.pending.clear()
