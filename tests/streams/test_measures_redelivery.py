"""The measures agent counts a redelivered summary once (a replay after a crash)."""

from __future__ import annotations

import asyncio

import pytest

from pillarwatch.models.buckets import WIDTH
from pillarwatch.models.contact import Outcome
from pillarwatch.models.summaries import to_wire, wire_key
from pillarwatch.streams.bucket_tables import (
    AgentKey,
    HourKey,
    LatestKey,
    MinuteKey,
    PillarMinuteKey,
    already_applied,
    decode,
)
from pillarwatch.streams.testing import AgentHarness

T0 = 1_772_445_600.0
KEY = wire_key("billing", "voice").encode()
LABELS = {"queue": "billing", "channel": "voice", "window": "5m"}


def outcome(dt: float, cid: str | None = None) -> tuple[bytes, dict[str, object]]:
    contact = cid or f"c{dt}"
    return KEY, to_wire(Outcome("billing", "voice", T0 + dt, "answered", 5.0, True, contact))


def test_replayed_offsets_are_not_counted_again() -> None:
    items = [outcome(i) for i in range(6)]

    async def go() -> tuple[float | None, float | None, float | None]:
        async with AgentHarness() as h:
            await h.feed("measures", items[:4])
            first = h.metric("pillarwatch_window_contacts", **LABELS)
            # The crash: the offset commit was lost, so offsets 1.. are delivered again,
            # followed by new summaries.
            h._agents["measures"].sent_offset = 1
            await h.feed("measures", items[1:])
            after = h.metric("pillarwatch_window_contacts", **LABELS)
            h._agents["measures"].sent_offset = 0
            await h.feed("measures", items[:1])
            again = h.metric("pillarwatch_window_contacts", **LABELS)
            return first, after, again

    assert asyncio.run(go()) == (4, 6, 6)


def test_a_re_emitted_outcome_is_not_counted_again() -> None:
    """The first hop lost its state and emitted the same contact's outcome at a new offset."""

    async def go() -> float | None:
        async with AgentHarness() as h:
            await h.feed("measures", [outcome(1), outcome(2), outcome(1)])
            return h.metric("pillarwatch_window_contacts", **LABELS)

    assert asyncio.run(go()) == 2


def test_already_applied_reads_ids_and_offsets_only_without_an_id() -> None:
    row = {"sums": [0.0] * WIDTH, "offset": 41.0, "seen": ["o:c1"]}
    assert already_applied(row, 50, "o:c1")  # the id, whatever the offset
    assert already_applied(row, 41, None) and already_applied(row, 3, None)
    assert not already_applied(row, 42, "s:c1") and not already_applied(row, 42, None)
    # An earlier message overtaken by a later one around a rebalance (Faust hands on the old
    # position first) is counted: its id is new, though its offset is below the row's.
    assert not already_applied(row, 3, "o:c9")


def test_bucket_keys_decode_to_what_encoded_them() -> None:
    keys = [
        MinuteKey("billing", "voice", 29_540_760),
        PillarMinuteKey("integrity", "billing", "voice", 29_540_760),
        LatestKey("billing", "voice"),
        LatestKey("billing", "voice", "empathy"),
        HourKey("billing", "voice", 492_346),
        AgentKey("billing", "voice", "agent-7"),
    ]
    assert [decode(k.encode()) for k in keys] == keys
    assert len({k.encode() for k in keys}) == len(keys)  # no two kinds share a key
    with pytest.raises(ValueError, match="not a minute-buckets key"):
        decode("billing\x1fvoice\x1fz\x1f1")
