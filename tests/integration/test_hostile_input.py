"""The hostile corpus through a real worker on the embedded broker: it stays up, loses nothing.

Every rejected message must be on the dead-letter topic with its raw bytes and reason header;
accepted + rejected + duplicate must equal what was produced; the valid events' figures must
equal the reference computed from the same messages.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.models.config import Config
from pillarwatch.models.events import Rejection, decode
from pillarwatch.produce import produce
from tests.integration.test_pipeline import _mismatches
from tests.support.brokers import private_broker
from tests.support.hostile import corpus
from tests.support.kafka import read_topic
from tests.support.reference import reference
from tests.support.worker import WorkerProcess, total, wait_for, worker_env

pytestmark = pytest.mark.integration


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of this test's own (tests/support/brokers.py says why)."""
    with private_broker(tmp_path) as b:
        yield b


def consumed(worker: WorkerProcess) -> float | None:
    s = worker.samples()
    if not s:
        return None
    return (
        total(s, "pillarwatch_events_total")
        + total(s, "pillarwatch_events_rejected_total")
        + total(s, "pillarwatch_events_duplicate_total")
    )


def test_hostile_corpus_through_the_worker(own_broker: EmbeddedBroker, tmp_path: Path) -> None:
    broker = own_broker
    messages = corpus(seed=5, valid_hours=0.5, hostile=300)
    values = [v for _, v in messages]
    expected = reference(values, Config())
    rejected = [v for v in values if isinstance(decode(v), Rejection)]
    assert sum(expected.rejected.values()) == len(rejected) >= 300

    worker = WorkerProcess(worker_env(broker, tmp_path, "hostile"), tmp_path / "worker.log")
    sent = asyncio.run(produce(worker.settings, messages))
    assert sent == len(messages)
    worker.start()
    try:
        done = wait_for(lambda: consumed(worker) == len(messages), timeout=120, interval=0.2)
        assert done, (
            f"consumed {consumed(worker)} of {len(messages)}; {worker.log.read_text()[-2000:]}"
        )
        assert worker.proc is not None and worker.proc.poll() is None, "the worker died"
        agree = wait_for(
            lambda: (s := worker.samples()) is not None and not _mismatches(s, expected),
            timeout=60,
        )
        samples = worker.samples()
        assert samples is not None
        assert agree, "\n".join(_mismatches(samples, expected)[:20])

        letters = read_topic(broker, worker.settings.dlq_topic, len(rejected))
        assert len(letters) == len(rejected)
        # Same raw bytes (as a multiset) and, for each, the reason the decoder gives.
        assert Counter(v for v, _ in letters) == Counter(rejected)
        for value, headers in letters:
            result = decode(value)
            assert isinstance(result, Rejection)
            assert headers["pillarwatch.reason"] == result.reason.encode()
            assert headers["pillarwatch.detail"] and headers["pillarwatch.source"]
        print(
            f"\nhostile corpus: {len(messages)} messages, {len(rejected)} dead-lettered "
            f"({dict(expected.rejected)}), {expected.duplicates} duplicates"
        )
    finally:
        assert worker.stop() == 0, worker.log.read_text()[-3000:]
