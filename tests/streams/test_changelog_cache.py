"""The changelog buffer sends one write per key per commit (streams/changelog_buffer.py).

A Table write is held until the next flush (the one `Consumer.commit` awaits before it
commits offsets); a later write of the same key replaces it. These tests drive the buffer
alone with a recording channel; the worker's app installs it.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from pillarwatch.streams.app import create_app
from pillarwatch.streams.changelog_buffer import CoalescingBuffer
from pillarwatch.streams.settings import Settings


class Channel:
    """Where changelog messages go: records (key, value) in the order handed over."""

    def __init__(self) -> None:
        self.published: list[tuple[Any, Any]] = []

    async def publish_message(self, fut: Any, wait: bool = False) -> None:
        self.published.append((fut.message.key, fut.message.value))


def write(channel: Channel, key: Any, value: Any, partition: int = 0) -> Any:
    message = SimpleNamespace(channel=channel, key=key, value=value, partition=partition)
    return SimpleNamespace(message=message)


async def started(max_held: int = 10_000) -> CoalescingBuffer:
    buffer = CoalescingBuffer()
    buffer.max_held = max_held
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))  # type: ignore[assignment]
    await buffer.start()
    return buffer


async def writes_then_flush(puts: list[tuple[Any, Any, int]], max_held: int = 10_000) -> Any:
    buffer = await started(max_held)
    channel = Channel()
    for key, value, partition in puts:
        buffer.put(write(channel, key, value, partition))
    await asyncio.sleep(0.05)  # the sender task runs: held writes must not go out yet
    before_flush = list(channel.published)
    await buffer.flush()
    after_flush = list(channel.published)
    await buffer.stop()
    return before_flush, after_flush, buffer


def test_a_key_written_three_times_before_a_commit_sends_only_its_last_value() -> None:
    puts = [("c1", 1, 0), ("c2", 10, 0), ("c1", 2, 0), ("c1", 3, 0)]
    before, after, buffer = asyncio.run(writes_then_flush(puts))
    assert before == []  # nothing goes out between commits
    assert after == [("c1", 3), ("c2", 10)]  # c1 keeps its first place, with its last value
    assert (buffer.writes, buffer.coalesced, buffer.held) == (4, 2, 0)


def test_the_same_key_on_two_partitions_is_two_rows() -> None:
    _, after, _ = asyncio.run(writes_then_flush([("k", 1, 0), ("k", 2, 1), ("k", 3, 0)]))
    assert after == [("k", 3), ("k", 2)]


def test_a_deletion_replaces_the_held_write() -> None:
    _, after, _ = asyncio.run(writes_then_flush([("k", 1, 0), ("k", None, 0)]))
    assert after == [("k", None)]


def test_an_unhashable_key_is_sent_after_what_was_held_in_order() -> None:
    puts = [("a", 1, 0), (["x"], 2, 0), ("a", 3, 0)]
    before, after, _ = asyncio.run(writes_then_flush(puts))
    assert before == [("a", 1), (["x"], 2)]  # handed over at once, after the held "a"
    assert after == [("a", 1), (["x"], 2), ("a", 3)]


def test_more_keys_than_max_held_go_out_without_waiting_for_a_commit() -> None:
    puts = [(f"k{i}", i, 0) for i in range(5)]
    before, after, _ = asyncio.run(writes_then_flush(puts, max_held=3))
    assert before == [("k0", 0), ("k1", 1), ("k2", 2), ("k3", 3)]
    assert after == [*before, ("k4", 4)]


def test_max_held_zero_sends_every_write() -> None:
    before, after, buffer = asyncio.run(writes_then_flush([("k", 1, 0), ("k", 2, 0)], 0))
    assert before == after == [("k", 1), ("k", 2)]
    assert buffer.coalesced == 0


def test_stopping_the_producer_sends_what_is_held() -> None:
    async def run() -> list[tuple[Any, Any]]:
        buffer = await started()
        channel = Channel()
        buffer.put(write(channel, "k", 1))
        await buffer.stop()  # Faust's stop flushes the buffer (Producer.on_stop, here)
        return channel.published

    assert asyncio.run(run()) == [("k", 1)]


def test_a_release_is_one_item_of_the_send_queue_and_goes_to_send_held_in_order() -> None:
    # One item: Faust's conductor waits while the queue is longer than 100 (`wait_until_ebb`);
    # counted in writes, every commit's release of up to 500 stalled the streams.
    async def run() -> tuple[int, list[list[tuple[Any, Any]]], list[tuple[Any, Any]]]:
        buffer = await started()
        sent: list[list[tuple[Any, Any]]] = []

        async def send_held(writes: list[Any]) -> None:
            sent.append([(fut.message.key, fut.message.value) for fut in writes])

        buffer.send_held = send_held
        channel = Channel()
        for key, value in [("a", 1), ("b", 2), ("a", 3)]:
            buffer.put(write(channel, key, value))
        buffer.release()
        queued = buffer.size
        await buffer.flush()
        await buffer.stop()
        return queued, sent, channel.published

    queued, sent, one_by_one = asyncio.run(run())
    assert queued == 1
    assert sent == [[("a", 3), ("b", 2)]]
    assert one_by_one == []  # nothing went through Faust's per-message path


def test_the_workers_producer_buffers_changelogs_in_a_coalescing_buffer() -> None:
    # End to end (a restore from the changelog after SIGKILL and SIGTERM, fail-over, RocksDB
    # restart) this is covered by tests/integration/test_failures.py, test_two_workers.py and
    # test_rocksdb_restart.py, which run real workers on the embedded broker.
    app = create_app(Settings(broker="kafka://127.0.0.1:9"))
    assert isinstance(app.producer.buffer, CoalescingBuffer)
    assert app.producer.buffer.max_held == 500
    assert app.producer.buffer.send_held is not None  # in batches (streams/changelog_batches.py)


def test_the_bound_is_the_changelog_cache_keys_setting() -> None:
    env = {"PILLARWATCH_BROKER": "kafka://127.0.0.1:9", "PILLARWATCH_CHANGELOG_CACHE_KEYS": "0"}
    app = create_app(Settings.from_env(env))
    buffer = app.producer.buffer
    assert isinstance(buffer, CoalescingBuffer) and buffer.max_held == 0
