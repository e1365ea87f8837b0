"""The contacts agent closes contacts that never end, on the partition that owns them."""

from __future__ import annotations

import asyncio

import orjson

from pillarwatch.streams.testing import AgentHarness

T0 = 1_772_445_600
HOUR = 3600


def event(cid: str, etype: str, dt: float) -> tuple[bytes, bytes]:
    doc = {
        "event_id": f"{cid}-{etype}-{dt}",
        "type": etype,
        "ts": T0 + dt,
        "contact_id": cid,
        "channel": "voice",
        "queue": "billing",
    }
    return cid.encode(), orjson.dumps(doc)


def test_stale_contacts_are_swept_and_counted() -> None:
    async def go() -> tuple[AgentHarness, int, dict[str, object], dict[str, object]]:
        async with AgentHarness() as h:
            stuck = [event(f"s{i}", "contact.queued", i) for i in range(20)]
            await h.feed("contacts", stuck, partition=0)
            await h.feed("contacts", [event("p1", "contact.queued", 0)], partition=1)
            before = len(h.table("contacts"))
            # Five hours later (event time) on partition 0: its stale contacts are closed,
            # partition 1's contact is not touched (its changelog lives in partition 1).
            await h.feed("contacts", [event("fresh", "contact.queued", 5 * HOUR)], partition=0)
            return h, before, h.table("contacts"), h.table("waiting")

    h, before, contacts, waiting = asyncio.run(go())
    assert before == 21
    assert set(contacts) == {"p1", "fresh"}
    assert set(waiting) == {"p1", "fresh"}
    assert h.metric("pillarwatch_contacts_expired_total") == 20
    abandoned = [s.value for s in h.sent_to("contact-summaries") if s.value["kind"] == "outcome"]
    assert len(abandoned) == 20 and {a["outcome"] for a in abandoned} == {"short_abandoned"}
