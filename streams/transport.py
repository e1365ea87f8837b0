"""Faust's Kafka transport with a short consumer fetch wait.

faust-streaming 0.15 builds the worker's aiokafka consumer with `fetch_max_wait_ms=1500`,
hard-coded (faust/transport/drivers/aiokafka.py, `_create_worker_consumer`), and no setting
changes it. A broker that does not answer a long-poll fetch as soon as data arrives (the
embedded Tansu broker holds every fetch for the full wait; docs/performance.md, "Latency")
then adds up to 1.5 s to every hop: a message produced while the worker's fetch is waiting
is handed over only when the wait ends. A real Kafka broker answers as soon as
`fetch_min_bytes` (1) are there, so there a shorter wait only means an idle worker asks
more often (FETCH_MAX_WAIT_MS apart); a busy one always has data and never waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.transport.producer import ProducerBuffer

__all__ = ["FETCH_MAX_WAIT_MS", "DrainingBuffer", "Producer", "Transport"]

#: How long the broker may hold the worker's fetch when no data is there. Each hop's latency
#: on a broker that always waits this long is up to this much (half of it on average).
FETCH_MAX_WAIT_MS = 100


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Read by aiokafka's `start()` when it builds the Fetcher; Faust passes no setting.
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


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
            await super()._send_pending(fut)
        finally:
            self._handed += 1

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


class Producer(faust_aiokafka.Producer):
    """Faust's aiokafka producer, its changelog buffer a `DrainingBuffer`, emptied before
    the Kafka producer closes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.app.conf.producer_threaded:
            buffer = DrainingBuffer(loop=self.loop, beacon=self.beacon)
            buffer.app = self.app
            self.buffer = buffer

    async def on_stop(self) -> None:
        # Faust closes the Kafka producer here and stops the buffer (a child) only after:
        # what was still buffered went to a closed producer (a SIGTERMed worker of the
        # two-worker fault test crashed so, `ProducerClosed`, exit 1, its rows unsent).
        await self.buffer.flush()
        await super().on_stop()


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport: its consumer with FETCH_MAX_WAIT_MS, its producer with a
    `DrainingBuffer`."""

    Consumer = Consumer
    Producer = Producer
