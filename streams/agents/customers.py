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

from faust.types import EventT, StreamT

from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.journeys import (
    JourneyState,
    add_contact,
    deltas,
    from_summary,
    resend,
)
from pillarwatch.models.pillars import Pillar, Signal, signal_pillars
from pillarwatch.models.summaries import (
    SweepRequest,
    WireItem,
    by_customer_from_wire,
    to_wire,
)
from pillarwatch.streams.acks import handle_each
from pillarwatch.streams.outbox import Outbox
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


def journey_corrections(
    journeys: Any, summary: Summary, config: Config
) -> tuple[dict[str, Any] | None, list[WireItem]]:
    """The customer's journey with `summary` folded in, to store once the corrections are
    sent (None: nothing changes, the contact is there already), and the corrections."""
    assert summary.customer_id
    window = config.targets(summary.queue, summary.segment).repeat_window_seconds
    found = journeys.get(summary.customer_id)
    state = JourneyState.from_dict(found) if found is not None else None
    contact = from_summary(summary, window)
    again = resend(state, contact.contact_id)
    if again is not None:
        return None, list(again)  # a replay: what it sent the first time, same ids
    state, corrections = add_contact(state, contact)
    if not corrections:
        return None, []
    return state.to_dict(), list(deltas(corrections, contact.contact_id))


def install(app: PillarwatchApp) -> None:
    s = app.settings
    config = s.config
    summaries = app.summaries_topic()
    by_customer = app.by_customer_topic()
    journeys = app.Table("journeys", default=None, partitions=s.partitions)
    pillars = _customer_pillars()
    tables = {p.name: app.Table(p.table, default=None, partitions=s.partitions) for p in pillars}
    runtime = CustomerPillars(pillars, tables, config)

    async def send(*batches: list[WireItem] | list[Signal]) -> None:
        # One message per queue and channel for what one by-customer message yields
        # (streams/outbox.py): a journey's corrections and the pillars' signals mostly share
        # the contact's queue.
        outbox = Outbox()
        for items in batches:
            for item in items:
                outbox.add(item)
        await outbox.send(summaries)

    async def handle(event: EventT[Any]) -> None:
        item = by_customer_from_wire(event.value)  # decoded once, for journeys and every pillar
        if isinstance(item, SweepRequest):
            signals, writes = runtime.sweep(item)
            await send(signals)
            writes.store()
            return
        customer = item.customer_id
        assert customer  # the measures agent re-keys only these
        # Send, then store; and a replay sends again. A worker stopped between the two has
        # stored nothing: the replay (the event is not acked, streams/acks.py) computes and
        # sends the same corrections and signals, with the same ids. A worker killed after it
        # stored can have its state on the changelog and some sends not (the producer sends
        # partitions in no fixed order): the replay finds the contact and sends again what
        # the state says it sent (`resend`, the pillars' outbox). The buckets count an id once.
        journey, corrections = journey_corrections(journeys, item, config)
        signals, writes = runtime.apply(customer, item)
        await send(corrections, signals)
        if journey is not None:
            journeys[customer] = journey
        writes.store()

    @app.agent(by_customer, name="customers")
    async def customers(stream: StreamT[Any]) -> None:
        await handle_each(stream, handle)  # acked only when handled (streams/acks.py)

    @app.timer(interval=1.0, name="customers-sweep")  # type: ignore[untyped-decorator]
    async def sweeper() -> None:
        for request in runtime.due():
            key = request.customer_id.encode()
            await by_customer.send(key=key, value=to_wire(request))
