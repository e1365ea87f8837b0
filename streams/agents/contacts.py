"""contacts: the first hop. Decode, validate, dedupe, keep per-contact state, emit outcomes.

Consumes the input topic (key: contact id). Rejects go to the dead-letter topic with the raw
bytes as value and the reason in headers. Outcomes (answered/abandoned, as they happen) and
full summaries (when a contact ends) go to `contact-summaries`, keyed by queue and channel.
An event not keyed by its contact id is forwarded once to a repartition topic keyed by
contact id, and handled from there: the state Table must see all of a contact's events.

Ended contacts stay in the Table as tombstones, and every contact is closed after
`contact_timeout_seconds` without an event (models/contact.py rules), so the Table is bounded
by the contacts of the last timeout and a replay after a crash re-emits nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from faust.types import StreamT
from prometheus_client.core import GaugeMetricFamily

from pillarwatch.models.catalogue import spec
from pillarwatch.models.contact import (
    ContactState,
    Outcome,
    Summary,
    apply,
    expire,
    is_stale,
    needs_state,
    relevant_markers,
    survey,
)
from pillarwatch.models.dedupe import RecentIds
from pillarwatch.models.events import Event, Rejection, decode
from pillarwatch.models.staffing import AgentStateChange
from pillarwatch.models.summaries import to_wire, wire_key
from pillarwatch.streams.metrics import ScrapeCollector, gauge_family
from pillarwatch.streams.spec import AgentSpec

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = ["SPEC", "SWEEP_LIMIT", "install", "load_state", "store_state"]

SPEC = AgentSpec(
    name="contacts",
    consumes="events",
    tables={
        "contacts": "open contacts, and ended ones as tombstones, until contact_timeout_seconds "
        "without an event (swept per partition)",
        "waiting": "contacts waiting in queue now: a row leaves at answer, abandon or end",
    },
    metrics=(
        "pillarwatch_events_total",
        "pillarwatch_events_rejected_total",
        "pillarwatch_events_duplicate_total",
        "pillarwatch_events_late_total",
        "pillarwatch_event_lag_seconds",
        "pillarwatch_contacts_total",
        "pillarwatch_wait_seconds",
        "pillarwatch_handle_seconds",
        "pillarwatch_queue_waiting_contacts",
        "pillarwatch_queue_longest_wait_seconds",
    ),
)

# Stale contacts closed per sweep: bounds the pause one event can cause; the rest go next sweep.
SWEEP_LIMIT = 5000


def store_state(state: ContactState, partition: int) -> dict[str, Any]:
    """The Table row: the state plus the partition whose changelog holds it (for the sweep)."""
    row = state.to_dict()
    row["partition"] = partition
    return row


def load_state(row: dict[str, Any] | None) -> ContactState | None:
    if row is None:
        return None
    fields = dict(row)
    fields.pop("partition", None)
    return ContactState.from_dict(fields)


def install(app: PillarwatchApp) -> None:
    s = app.settings
    m = app.metrics
    events_topic = app.topic(
        s.topic, key_serializer="raw", value_serializer="raw", partitions=s.partitions
    )
    by_contact = app.rekey_topic("contact-events-by-contact", value_serializer="raw")
    dlq = app.topic(s.dlq_topic, key_serializer="raw", value_serializer="raw")
    summaries = app.topic(s.summaries_topic, key_serializer="raw", value_serializer="json")
    contacts = app.Table("contacts", default=None, partitions=s.partitions)
    # Contacts waiting in queue now, for the live gauges: small (rows leave when answered).
    waiting = app.Table("waiting", default=None, partitions=s.partitions)
    recent = RecentIds(s.dedupe_capacity)
    config = s.config
    # Stream time per input partition (streams/clock.py): lateness is judged per partition,
    # as Kafka orders only within one; the measures agent ends its windows at the newest.
    clock = app.clock
    # Per partition: event time of the last sweep. A cache: after a restart it starts empty
    # and the first event of each partition sweeps it.
    partition_time: dict[int, float] = {}
    swept_at: dict[int, float] = {}
    sweep_every = max(60.0, config.contact_timeout_seconds / 8)

    async def reject(raw: Any, rejection: Rejection) -> None:
        m.rejected.labels(rejection.reason).inc()
        msg = raw.message
        headers = [
            ("pillarwatch.reason", rejection.reason.encode()),
            ("pillarwatch.detail", rejection.detail.encode("utf-8", "replace")[:1024]),
            ("pillarwatch.source", f"{msg.topic}/{msg.partition}/{msg.offset}".encode()),
        ]
        await dlq.send(key=raw.key, value=raw.value, headers=headers)

    async def agent_state(event: Event) -> None:
        # No contact state: the change goes to each queue's owner, next to its buckets, where
        # the staffing projection needs both.
        for queue in event.queues:
            change = AgentStateChange(
                queue, event.channel, event.ts, event.agent_id or "", event.state or ""
            )
            await summaries.send(key=wire_key(queue, event.channel).encode(), value=to_wire(change))

    async def emit(items: list[Outcome | Summary]) -> None:
        for item in items:
            queue = m.queue_label(item.queue)
            if isinstance(item, Outcome):
                m.count_outcome(queue, item.channel, item.outcome)
                if item.outcome == "answered":
                    m.wait.labels(queue, item.channel).observe(item.wait)
            elif item.handle is not None:
                m.handle.labels(queue, item.channel).observe(item.handle)
            await summaries.send(
                key=wire_key(item.queue, item.channel).encode(), value=to_wire(item)
            )

    async def close(contact_id: str, state: ContactState) -> None:
        """Expire one contact: emit what the timeout rule says, then forget it."""
        if not state.summary_sent:
            m.expired.inc()
        emitted = expire(state, config)
        del contacts[contact_id]
        if contact_id in waiting:
            del waiting[contact_id]
        await emit(emitted)

    async def sweep(partition: int, ts: float) -> None:
        """Close stale contacts of `partition`, the partition of the event being processed.

        Faust writes a table change to the changelog partition of the current event, so only
        this partition's rows may be deleted now; each row records its partition for this.
        """
        now = partition_time[partition] = max(ts, partition_time.get(partition, 0.0))
        if now < swept_at.get(partition, float("-inf")) + sweep_every:
            return
        swept_at[partition] = now
        stale = []
        for contact_id, row in contacts.items():
            if row is not None and row.get("partition") == partition:
                state = load_state(row)
                if state is not None and is_stale(state, now, config):
                    stale.append((contact_id, state))
                    if len(stale) >= SWEEP_LIMIT:
                        break
        for contact_id, state in stale:
            await close(contact_id, state)

    async def handle(event: Event, raw_key: bytes | None, raw_value: bytes, partition: int) -> None:
        if event.type == "agent.state":
            await agent_state(event)
            return
        key = event.contact_id.encode()
        if raw_key != key:
            await by_contact.send(key=key, value=raw_value)
            return
        await sweep(partition, event.ts)
        if event.type == "survey.answered":
            # Surveys come after the contact has ended (and its state is gone): they carry
            # queue and channel themselves and are counted in the minute they are answered.
            answer = survey(event)
            key = wire_key(answer.queue, answer.channel).encode()
            await summaries.send(key=key, value=to_wire(answer))
            return
        markers = 0
        if event.type == "contact.message":
            markers = relevant_markers(event)
            if not markers and not needs_state(event):
                return  # a plain message changes nothing: no state read, no changelog write
        found = contacts.get(event.contact_id)
        state = load_state(found)
        if state is not None and is_stale(state, event.ts, config):
            await close(event.contact_id, state)  # a new contact reusing an old id
            state = found = None
        state, emitted = apply(state, event, markers, config)
        # Kept after its summary too (a tombstone until the timeout): replays change nothing.
        contacts[event.contact_id] = store_state(state, partition)
        is_waiting = state.queued_ts is not None and not state.outcome_sent
        if is_waiting:
            if found is None or not waiting.get(event.contact_id):
                waiting[event.contact_id] = [state.queue, state.channel, state.queued_ts]
                # Remembered so that an empty queue shows 0 waiting, not no series at all.
                queues_seen.add((m.queue_label(state.queue), state.channel))
        elif event.contact_id in waiting:
            del waiting[event.contact_id]
        await emit(emitted)

    async def process(stream: StreamT[Any], repartitioned: bool) -> None:
        async for raw in stream.events():
            result = decode(raw.value)
            if isinstance(result, Rejection):
                await reject(raw, result)
                continue
            if not repartitioned:
                if recent.seen(result.event_id):
                    m.duplicates.inc()
                    continue
                m.count_event(result.type)
                m.lag.observe(max(0.0, time.time() - result.ts))
                partition = raw.message.partition
                mark = clock.mark(partition)
                if mark is not None and result.ts < mark - config.lateness_seconds:
                    m.late.inc()
                clock.observe(partition, result.ts)
            await handle(result, raw.key, raw.value, raw.message.partition)

    @app.agent(events_topic, name="contacts")
    async def contacts_agent(stream: StreamT[Any]) -> None:
        await process(stream, repartitioned=False)

    @app.agent(by_contact, name="contacts-repartitioned")
    async def contacts_repartitioned(stream: StreamT[Any]) -> None:
        await process(stream, repartitioned=True)

    waiting_spec = spec("pillarwatch_queue_waiting_contacts")
    longest_spec = spec("pillarwatch_queue_longest_wait_seconds")

    # (queue label, channel) pairs this worker has queued contacts for; bounded by the queue
    # label cap times the five channels. A derived view for the gauges, not state of record.
    queues_seen: set[tuple[str, str]] = set()

    def live_gauges() -> Iterator[GaugeMetricFamily]:
        # Event time: "now" is the newest event seen, so a backfill shows sane waits.
        now = clock.now() or 0.0
        counts: dict[tuple[str, str], int] = dict.fromkeys(queues_seen, 0)
        oldest: dict[tuple[str, str], float] = {}
        for row in waiting.values():
            if not row:
                continue
            key = (m.queue_label(row[0]), row[1])
            counts[key] = counts.get(key, 0) + 1
            oldest[key] = min(oldest.get(key, row[2]), row[2])
        n_family, w_family = gauge_family(waiting_spec), gauge_family(longest_spec)
        for key, count in sorted(counts.items()):
            n_family.add_metric(list(key), count)
            w_family.add_metric(list(key), max(0.0, now - oldest.get(key, now)))
        yield n_family
        yield w_family

    app.registry.register(ScrapeCollector(live_gauges))
