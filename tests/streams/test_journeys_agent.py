"""The journeys agent in memory: a repeat contact corrects the first one's resolution."""

from __future__ import annotations

import asyncio

from pillarwatch.models.summaries import from_wire
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import summary


def test_repeat_contact_emits_corrections() -> None:
    first = summary(0, customer_id="cust-1", contact_id="a", resolved=True)
    repeat = summary(3600, customer_id="cust-1", contact_id="b", start=1_772_449_000.0)

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_items("journeys", [first, repeat])
            return h

    h = asyncio.run(go())
    deltas = [from_wire(s.value) for s in h.sent_to("contact-summaries")]
    values = [d.delta for d in deltas]  # type: ignore[union-attr]
    assert values[0]["fcr_resolved"] == 1.0  # resolved, no repeat yet
    assert {"repeats": 1.0} in [{k: v for k, v in d.items() if k == "repeats"} for d in values]
    assert any(d.get("fcr_resolved") == -1.0 for d in values)  # the repeat takes it back
    assert "cust-1" in h.table("journeys")
