"""customers: the by-customer agent. Journeys and every customer-keyed pillar, one consumer.

Reads the one by-customer topic (`<app id>-summaries-by-customer`, key: customer id), onto
which the measures agent re-keys each summary that carries a customer id, so one worker sees
all of a customer's contacts. Each summary is decoded once, then:
- the journey code (models/journeys.py) returns corrections to the journey figures of the
  customer's contacts (repeat contacts, first-contact resolution, journey effort);
- every customer-keyed pillar (models/pillars: integrity, personalisation) folds it into the
  customer's state in its own Table (streams/pillar_runtime.py).
Corrections and signals go back onto `contact-summaries`, keyed by queue and channel, for the
measures agent to add to the right minute. A timer sends the pillars' sweep requests
through the same topic, because a Table may be written only while processing a message of
the key's partition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faust.types import StreamT

from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.journeys import JourneyState, add_contact, deltas, from_summary
from pillarwatch.models.pillars import Pillar, Signal, signal_pillars
from pillarwatch.models.summaries import (
    SweepRequest,
    WireItem,
    by_customer_from_wire,
    to_wire,
    wire_key,
)
from pillarwatch.streams.pillar_runtime import CustomerPillars
from pillarwatch.streams.spec import AgentSpec

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = ["SPEC", "install"]


def _customer_pillars() -> list[Pillar]:
    return [p for p in signal_pillars().values() if p.keyed_by == "customer"]


SPEC = AgentSpec(
    name="customers",
    consumes="summaries",
    tables={
        "journeys": "per customer, contacts within twice the repeat window, at most "
        "pillarwatch.models.journeys.MAX_CONTACTS of them",
        **{p.table: p.state_bound for p in _customer_pillars()},
    },
    # Journey figures are corrections added by the measures agent, which exports them; the
    # pillars' gauges and scores likewise.
    metrics=("pillarwatch_repeat_contact_ratio", "pillarwatch_first_contact_resolution_ratio"),
)


def journey_corrections(journeys: Any, summary: Summary, config: Config) -> list[WireItem]:
    """Fold a summary into its customer's journey; the corrections to send (state written)."""
    assert summary.customer_id
    window = config.targets(summary.queue, summary.segment).repeat_window_seconds
    found = journeys.get(summary.customer_id)
    state = JourneyState.from_dict(found) if found is not None else None
    state, corrections = add_contact(state, from_summary(summary, window))
    if not corrections:
        return []
    journeys[summary.customer_id] = state.to_dict()
    return list(deltas(corrections))


def install(app: PillarwatchApp) -> None:
    s = app.settings
    config = s.config
    summaries = app.summaries_topic()
    by_customer = app.by_customer_topic()
    journeys = app.Table("journeys", default=None, partitions=s.partitions)
    pillars = _customer_pillars()
    tables = {p.name: app.Table(p.table, default=None, partitions=s.partitions) for p in pillars}
    runtime = CustomerPillars(pillars, tables, config)

    async def send(items: list[WireItem] | list[Signal]) -> None:
        for item in items:
            await summaries.send(
                key=wire_key(item.queue, item.channel).encode(), value=to_wire(item)
            )

    @app.agent(by_customer, name="customers")
    async def customers(stream: StreamT[Any]) -> None:
        async for doc in stream:
            item = by_customer_from_wire(doc)  # decoded once, for journeys and every pillar
            if isinstance(item, SweepRequest):
                await send(runtime.sweep(item))
                continue
            assert item.customer_id  # the measures agent re-keys only these
            await send(journey_corrections(journeys, item, config))
            await send(runtime.apply(item.customer_id, item))

    @app.timer(interval=1.0, name="customers-sweep")  # type: ignore[untyped-decorator]
    async def sweeper() -> None:
        for request in runtime.due():
            key = request.customer_id.encode()
            await by_customer.send(key=key, value=to_wire(request))
