"""streams/outbox.py: one message per key, records in order, at most MAX records each."""

from __future__ import annotations

import asyncio
from typing import Any

from pillarwatch.models.contact import Outcome
from pillarwatch.models.summaries import from_wire, wire_key, wire_records
from pillarwatch.streams.outbox import MAX_RECORDS_PER_MESSAGE, Outbox


class Topic:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Any]] = []

    async def send(self, key: bytes, value: Any) -> None:
        self.sent.append((key, value))


def outcome(queue: str, n: int) -> Outcome:
    return Outcome(queue, "voice", 1_772_445_600.0 + n, "answered", 5.0, True, contact_id=f"c{n}")


def test_records_of_a_key_go_in_one_message_a_lone_one_as_itself() -> None:
    box, topic = Outbox(), Topic()
    for n in range(3):
        box.add(outcome("billing", n))
    box.add(outcome("sales", 9))
    asyncio.run(box.send(topic))
    billing, sales = wire_key("billing", "voice").encode(), wire_key("sales", "voice").encode()
    assert [key for key, _ in topic.sent] == [billing, sales]
    assert isinstance(topic.sent[0][1], list) and isinstance(topic.sent[1][1], dict)
    assert [from_wire(r).ts for r in wire_records(topic.sent[0][1])] == [
        outcome("billing", n).ts for n in range(3)
    ]
    assert box.by_key == {}  # emptied: a second send sends nothing
    asyncio.run(box.send(topic))
    assert len(topic.sent) == 2


def test_a_key_with_more_than_the_limit_is_cut_into_messages_in_order() -> None:
    box, topic = Outbox(), Topic()
    total = 2 * MAX_RECORDS_PER_MESSAGE + 1
    for n in range(total):
        box.add(outcome("billing", n))
    asyncio.run(box.send(topic))
    sizes = [len(wire_records(value)) for _, value in topic.sent]
    assert sizes == [MAX_RECORDS_PER_MESSAGE, MAX_RECORDS_PER_MESSAGE, 1]
    ids = [r["contact_id"] for _, value in topic.sent for r in wire_records(value)]
    assert ids == [f"c{n}" for n in range(total)]
