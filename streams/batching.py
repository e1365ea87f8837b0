"""Batches of what an agent's stream has buffered, acked once the agent has handled them.

`batches` is not Faust's `take_events`: that runs the stream in a background task and reads
`stream.current_event` after awaiting the previous batch, while a batch's Table writes must
move `current_event` to each key's own event (the changelog and RocksDB partition come from
it), so an event that arrives during a batch can be recorded as an older one: never
processed, never acked, the partition's commits stuck (docs/performance.md, "Batching").
Here the agent's own task iterates, a batch ends as soon as the stream's buffer is empty
(after up to BATCH_WAIT_SECONDS when the partition has a backlog: it waits for time alone,
never for anything that could wait for it), and a batch's events are acked only after the
agent has handled it, so a crash replays them.

A batch still being collected when Faust clears the agents' buffers (at a rebalance and at
stop) is released (`Collecting`): without that, Faust's stop and rebalance waited for it
forever (docs/performance.md, "The first hop's stop stall").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from faust.types import AppT, EventT, StreamT

__all__ = [
    "BATCH_MAX",
    "BATCH_POLL_SECONDS",
    "BATCH_WAIT_SECONDS",
    "Collecting",
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


async def more_coming(
    queue: Any, last: EventT[Any], end_offsets: Mapping[Any, int], flowing: Callable[[], bool]
) -> bool:
    """True when the stream has another event buffered now, or, when `last`'s partition has
    more messages, within BATCH_WAIT_SECONDS. Bounded by time alone: a batch never waits for
    anything that could wait for it. False as soon as Faust suspends the flow (`flowing()`
    false: a stop or a rebalance), so the batch is handled and acked now, before Faust waits
    for it."""
    if not flowing():
        return False
    if not queue.empty():
        return True
    end = end_offsets.get(last.message.tp)
    if end is None or end <= last.message.offset + 1:
        return False  # caught up: handle the batch now
    for _ in range(round(BATCH_WAIT_SECONDS / BATCH_POLL_SECONDS)):
        await asyncio.sleep(BATCH_POLL_SECONDS)
        if not flowing():
            return False
        if not queue.empty():
            return True
    return False


class Collecting:
    """The events of the batch being collected, released when Faust clears the agents'
    buffers (`app.flow_control.clear()`, at a rebalance and at stop) while the batch waits
    for its next event.

    Faust then waits until every message a stream took is acked (`Consumer.wait_empty`, in
    `App._stop_consumer` and `App._on_partitions_revoked`). A batch that asked for its next
    event because the buffer was not empty waits for it in Faust's stream iterator, and the
    clear takes that event away: the batch could be neither handled (no event comes until the
    flow resumes, which needs the wait to end) nor acked, so the stop or the rebalance hung
    (the worker was killed after its stop timeout; a rebalance held up the group). A released
    message is marked done for that wait only: it is not acked to the consumer, so its offset
    is not committed, and it comes again after the rebalance or restart, like the buffered
    messages Faust itself drops. Nothing of it was handled: the first hop counts, decodes and
    writes only when a batch is handled. A batch that is not waiting for the stream (it is in
    `more_coming`) is not released: it sees the flow suspended and is handled and acked now.
    """

    def __init__(self) -> None:
        self.events: list[EventT[Any]] = []
        #: True while the agent waits in Faust's stream iterator for the batch's next event.
        self.awaiting_stream = False

    def clear(self) -> None:
        """Called by Faust's flow control (`FlowControlEvent.clear`), as for a buffer queue."""
        if self.awaiting_stream:
            self.release()

    def release(self) -> None:
        dropped, self.events = self.events, []
        for event in dropped:
            # What `Consumer.wait_empty` looks at (through `_clean_unacked_messages`); the
            # consumer's acked offsets, from which it commits, stay without this one.
            event.message.acked = True


async def batches(stream: StreamT[Any], app: AppT) -> AsyncIterator[list[EventT[Any]]]:
    """The stream's events in batches of what it has buffered (at most BATCH_MAX); a batch's
    events are acked when the agent asks for the next batch, i.e. after it handled this one."""
    stream.enable_acks = False
    queue = stream.channel.queue  # type: ignore[attr-defined]
    end_offsets = app.monitor.tp_end_offsets  # per partition, kept by Faust's fetch
    flowing = app.flow_control.is_active
    collecting = Collecting()
    # Held weakly by the flow control; `collecting` lives as long as this generator.
    app.flow_control.manage_queue(collecting)  # type: ignore[arg-type]
    async for raw in stream.events():
        collecting.awaiting_stream = False
        collecting.events.append(raw)
        if not flowing():
            # Handed over after the flow was suspended (Faust checks before its last await):
            # it comes again after the rebalance or restart, with the batch it joined.
            collecting.release()
            del raw
            continue
        coming = len(collecting.events) < BATCH_MAX and await more_coming(
            queue, raw, end_offsets, flowing
        )
        del raw  # only `collecting` may hold an unacked event while the stream is awaited
        if coming:
            collecting.awaiting_stream = True
            continue
        batch, collecting.events = collecting.events, []
        yield batch
        for done in batch:
            await stream.ack(done)
