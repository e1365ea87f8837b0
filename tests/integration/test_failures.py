"""Faults on the embedded broker: SIGKILL mid-stream, a frozen broker, SIGTERM.

After each, the worker's window measures and pillar scores (computed from its Tables, which
survive restarts through their changelogs) must equal the reference computed from the same
seeded stream. Counters are per process and restart at zero, so they are not compared here.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.models.config import Config
from pillarwatch.produce import produce
from pillarwatch.streams.topics import bootstrap_servers
from tests.support.brokers import private_broker
from tests.support.expected import START, converge, stream
from tests.support.reference import reference
from tests.support.worker import WorkerProcess, total, wait_for, worker_env

pytestmark = pytest.mark.integration


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of this test's own (tests/support/brokers.py says why)."""
    with private_broker(tmp_path) as b:
        yield b


def counted(worker: WorkerProcess) -> float:
    s = worker.samples()
    return total(s, "pillarwatch_events_total") if s else 0.0


def reached(worker: WorkerProcess, share: float) -> bool:
    return counted(worker) >= share


def test_sigkill_mid_stream_then_restart_equals_uninterrupted(
    own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    broker = own_broker
    messages = stream(seed=21, hours=2.5)
    expected = reference([v for _, v in messages], Config())
    worker = WorkerProcess(worker_env(broker, tmp_path, "kill"), tmp_path / "worker.log")
    asyncio.run(produce(worker.settings, messages))
    worker.start()
    try:
        # Kill twice; the second time late in the stream, so that anything counted twice
        # falls inside the final 5m and 1h windows (earlier minutes have left them).
        for fraction in (0.3, 0.9):
            # Each new process counts from zero: wait for this process's share of the stream.
            share = len(messages) * fraction * 0.8
            assert wait_for(partial(reached, worker, share), timeout=120, interval=0.05)
            worker.stop(signal.SIGKILL)
            print(f"\nSIGKILL after >= {share:.0f} of {len(messages)} events counted")
            worker.start()
        converge(worker, expected)
    finally:
        assert worker.stop() == 0, worker.log.read_text()[-3000:]


def test_broker_frozen_30s_while_producing(own_broker: EmbeddedBroker, tmp_path: Path) -> None:
    broker = own_broker
    messages = stream(seed=31, hours=2.0)
    expected = reference([v for _, v in messages], Config())
    worker = WorkerProcess(worker_env(broker, tmp_path, "freeze"), tmp_path / "worker.log")
    settings = worker.settings
    half = len(messages) // 2
    asyncio.run(produce(settings, messages[:half]))
    worker.start()
    frozen_for = 0.0
    try:
        assert wait_for(lambda: counted(worker) >= half, timeout=120, interval=0.2)

        async def keep_sending() -> int:
            # A producer that waits out an outage: requests may take as long as it lasts.
            producer = AIOKafkaProducer(
                bootstrap_servers=bootstrap_servers(settings.broker),
                request_timeout_ms=120_000,
                acks="all",
                linger_ms=5,
            )
            await producer.start()
            try:
                return await produce(settings, messages[half:], rate=150, producer=producer)
            finally:
                await producer.stop()

        sent: list[int] = []
        sender = threading.Thread(target=lambda: sent.append(asyncio.run(keep_sending())))
        sender.start()
        time.sleep(3)
        broker.freeze()
        started = time.monotonic()
        try:
            time.sleep(30)
            during = worker.samples()  # the worker's own web server still answers
        finally:
            broker.thaw()
            frozen_for = time.monotonic() - started
        sender.join(timeout=180)
        assert sent == [len(messages) - half]
        assert during is not None, "the worker's /metrics did not answer during the outage"
        assert worker.proc is not None and worker.proc.poll() is None
        converge(worker, expected, timeout=180)
        print(f"\nbroker frozen {frozen_for:.1f}s; worker converged after thaw")
    finally:
        broker.thaw()
        assert worker.stop() == 0, worker.log.read_text()[-3000:]


def test_sigterm_exits_cleanly_and_commits_offsets(
    own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    broker = own_broker
    messages = stream(seed=41, hours=1.0)
    worker = WorkerProcess(worker_env(broker, tmp_path, "term"), tmp_path / "worker.log")
    asyncio.run(produce(worker.settings, messages))
    worker.start()
    try:
        assert wait_for(lambda: counted(worker) >= len(messages) - 5, timeout=120, interval=0.2)
        stopping = time.monotonic()
        code = worker.stop(signal.SIGTERM, timeout=60)
        took = time.monotonic() - stopping
        assert code == 0, worker.log.read_text()[-3000:]
        print(f"\nSIGTERM: clean exit in {took:.1f}s")
        # Restart, then send markers to every partition: once they are all counted, anything
        # reprocessed from before the SIGTERM would have been counted too (partitions are ordered).
        worker.start()
        markers = [
            (
                f"marker-{i}".encode(),
                orjson.dumps(
                    {
                        "event_id": f"marker-{i}",
                        "type": "contact.queued",
                        "ts": START + 7200,
                        "contact_id": f"marker-{i}",
                        "channel": "chat",
                        "queue": "markers",
                    }
                ),
            )
            for i in range(40)
        ]
        asyncio.run(produce(worker.settings, markers))
        assert wait_for(lambda: counted(worker) >= len(markers), timeout=120, interval=0.2)
        time.sleep(2)  # let any reprocessing that raced the markers show
        assert counted(worker) == len(markers), "events before the SIGTERM were processed again"
    finally:
        assert worker.stop() == 0, worker.log.read_text()[-3000:]
