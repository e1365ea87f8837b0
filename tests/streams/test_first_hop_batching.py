"""Batching in the first hop, and the condition that stalled Faust's `take_events` with it.

The stall: `take_events` runs the stream in a background task. An event that arrives while a
batch is being handled waits in `add_to_buffer` and then reads `stream.current_event` to
record itself; a batch that writes a Table for each contact must move `current_event` to that
contact's own event (Faust takes the changelog partition from it). The late event is then
recorded as the older one: never handed to the agent, never acked, and its partition's
commits stop there. The first hop iterates the stream in its own task instead
(`FirstHop.process`); these tests put it in that same condition.
"""

from __future__ import annotations

import asyncio
from typing import Any
from unittest import mock

import faust
import orjson
from faust.tables.base import Collection

from pillarwatch.models.contact import ContactState
from pillarwatch.models.summaries import wire_key, wire_records
from pillarwatch.streams.agents import contacts
from pillarwatch.streams.agents.contacts import load_state
from pillarwatch.streams.testing import AgentHarness

T0 = 1_772_445_600


def event(n: int, etype: str, cid: str, dt: float = 0.0) -> tuple[bytes, bytes]:
    doc = {
        "event_id": f"{cid}-{n}",
        "type": etype,
        "ts": T0 + dt,
        "contact_id": cid,
        "channel": "voice",
        "queue": "billing",
    }
    return cid.encode(), orjson.dumps(doc)


def test_take_events_loses_an_event_that_arrives_while_a_batch_moves_current_event() -> None:
    """The stall condition on Faust's own `take_events` (what the first hop does not use)."""
    app = faust.App("take-stall", autodiscover=False, store="memory://", web_enabled=False)
    topic = app.topic("in", key_serializer="raw", value_serializer="raw")
    batches: list[list[int]] = []
    in_batch = asyncio.Event()

    @app.agent(topic)
    async def agent(stream: Any) -> None:
        async for batch in stream.take_events(10, within=0.05):
            batches.append([e.message.offset for e in batch])
            in_batch.set()
            await asyncio.sleep(0.1)  # a send: the next event arrives meanwhile
            stream._set_current_event(batch[0])  # a Table write for this batch's contact

    async def go() -> None:
        app.finalize()
        async with agent.test_context() as wrapper:
            await wrapper.put(b"first", key=b"a", wait=False)
            await asyncio.wait_for(in_batch.wait(), 5)
            await wrapper.put(b"second", key=b"b", wait=False)
            await asyncio.sleep(0.5)

    asyncio.run(go())
    offsets = [o for batch in batches for o in batch]
    # The second message (offset 1) never reached the agent; the first came twice.
    assert 1 not in offsets
    assert offsets.count(0) == 2


def test_each_event_is_applied_once_and_written_to_its_own_partition() -> None:
    """Events of several partitions arrive while a batch is being handled (its sends are
    slow); every contact's row goes to the changelog partition of its own events."""
    writes: list[tuple[str, int | None, Any]] = []
    batch_sizes: list[int] = []
    original_send = Collection.send_changelog
    original_handle = contacts.FirstHop.handle_batch

    def spy_send(self: Collection, partition: int | None, key: Any, *a: Any, **kw: Any) -> Any:
        writes.append((self.name, partition, key))
        return original_send(self, partition, key, *a, **kw)

    async def spy_handle(self: contacts.FirstHop, stream: Any, batch: list[Any], r: bool) -> None:
        batch_sizes.append(len(batch))
        await original_handle(self, stream, batch, r)

    async def slow_capture(topic: Any, key: Any = None, value: Any = None, **kw: Any) -> None:
        await asyncio.sleep(0.01)

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            wrapper = await h._stack.enter_async_context(h.app.agents["contacts"].test_context())
            h._agents["contacts"] = wrapper
            with (
                mock.patch.object(Collection, "send_changelog", spy_send),
                mock.patch.object(contacts.FirstHop, "handle_batch", spy_handle),
                mock.patch("faust.topics.Topic.send", slow_capture),
            ):
                for n, cid in enumerate(["a", "b", "c", "d"]):
                    key, value = event(n, "contact.queued", cid, n)
                    await wrapper.put(key=key, value=value, partition=n % 2, wait=False)
                await asyncio.sleep(0.05)  # the first batch is being handled
                for n, cid in enumerate(["a", "b", "c", "d"]):
                    key, value = event(n + 10, "contact.answered", cid, 30 + n)
                    await wrapper.put(key=key, value=value, partition=n % 2, wait=False)
                for _ in range(100):
                    if sum(batch_sizes) == 8:
                        break
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.1)
            return h

    h = asyncio.run(go())
    assert sum(batch_sizes) == 8, batch_sizes
    assert max(batch_sizes) > 1, "no batch held more than one event"
    for n, cid in enumerate(["a", "b", "c", "d"]):
        state = load_state(h.table("contacts")[cid])
        assert isinstance(state, ContactState)
        assert (state.queued_ts, state.answered_ts) == (T0 + n, T0 + 30 + n)
        assert state.outcome_sent
        parts = {p for table, p, key in writes if table == "contacts" and key == cid}
        assert parts == {n % 2}, (cid, parts)
    assert h.metric("pillarwatch_events_total", type="contact.answered") == 4


def test_a_batch_sends_one_message_per_queue_and_channel_with_its_records_in_order() -> None:
    """Eight events of four contacts in one queue and channel, handled in batches of more
    than one: fewer summaries messages than records, every message of one key, and the
    records, read in message order, are each contact's outcome in event order."""
    messages: list[tuple[Any, Any]] = []
    batch_sizes: list[int] = []
    original_handle = contacts.FirstHop.handle_batch

    async def spy_handle(self: contacts.FirstHop, stream: Any, batch: list[Any], r: bool) -> None:
        batch_sizes.append(len(batch))
        await original_handle(self, stream, batch, r)

    async def capture(topic: Any, key: Any = None, value: Any = None, **kw: Any) -> None:
        await asyncio.sleep(0.01)  # slow sends: events pile up behind the first batch
        if topic.get_topic_name() == "contact-summaries":
            messages.append((key, value))

    async def go() -> None:
        async with AgentHarness() as h:
            wrapper = await h._stack.enter_async_context(h.app.agents["contacts"].test_context())
            with (
                mock.patch.object(contacts.FirstHop, "handle_batch", spy_handle),
                mock.patch("faust.topics.Topic.send", capture),
            ):
                for n, cid in enumerate(["a", "b", "c", "d"]):
                    key, value = event(n, "contact.queued", cid, n)
                    await wrapper.put(key=key, value=value, wait=False)
                await asyncio.sleep(0.05)
                for n, cid in enumerate(["a", "b", "c", "d"]):
                    key, value = event(n + 10, "contact.answered", cid, 30 + n)
                    await wrapper.put(key=key, value=value, wait=False)
                for _ in range(100):
                    if sum(batch_sizes) == 8 and len(wire_records_of(messages)) == 4:
                        break
                    await asyncio.sleep(0.05)

    asyncio.run(go())
    assert max(batch_sizes) > 1, batch_sizes
    records = wire_records_of(messages)
    assert [(r["kind"], r["contact_id"]) for r in records] == [("outcome", cid) for cid in "abcd"]
    assert {key for key, _ in messages} == {wire_key("billing", "voice").encode()}
    assert len(messages) < len(records), messages


def wire_records_of(messages: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    return [record for _, value in messages for record in wire_records(value)]
