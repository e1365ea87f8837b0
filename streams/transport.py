"""Faust's Kafka transport with a short consumer fetch wait.

faust-streaming 0.15 builds the worker's aiokafka consumer with `fetch_max_wait_ms=1500`,
hard-coded (faust/transport/drivers/aiokafka.py, `_create_worker_consumer`), and no setting
changes it. A broker that does not answer a long-poll fetch as soon as data arrives (the
embedded Tansu broker holds every fetch for the full wait; docs/performance.md, "Latency")
then adds up to 1.5 s to every hop: a message produced while the worker's fetch is waiting
is handed over only when the wait ends. A real Kafka broker answers as soon as
`fetch_min_bytes` (1) are there, so there a shorter wait only means an idle worker asks
more often (FETCH_MAX_WAIT_MS apart); a busy one always has data and never waits.

Its consumer also reads the changelogs' end offsets for table recovery from the records, not
from the broker's ListOffsets answer alone (streams/end_offsets.py), and its producer holds
and batches changelog writes (streams/changelog_buffer.py, streams/changelog_batches.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from aiokafka import AIOKafkaConsumer
from faust.transport.drivers import aiokafka as faust_aiokafka

from pillarwatch.streams.changelog_batches import send_batches
from pillarwatch.streams.changelog_buffer import CoalescingBuffer
from pillarwatch.streams.end_offsets import true_end_offsets

__all__ = ["BATCH_CHANGELOGS", "FETCH_MAX_WAIT_MS", "READ_END_OFFSETS", "Producer", "Transport"]

#: How long the broker may hold the worker's fetch when no data is there. Each hop's latency
#: on a broker that always waits this long is up to this much (half of it on average).
FETCH_MAX_WAIT_MS = 100
#: A commit's held changelog writes go out as one record batch per partition
#: (streams/changelog_batches.py); False sends them one by one through Faust (a bench lever).
BATCH_CHANGELOGS = True
#: Table recovery reads each changelog partition's end from its records
#: (streams/end_offsets.py); False trusts the broker's ListOffsets answer (a bench lever).
READ_END_OFFSETS = True


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Read by aiokafka's `start()` when it builds the Fetcher; Faust passes no setting.
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    async def _highwaters(self, partitions: Any) -> Mapping[Any, int]:
        # Table recovery reads changelogs up to these ends: read past a broker that reports
        # a last batch's first offset (streams/end_offsets.py).
        reported = await super()._highwaters(partitions)
        if self.consumer.in_transaction or not READ_END_OFFSETS:
            return reported
        return await true_end_offsets(self._create_probe_consumer, reported)  # type: ignore[return-value]

    def _create_probe_consumer(self) -> AIOKafkaConsumer:
        """A consumer without a group, with the worker consumer's broker and credentials."""
        conf = self.app.conf
        transport: Any = self.transport  # Faust's aiokafka Transport
        auth = faust_aiokafka.credentials_to_aiokafka_auth(
            conf.broker_credentials, conf.ssl_context
        )
        return AIOKafkaConsumer(
            client_id=conf.broker_client_id,
            bootstrap_servers=faust_aiokafka.server_list(transport.url, transport.default_port),
            request_timeout_ms=int(conf.broker_request_timeout * 1000.0),
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            check_crcs=conf.broker_check_crcs,
            **auth,
        )


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Producer(faust_aiokafka.Producer):
    """Faust's aiokafka producer, its changelog buffer a `CoalescingBuffer` (a draining
    flush, one write per key per commit, at most PILLARWATCH_CHANGELOG_CACHE_KEYS held),
    emptied before the Kafka producer closes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.app.conf.producer_threaded:
            buffer = CoalescingBuffer(loop=self.loop, beacon=self.beacon)
            buffer.app = self.app
            settings = self.app.settings  # type: ignore[attr-defined]  # a PillarwatchApp
            buffer.max_held = settings.changelog_cache_keys
            if BATCH_CHANGELOGS:
                buffer.send_held = partial(send_batches, self.app, self)
            self.buffer = buffer

    async def on_stop(self) -> None:
        # Faust closes the Kafka producer here and stops the buffer (a child) only after:
        # what was still buffered went to a closed producer (a SIGTERMed worker of the
        # two-worker fault test crashed so, `ProducerClosed`, exit 1, its rows unsent).
        await self.buffer.flush()
        await super().on_stop()


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport: its consumer with FETCH_MAX_WAIT_MS and read end offsets,
    its producer with a `CoalescingBuffer` (streams/changelog_buffer.py)."""

    Consumer = Consumer
    Producer = Producer
