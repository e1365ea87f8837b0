"""The worker's fetch loop hands on nothing fetched before a suspend of the flow
(streams/transport.py `Consumer._drain_messages`; docs/reliability.md, "Faust drops
refetched messages after a rebalance").

The loop runs here on a stand-in consumer: a `mode.Service` (for Faust's real `wait_first`)
with the few attributes the loop reads, and a `getmany` that yields one fetched batch. The
fault tests (tests/integration/test_two_workers.py) run the real one through a rebalance.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

from faust.transport.consumer import Consumer as FaustConsumer
from faust.types import TP
from mode import Service

from pillarwatch.streams.consumer import SeekGuardConsumer

PARTITION = TP("by-customer", 1)


class LoopHarness(SeekGuardConsumer):
    """What `_drain_messages` and `perform_seek` read from their consumer, and a record of
    what was handed on and when the seek ran. Only `mode.Service` is set up: Faust's consumer
    would want a transport and a broker."""

    consumer_stopped_errors = ()

    def __init__(self, batches: list[list[int]], cut_at: int | None) -> None:
        Service.__init__(self)
        self.batches = batches
        self.cut_at = cut_at
        self.offered: list[int] = []
        self.handed: list[int] = []
        self.story: list[str] = []
        self.committed = 10
        self.flow_active = True
        self.can_resume_flow = asyncio.Event()
        self.suspend_flow = asyncio.Event()
        self._read_offset: defaultdict[TP, int | None] = defaultdict(lambda: None)
        self._committed_offset: defaultdict[TP, int | None] = defaultdict(lambda: None)
        self._commit_every = None
        self._n_acked = 0
        # Stand-ins for the three Faust objects the loop reads one or two attributes of.
        self.diag = SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None)  # type: ignore[assignment]
        self.app = SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: True))  # type: ignore[assignment]
        self.transport = SimpleNamespace(app=SimpleNamespace(should_stop=False))  # type: ignore[assignment]
        self.fetcher = Service()

    async def seek_to_committed(self) -> dict[TP, int]:
        self.story.append("seek")
        return {PARTITION: self.committed}

    async def _add_gap(self, tp: TP, start: int, end: int) -> None:
        raise AssertionError(f"no gap expected, got {start}..{end}")

    def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        async def batch() -> AsyncIterator[tuple[TP, Any]]:
            if not self.batches:
                self.fetcher._stopped.set()
                return
            for offset in self.batches.pop(0):
                yield PARTITION, SimpleNamespace(offset=offset, topic=PARTITION.topic)

        return batch()

    seek_at: int | None = None

    async def callback(self, message: Any) -> None:
        self.offered.append(message.offset)
        if message.offset == self.seek_at:
            # A rebalance's recovery seeks while this hand-over waits (for the producer's
            # buffer to ebb, say): Faust's recovery does that with the flow running.
            self.seek_at = None
            self.seeking = asyncio.ensure_future(self.perform_seek())
            await asyncio.sleep(0.05)
        if message.offset == self.cut_at:
            # A rebalance starts while this message waits to go into the stream's buffer:
            # the flow is suspended and the hand-over never finishes.
            self.suspend_flow.set()
        if self.suspend_flow.is_set():
            await asyncio.Event().wait()  # a suspended stream buffer takes nothing
        self.handed.append(message.offset)
        self.story.append(f"hand {message.offset}")


def run(drain: Callable[..., Any], batches: list[list[int]], cut_at: int | None) -> LoopHarness:
    async def main() -> LoopHarness:
        harness = LoopHarness(batches, cut_at)
        await asyncio.wait_for(drain(harness, harness.fetcher), timeout=5)
        return harness

    return asyncio.run(main())


def test_a_cut_off_hand_over_is_not_read_and_the_rest_of_the_batch_waits() -> None:
    loop = run(SeekGuardConsumer._drain_messages, [[10, 11, 12, 13, 14, 15]], cut_at=12)

    assert loop.handed == [10, 11]
    assert loop.offered == [10, 11, 12]  # 13..15 are not offered with the flow suspended
    # The seek after the rebalance (or the next fetch) brings 12..15 again; a read offset of
    # 11 lets them through, where 15 would drop them as already read.
    assert loop._read_offset[PARTITION] == 11


def test_without_a_suspend_every_message_is_handed_on_in_order() -> None:
    loop = run(SeekGuardConsumer._drain_messages, [[10, 11, 12], [13, 14]], cut_at=None)

    assert loop.handed == [10, 11, 12, 13, 14]
    assert loop._read_offset[PARTITION] == 14


def test_messages_below_the_read_offset_are_still_dropped() -> None:
    # A redelivery of what was handed on already (Faust's own rule, kept: the read offset
    # itself passes, as after a seek it is the committed offset, the next to read).
    loop = run(SeekGuardConsumer._drain_messages, [[10, 11], [9, 10, 12]], cut_at=None)

    assert loop.handed == [10, 11, 12]


def test_fausts_own_loop_records_the_cut_off_messages_as_read() -> None:
    # Why the copy exists: faust-streaming's loop marks 12..15 read though none was handed
    # on, so after a rebalance their refetch is dropped ("DROPPED MESSAGE ROFF"). When this
    # fails, Faust has changed its loop: re-read it and drop the copy if it is fixed there.
    loop = run(FaustConsumer._drain_messages, [[10, 11, 12, 13, 14, 15]], cut_at=12)

    assert loop.handed == [10, 11]
    assert loop.offered == [10, 11, 12, 13, 14, 15]
    assert loop._read_offset[PARTITION] == 15


def test_a_seek_waits_for_the_loop_to_leave_its_batch_and_nothing_read_is_lost() -> None:
    async def main() -> LoopHarness:
        # The first batch is cut at 12 by the seek; the seek brings 10.. again (the second).
        loop = LoopHarness([[10, 11, 12, 13, 14, 15], [10, 11, 12, 13, 14, 15]], cut_at=None)
        loop.seek_at = 12
        await asyncio.wait_for(SeekGuardConsumer._drain_messages(loop, loop.fetcher), 5)
        await loop.seeking
        return loop

    loop = asyncio.run(main())

    # 12's hand-over was cut off by the seek's stop of the flow; the seek ran once the loop
    # had left the batch; after it, everything from the committed offset came again.
    assert loop.story == ["hand 10", "hand 11", "seek"] + [f"hand {o}" for o in range(10, 16)]
    assert loop._read_offset[PARTITION] == 15
    assert loop.flow_active and not loop.suspend_flow.is_set()  # the flow runs again
