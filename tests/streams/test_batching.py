"""The write-back view a batch writes through (streams/batching.py) and the scrape cache."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from mode.utils.queues import FlowControlEvent
from prometheus_client.core import GaugeMetricFamily

from pillarwatch.streams.batching import WriteBack, batches
from pillarwatch.streams.metrics import cached_scrape


class CountingTable(dict[str, Any]):
    """A Table stand-in that records every write and delete (each is a changelog message)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.writes: list[tuple[str, Any, Any]] = []
        self.current: Any = None

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append(("set", key, self.current))
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes.append(("del", key, self.current))
        super().__delitem__(key)


class Stream:
    def __init__(self, table: CountingTable) -> None:
        self.table = table

    def _set_current_event(self, event: Any) -> None:
        self.table.current = event


def test_each_changed_key_is_written_once_as_its_last_event() -> None:
    table = CountingTable({"a": 1, "gone": 0})
    view = WriteBack(table)
    for event, value in (("e1", 2), ("e2", 3), ("e3", 4)):
        view.event = event
        view["a"] = view["a"] + 1 if "a" in view else value
    view.event = "e4"
    view["b"] = 10
    del view["gone"]
    assert view.get("a") == 4 and view["b"] == 10 and "gone" not in view
    assert sorted(view) == ["a", "b"] and table == {"a": 1, "gone": 0}  # nothing written yet
    view.flush(Stream(table))  # type: ignore[arg-type]
    assert table == {"a": 4, "b": 10}
    assert sorted(table.writes) == [("del", "gone", "e4"), ("set", "a", "e3"), ("set", "b", "e4")]
    assert view.pending == {}


def test_deleting_a_missing_key_fails_like_a_table() -> None:
    view = WriteBack(CountingTable())
    with pytest.raises(KeyError):
        del view["nothing"]
    with pytest.raises(KeyError):
        view["nothing"]


def test_version_moves_only_when_a_flush_wrote() -> None:
    table = CountingTable()
    view = WriteBack(table)
    view.flush(Stream(table))  # type: ignore[arg-type]
    assert view.version == 0
    view["k"] = 1
    view.flush(Stream(table))  # type: ignore[arg-type]
    assert view.version == 1


def test_scrape_cache_recomputes_only_when_its_key_changes() -> None:
    calls: list[int] = []
    key: list[Any] = [1]

    def produce() -> Iterator[GaugeMetricFamily]:
        calls.append(1)
        family = GaugeMetricFamily("x", "x", labels=["n"])
        family.add_metric([str(len(calls))], 1.0)
        yield family

    cached = cached_scrape(produce, lambda: key[0])
    first = list(cached())
    assert list(cached()) == first and len(calls) == 1
    key[0] = 2
    assert list(cached()) != first and len(calls) == 2
    key[0] = None  # never cached
    list(cached())
    list(cached())
    assert len(calls) == 4


class Message:
    tp = ("in", 0)
    offset = 0
    acked = False


class Event:
    def __init__(self) -> None:
        self.message = Message()


class BlockedStream:
    """A stream that hands over one event and then waits forever, its buffer looking
    non-empty: a batch waiting for its next event when Faust stops the consumer."""

    def __init__(self) -> None:
        self.enable_acks = True
        self.channel = SimpleNamespace(queue=SimpleNamespace(empty=lambda: False))
        self.given: list[weakref.ref[Event]] = []
        self.keep: Event | None = None

    async def events(self) -> AsyncIterator[Event]:
        event = Event()
        self.given.append(weakref.ref(event))
        yield event
        del event
        await asyncio.Event().wait()


def test_a_batch_being_collected_is_dropped_when_faust_clears_the_buffers() -> None:
    """Faust's stop and rebalance clear the agents' buffers, then wait until every message an
    agent took is marked acked (`wait_empty`). A batch waiting for its next event kept that
    wait going forever (the SIGTERM fault test hung so): its events are released."""
    flow = FlowControlEvent()
    app = SimpleNamespace(flow_control=flow, monitor=SimpleNamespace(tp_end_offsets={}))
    stream = BlockedStream()

    async def go() -> None:
        task = asyncio.ensure_future(anext(batches(stream, app)))  # type: ignore[arg-type]
        for _ in range(10):
            await asyncio.sleep(0)
        taken = stream.given[0]()
        assert taken is not None and not taken.message.acked  # held by the batch
        stream.keep = taken  # Faust's stream keeps the last message it handed over
        flow.suspend()
        flow.clear()
        assert taken.message.acked  # wait_empty ends; never acked to the consumer, so the
        assert not task.done()  # offset is not committed and the event comes again
        task.cancel()

    asyncio.run(go())
