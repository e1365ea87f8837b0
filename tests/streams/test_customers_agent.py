"""The customers agent in memory: journeys and the customer-keyed pillars, one decode each."""

from __future__ import annotations

import asyncio

from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import Signal
from pillarwatch.models.summaries import WireItem, from_wire
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import summary

SUMMARIES = "contact-summaries"


def fed(agent: str, items: list[WireItem]) -> AgentHarness:
    """A harness after `agent` has handled `items`, for reading what it sent and stored."""

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_items(agent, items)
            return h

    return asyncio.run(go())


def records(h: AgentHarness) -> list[object]:
    """What was sent to contact-summaries, a record per entry."""
    return [from_wire(s.value) for s in h.sent_to(SUMMARIES)]


def test_repeat_contact_emits_corrections() -> None:
    first = summary(0, customer_id="cust-1", contact_id="a", resolved=True)
    repeat = summary(3600, customer_id="cust-1", contact_id="b", start=1_772_449_000.0)

    h = fed("customers", [first, repeat])
    sent = records(h)
    values = [d.delta for d in sent if isinstance(d, JourneyDelta)]
    assert values[0]["fcr_resolved"] == 1.0  # resolved, no repeat yet
    assert {"repeats": 1.0} in [{k: v for k, v in d.items() if k == "repeats"} for d in values]
    assert any(d.get("fcr_resolved") == -1.0 for d in values)  # the repeat takes it back
    assert "cust-1" in h.table("journeys")


def test_one_summary_feeds_journeys_and_every_customer_pillar() -> None:
    """One message of the by-customer topic, one decode: the journey and both pillars."""
    answered = summary(0, customer_id="cust-2", contact_id="c", agent_id="ann", resolved=True)

    h = fed("customers", [answered])
    sent = records(h)
    assert any(isinstance(d, JourneyDelta) for d in sent)
    pillars = {d.pillar for d in sent if isinstance(d, Signal)}
    assert pillars == {"integrity", "personalisation"}
    for table in ("journeys", "integrity-state", "personalisation-state"):
        assert "cust-2" in h.table(table), table


def test_the_measures_agent_rekeys_by_customer_once_and_runs_queue_pillars() -> None:
    """contact-summaries is read once: the summary reaches the by-customer topic once, and
    the queue-keyed pillars (expectations, empathy) signal from the same decode."""
    item = summary(0, customer_id="cust-3", contact_id="d", announced_wait=30.0)

    h = fed("measures", [item])
    rekeyed = h.sent_to("pillarwatch-summaries-by-customer")
    assert [(s.key, s.value["contact_id"]) for s in rekeyed] == [(b"cust-3", "d")]
    assert {s.pillar for s in h.signals()} == {"expectations"}  # no complaint: no empathy


def test_what_one_summary_yields_goes_out_as_one_message_per_queue() -> None:
    """A journey's corrections and the pillars' signals of one by-customer message share the
    contact's queue: one message of `contact-summaries`, its records in order (the journey's
    first), not one message per record."""
    answered = summary(0, customer_id="cust-4", contact_id="e", agent_id="ann", resolved=True)

    h = fed("customers", [answered])
    sent = records(h)
    messages = h.messages_to(SUMMARIES)
    assert len(sent) >= 3  # a correction and a signal of each customer pillar
    assert len(messages) == len({m.key for m in messages}) == 1
    assert isinstance(sent[0], JourneyDelta)
    assert {type(r) for r in sent[1:]} == {Signal}
