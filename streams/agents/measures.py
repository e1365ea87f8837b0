"""measures: the by-queue agent. Minute buckets per queue and channel, the queue-keyed
pillars, the one re-key by customer; windows and pillar scores at scrape time.

Consumes `contact-summaries` (key: queue and channel, so one worker owns all of a queue's
buckets) and decodes each message once; a message holds one record or several of its key
(models/summaries.py `wire_records`), and each bucket row a message touches is written once
(streams/write_back.py). A summary is added to its bucket, given to every
queue-keyed pillar (models/pillars: expectations, empathy; their signals come back through
the topic like everyone else's) and, when it carries a customer id, re-keyed once onto the
by-customer topic for the customers agent. The buckets are plain Tables keyed by (queue,
channel, minute), expired here: Faust's windowed tables leak state after recovery and lose
windows on rebalance (docs/architecture.md). streams/bucket_tables.py has the tables, their
typed keys and why a redelivered or re-emitted item is counted once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from faust.types import EventT, StreamT
from prometheus_client.core import GaugeMetricFamily

from pillarwatch.models.catalogue import spec
from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import Signal, evaluate_signals, signal_pillars
from pillarwatch.models.staffing import AgentStateChange
from pillarwatch.models.summaries import from_wire, wire_records
from pillarwatch.models.windows import WINDOW_MINUTES, evaluate
from pillarwatch.streams.acks import handle_each
from pillarwatch.streams.bucket_tables import (
    add,
    add_journey_delta,
    add_signal,
    read_rows,
    set_agent_state,
)
from pillarwatch.streams.metrics import (
    LIVE_GAUGES,
    PARTITION_GAUGES,
    ScrapeCollector,
    gauge_family,
    scrape_gauge_names,
)
from pillarwatch.streams.outbox import Outbox
from pillarwatch.streams.pillar_runtime import queue_signals
from pillarwatch.streams.spec import AgentSpec
from pillarwatch.streams.staffing_export import staffing_samples
from pillarwatch.streams.window_export import MEASURE_GAUGES, final_fcr, offered, result_samples
from pillarwatch.streams.write_back import WriteBack

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = ["MEASURE_GAUGES", "SPEC", "WINDOW_GAUGES", "install"]

#: Every gauge the windows may yield at scrape time (`ScrapeCollector`).
WINDOW_GAUGES = scrape_gauge_names(exclude=(*PARTITION_GAUGES, *LIVE_GAUGES))

SPEC = AgentSpec(
    name="measures",
    consumes="summaries",
    tables={
        "minute-buckets": "minutes of the last hour (+1) per queue and channel, pillar signal "
        "minutes likewise, FCR hours of the longest repeat window + 2 h, the agents present; "
        "older ones expire"
    },
    metrics=(
        "pillarwatch_window_contacts",
        "pillarwatch_service_level_ratio",
        "pillarwatch_abandon_ratio",
        "pillarwatch_average_speed_of_answer_seconds",
        "pillarwatch_average_handle_seconds",
        "pillarwatch_transfer_ratio",
        "pillarwatch_apology_coverage_ratio",
        "pillarwatch_complaint_to_apology_seconds",
        "pillarwatch_repeat_contact_ratio",
        "pillarwatch_first_contact_resolution_ratio",
        "pillarwatch_first_contact_resolution_final_ratio",
        "pillarwatch_journey_contacts",
        "pillarwatch_journey_channel_switches",
        "pillarwatch_journey_wait_seconds",
        "pillarwatch_journey_resolution_seconds",
        "pillarwatch_csat_average",
        "pillarwatch_ces_average",
        "pillarwatch_pillar_score",
        "pillarwatch_pillar_component_score",
    ),
)


def retain_hours(config: Config) -> int:
    """FCR hours kept: the longest repeat window of any queue, plus two."""
    longest = max(
        [config.defaults.repeat_window_seconds]
        + [t.get("repeat_window_seconds", 0.0) for t in config.queue_overrides.values()]
    )
    return 2 + math.ceil(longest / 3600)


def install(app: PillarwatchApp) -> None:
    s = app.settings
    summaries = app.summaries_topic()
    by_customer = app.by_customer_topic()

    buckets = app.Table("minute-buckets", default=None, partitions=s.partitions)
    defs = signal_pillars()  # every signal pillar's signals land here
    by_queue = [p for p in defs.values() if p.keyed_by == "queue"]
    keep_hours = retain_hours(s.config)

    async def handle(event: EventT[Any]) -> None:
        rows = WriteBack(buckets)
        signals = Outbox()
        docs = wire_records(event.value)
        for index, doc in enumerate(docs):
            item = from_wire(doc)  # decoded once, whatever it feeds
            # The records of one message get offsets between its own and the next message's,
            # in order, for the rows that dedupe by offset (items without an id).
            offset = event.message.offset + index / len(docs)
            if isinstance(item, AgentStateChange):
                set_agent_state(rows, item)
            elif isinstance(item, Signal):
                add_signal(rows, item, offset)
            elif isinstance(item, JourneyDelta):
                add_journey_delta(rows, item, offset, keep_hours)
            else:
                add(rows, item, offset)
                if isinstance(item, Summary):
                    # Sent again when a replayed summary is already in its bucket: the sends
                    # of the first time may not have gone out (streams/acks.py); the pillars'
                    # signals carry ids and the customers agent skips a contact it has, so
                    # nothing counts twice.
                    for sig in queue_signals(by_queue, item, s.config):
                        signals.add(sig)
                    if item.customer_id:  # the one re-key by customer (agents/customers.py)
                        await by_customer.send(key=item.customer_id.encode(), value=doc)
        await signals.send(summaries)
        rows.flush()

    @app.agent(summaries, name="measures")
    async def measures_agent(stream: StreamT[Any]) -> None:
        await handle_each(stream, handle)  # acked only when handled (streams/acks.py)

    def window_gauges() -> Iterator[GaugeMetricFamily]:
        found = read_rows(buckets, app.metrics.queue_label)
        rows = found.core
        # Windows end at the worker's event-time clock (streams/clock.py), the same on every
        # worker, not at the newest minute of the queues this worker happens to own.
        end = app.clock.end_minute(max((r[2] for r in rows), default=None))
        core = evaluate(rows, s.config, end)
        extra = (
            evaluate_signals(found.signals, defs, offered(core), end, WINDOW_MINUTES, s.config)
            if end is not None
            else []
        )
        yield from result_samples(core, extra)
        yield from staffing_samples(rows, core, found.agents, s.config, end)
        final = gauge_family(spec("pillarwatch_first_contact_resolution_final_ratio"))
        if rows and end is not None:
            for queue, channel, value in final_fcr(found.hours, end, s.config):
                final.add_metric([queue, channel], value)
        yield final

    app.registry.register(ScrapeCollector(window_gauges, WINDOW_GAUGES))
