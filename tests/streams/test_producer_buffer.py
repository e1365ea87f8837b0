"""The changelog buffer's flush waits for every Table write (streams/changelog_buffer.py).

Faust's `ProducerBuffer.flush` returned as soon as no message left the buffer for 0.1 s, and
at stop its sender left the rest behind; `Consumer.commit` flushes and then commits offsets,
so a slow send let the offsets of events be committed before their changelog writes were
sent. Faust's own buffer and the worker's, each with sends that take 0.3 s.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace
from typing import Any

from faust.transport.producer import ProducerBuffer

from pillarwatch.streams.changelog_buffer import DrainingBuffer


class SlowChannel:
    """Where a changelog message goes; each hand-over to Kafka takes 0.3 s (a busy worker)."""

    def __init__(self) -> None:
        self.published: list[int] = []

    async def publish_message(self, fut: Any, wait: bool = False) -> None:
        await asyncio.sleep(0.3)
        self.published.append(fut.n)


def message(channel: SlowChannel, n: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(channel=channel), n=n)


async def started_with_three(kind: type[ProducerBuffer]) -> tuple[ProducerBuffer, SlowChannel]:
    """A running buffer of `kind` holding writes 0, 1 and 2."""
    buffer = kind()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))  # type: ignore[assignment]
    channel = SlowChannel()
    await buffer.start()
    for n in range(3):
        buffer.put(message(channel, n))
    return buffer, channel


async def flush_then_stop(kind: type[ProducerBuffer]) -> tuple[list[int], list[int]]:
    buffer, channel = await started_with_three(kind)
    await buffer.flush()  # what Consumer.commit does before it commits offsets
    at_commit = list(channel.published)
    for n in range(3, 6):
        buffer.put(message(channel, n))
    # Faust's raises "Cannot flush: Producer not Running" here, and the rest is dropped.
    with contextlib.suppress(RuntimeError):
        await buffer.stop()
    return at_commit, channel.published


def test_fausts_own_flush_returns_before_the_writes_are_sent() -> None:
    at_commit, at_exit = asyncio.run(flush_then_stop(ProducerBuffer))
    assert at_commit != [0, 1, 2]  # the offsets would be committed without these writes
    assert at_exit != [0, 1, 2, 3, 4, 5]  # and some are never sent


def test_the_workers_flush_returns_when_every_write_is_handed_over() -> None:
    at_commit, at_exit = asyncio.run(flush_then_stop(DrainingBuffer))
    assert at_commit == [0, 1, 2]
    assert at_exit == [0, 1, 2, 3, 4, 5]  # in order, none left behind at stop


async def flush_while_writes_keep_coming() -> tuple[list[int], int]:
    """A flush on a busy worker: agents keep putting writes while the commit flushes."""
    buffer, channel = await started_with_three(DrainingBuffer)

    async def agents() -> None:
        for n in range(3, 100):
            await asyncio.sleep(0.1)
            buffer.put(message(channel, n))

    busy = asyncio.create_task(agents())
    await buffer.flush()
    at_commit = list(channel.published)
    busy.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await busy
    left = buffer.size
    await buffer.stop()
    return at_commit, left


def test_a_flush_waits_for_the_writes_before_it_not_for_those_that_keep_coming() -> None:
    at_commit, left = asyncio.run(flush_while_writes_keep_coming())
    # Every write put before the commit's flush is handed over; the flush then returns with
    # later writes still queued (three more arrive per 0.3 s send), instead of chasing them.
    assert at_commit[:3] == [0, 1, 2]
    assert len(at_commit) < 6
    assert left > 0
