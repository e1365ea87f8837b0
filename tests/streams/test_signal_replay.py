"""Pillar signals are idempotent, like the core buckets: found by the two-worker fail-over
test (tests/integration/test_two_workers.py), where agent-module pillars differed from the
reference in the queues that moved, because a replayed summary or signal was counted again.

Two guards: a customer-keyed pillar remembers which summaries (contact id and time) its
state holds and skips a replay; each signal carries an id (`<summary>:<n>`), and the measures
bucket, like a core bucket, skips an id or a source offset it already holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from pillarwatch.models.pillars import Signal
from pillarwatch.streams.bucket_tables import PillarMinuteKey, decode
from pillarwatch.streams.pillar_runtime import (
    SEEN,
    SEEN_KEEP,
    split_seen,
    summary_id,
    with_seen,
)
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import T0, summary, volume

LABELS = {"queue": "billing", "channel": "voice", "window": "5m"}


def resolved(dt: float, cid: str) -> object:
    return summary(dt, customer_id="cust-1", contact_id=cid, resolved=True)


def test_a_replayed_summary_sends_its_first_signals_again_under_the_same_ids() -> None:
    first = resolved(0, "t1")
    reopened = summary(900, customer_id="cust-1", contact_id="t1", start=T0 + 800, resolved=True)

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            # The replay of `first` after a crash, then a real re-open of the same contact.
            await h.feed_pillar("integrity", [first, first, reopened, first])  # type: ignore[list-item]
            return h

    h = asyncio.run(go())
    sent = h.signals("integrity")
    by_id = {s.ident: s.values for s in sent}
    assert all(by_id)
    # Each replay sends again what `first` sent (from the outbox: its first sends may not
    # have reached the broker), under the same ids, which the buckets count once.
    assert [s.ident for s in sent].count(sent[0].ident) == 3  # first and its two replays
    assert len(sent) == len(by_id) + 2
    values = list(by_id.values())
    assert values.count({"resolved": 1.0}) == 2  # first and the re-open, not the replays
    assert values.count({"reopened": 1.0}) == 1


def test_measures_counts_a_signal_once_by_id_and_by_offset() -> None:
    base = Signal("billing", "voice", T0 + 10, "integrity", {"resolved": 1.0}, "t1@1:0")
    other = replace(base, ident="t2@2:0")
    anonymous = replace(base, ident=None)  # a sweep's signal: offsets only

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_items("measures", volume(10, dt=20))
            # base re-emitted by a replaying pillar arrives at a new offset: skipped.
            await h.feed_items("measures", [base, other, base, anonymous])
            return h

    h = asyncio.run(go())
    rows = h.table("minute-buckets")
    (key,) = [k for k in rows if isinstance(decode(k), PillarMinuteKey)]
    assert decode(key) == PillarMinuteKey("integrity", "billing", "voice", int((T0 + 10) // 60))
    row = rows[key]
    assert row["sums"] == {"resolved": 3.0}  # base, other, anonymous
    assert row["seen"] == ["t1@1:0", "t2@2:0"]


def test_seen_summaries_are_bounded_and_kept_out_of_the_pillars_state() -> None:
    seen: list[str] = []
    state: dict[str, object] | None = {"x": 1}
    for n in range(SEEN_KEEP + 5):
        stored = with_seen(state, seen, f"c{n}@0")
        assert stored is not None
        state, seen = split_seen(stored)
        assert state == {"x": 1}
    assert len(seen) == SEEN_KEEP and seen[-1] == f"c{SEEN_KEEP + 4}@0"
    assert with_seen(None, seen, "c@0") is None
    assert SEEN not in (split_seen({"x": 1})[0] or {})
    assert summary_id(summary(0, contact_id="c", ts=5.0)) == "c@5.0"
    assert summary_id(summary(0, contact_id=None, ts=5.0)) == ""
