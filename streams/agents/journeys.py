"""journeys: per-customer contact history -> repeat contacts, first-contact resolution, effort.

Summaries of contacts that carry a customer id are routed once more, keyed by customer id, so
one worker sees all of a customer's contacts. The journey code (models/journeys.py) returns
corrections to the journey figures of the customer's contacts; they go back onto
`contact-summaries`, keyed by queue and channel, for the measures agent to add to the right
minute. One extra message per contact with a customer id, plus one per correction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faust.types import StreamT

from pillarwatch.models.contact import Summary
from pillarwatch.models.journeys import JourneyState, add_contact, deltas, from_summary
from pillarwatch.models.summaries import from_wire, to_wire, wire_key
from pillarwatch.streams.agents._contract import AgentSpec

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = ["SPEC", "install"]

SPEC = AgentSpec(
    name="journeys",
    consumes="summaries",
    tables={
        "journeys": "per customer, contacts within twice the repeat window, at most "
        "pillarwatch.models.journeys.MAX_CONTACTS of them",
    },
    # Its figures are corrections added by the measures agent, which exports them.
    metrics=("pillarwatch_repeat_contact_ratio", "pillarwatch_first_contact_resolution_ratio"),
)


def install(app: PillarwatchApp) -> None:
    s = app.settings
    config = s.config
    summaries = app.topic(
        s.summaries_topic, key_serializer="raw", value_serializer="json", partitions=s.partitions
    )
    by_customer = app.rekey_topic("summaries-by-customer", value_serializer="json")
    journeys = app.Table("journeys", default=None, partitions=s.partitions)

    @app.agent(summaries, name="journeys-router")
    async def route(stream: StreamT[Any]) -> None:
        async for doc in stream:
            if doc.get("kind") == "summary" and doc.get("customer_id"):
                await by_customer.send(key=doc["customer_id"].encode(), value=doc)

    @app.agent(by_customer, name="journeys")
    async def journeys_agent(stream: StreamT[Any]) -> None:
        async for doc in stream:
            summary = from_wire(doc)
            assert isinstance(summary, Summary) and summary.customer_id
            window = config.targets(summary.queue, summary.segment).repeat_window_seconds
            found = journeys.get(summary.customer_id)
            state = JourneyState.from_dict(found) if found is not None else None
            state, corrections = add_contact(state, from_summary(summary, window))
            if not corrections:
                continue
            journeys[summary.customer_id] = state.to_dict()
            for delta in deltas(corrections):
                key = wire_key(delta.queue, delta.channel).encode()
                await summaries.send(key=key, value=to_wire(delta))
