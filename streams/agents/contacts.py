"""contacts: the first hop. Decode, validate, dedupe, keep per-contact state, emit outcomes.

Consumes the input topic (key: contact id). Rejects go to the dead-letter topic with the raw
bytes as value and the reason in headers. Outcomes (answered/abandoned, as they happen) and
full summaries (when a contact ends) go to `contact-summaries`, keyed by queue and channel.
An event not keyed by its contact id is forwarded once, already decoded, to a repartition
topic keyed by contact id, and handled from there: the state Table must see all of a
contact's events.

Events are handled in batches of what the stream has buffered (streams/batching.py): each
contact's row is read once, every event is applied in order, and at the end of the batch its
outputs are sent, one message per queue and channel holding that key's records in order
(models/summaries.py `wire_records`), then the row is written once, only if it changed. The
batch's events are acked after that write, so a crash replays them.

Ended contacts stay in the Table as tombstones, and every contact is closed after
`contact_timeout_seconds` without an event (models/contact.py rules), so the Table is bounded
by the contacts of the last timeout and a replay after a crash re-emits nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import orjson
from faust.types import EventT, StreamT
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
from pillarwatch.models.summaries import WireItem, to_wire, wire_key
from pillarwatch.streams.batching import batches, set_current_event
from pillarwatch.streams.metrics import LIVE_GAUGES, ScrapeCollector, gauge_family
from pillarwatch.streams.outbox import Outbox
from pillarwatch.streams.spec import AgentSpec

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = [
    "SPEC",
    "SWEEP_LIMIT",
    "FirstHop",
    "decode_forwarded",
    "encode_forwarded",
    "install",
    "load_state",
    "store_state",
]

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
# The outbox of the running batch (streams/outbox.py). Per task: the two first-hop agents
# share one FirstHop and run their batches side by side.
_OUTBOX: ContextVar[Outbox | None] = ContextVar("pillarwatch_first_hop_outbox", default=None)
#: A `contacts` row: the JSON array of the partition whose changelog holds it (for the
#: sweep), then the state's fields (models/contact.py `to_row`). Stored as these bytes, not as
#: a tuple: the Table's value type is bytes (Faust's "raw" serializer), so the same bytes are
#: the changelog's value (the JSON list the json codec wrote before, which a restore still
#: reads) and the row in memory. A queued contact's row takes about 200 bytes that way, where
#: the tuple with its float and string took about 345 (docs/performance.md, "Session 13").
Row = bytes
#: A `waiting` row: (queue, channel, queued_ts).
WaitingRow = tuple[Any, ...]


def store_state(state: ContactState, partition: int) -> Row:
    """The Table row: the partition, then the state's fields (models/contact.py `to_row`)."""
    # Copied to its own size: orjson hands back a buffer of 4 KB or more whatever the length
    # (orjson >= 3.12 does not trim it; ijl/orjson's writer, and home-assistant/core#181240),
    # and this one is kept for as long as the contact is open.
    return bytes(memoryview(orjson.dumps((partition, *state.to_row()))))


def load_state(row: Row | tuple[Any, ...] | list[Any] | None) -> ContactState | None:
    """The state of a row: its stored bytes, or (for a caller that has them) its values."""
    if row is None:
        return None
    values = orjson.loads(row) if isinstance(row, bytes | bytearray | memoryview) else row
    return ContactState.from_row(values[1:])


def _partition_prefix(partition: int) -> bytes:
    """How a row of `partition` starts: `[3,`, as orjson writes it and as Faust's json codec
    (which may add a space after the comma) wrote it."""
    return b"[%d," % partition


_EVENT_NAMES = tuple(Event.__dataclass_fields__)
_EVENT_FIELDS = attrgetter(*_EVENT_NAMES)
_QUEUES = _EVENT_NAMES.index("queues")


def encode_forwarded(event: Event) -> bytes:
    """The repartition topic's value: the validated event's fields, so it is decoded once."""
    return orjson.dumps(_EVENT_FIELDS(event))


def decode_forwarded(value: bytes | None) -> Event | Rejection:
    try:
        values = orjson.loads(value or b"null")
    except orjson.JSONDecodeError as exc:
        return Rejection("not_json", f"forwarded event (from this app's own hop): {exc}")
    if not isinstance(values, list) or len(values) != len(_EVENT_NAMES):
        return Rejection("not_object", f"forwarded event: expected {len(_EVENT_NAMES)} fields")
    values[_QUEUES] = tuple(values[_QUEUES])
    return Event(*values)


@dataclass(slots=True)
class Pending:
    """One contact during a batch: its rows as read at the start and as they are now."""

    event: EventT[Any]  # its latest event: the rows are written to this event's partition
    partition: int
    stored: Row | None
    state: ContactState | None
    stored_waiting: WaitingRow | None
    waiting: WaitingRow | None


class FirstHop:
    """The first hop's steps, one method each: decode, route, apply, emit, sweep, gauges."""

    def __init__(self, app: PillarwatchApp) -> None:
        s = app.settings
        self.app = app
        self.metrics = app.metrics
        self.config = s.config
        # Stream time per input partition (streams/clock.py): lateness is judged per partition,
        # as Kafka orders only within one; the measures agent ends its windows at the newest.
        self.clock = app.clock
        self.events_topic = app.topic(
            s.topic, key_serializer="raw", value_serializer="raw", partitions=s.partitions
        )
        self.by_contact = app.rekey_topic("contact-events-by-contact", value_serializer="raw")
        self.dlq = app.topic(s.dlq_topic, key_serializer="raw", value_serializer="raw")
        self.summaries = app.topic(s.summaries_topic, key_serializer="raw", value_serializer="json")
        self.contacts = app.Table(
            "contacts", default=None, partitions=s.partitions, value_type=bytes
        )
        # Contacts waiting in queue now, for the live gauges: small (rows leave when answered).
        self.waiting = app.Table("waiting", default=None, partitions=s.partitions)
        self.recent = RecentIds(s.dedupe_capacity)
        # Per partition: newest event time and event time of the last sweep. A cache: after a
        # restart it starts empty and the first event of each partition sweeps it.
        self.partition_time: dict[int, float] = {}
        self.swept_at: dict[int, float] = {}
        self.sweep_every = max(60.0, self.config.contact_timeout_seconds / 8)
        # (queue label, channel) pairs this worker has queued contacts for; bounded by the queue
        # label cap times the five channels. A derived view for the gauges, not state of record.
        self.queues_seen: set[tuple[str, str]] = set()
        self.waiting_spec = spec("pillarwatch_queue_waiting_contacts")
        self.longest_spec = spec("pillarwatch_queue_longest_wait_seconds")

    # The loop -----------------------------------------------------------------------------
    async def process(self, stream: StreamT[Any], repartitioned: bool) -> None:
        """Handle the stream in batches (streams/batching.py); a batch is acked once written."""
        async for batch in batches(stream, self.app):
            await self.handle_batch(stream, batch, repartitioned)

    async def handle_batch(
        self, stream: StreamT[Any], batch: list[EventT[Any]], repartitioned: bool
    ) -> None:
        pending: dict[str, Pending] = {}
        outbox = Outbox()
        token = _OUTBOX.set(outbox)
        try:
            for raw in batch:
                # Table reads and writes belong to this event: RocksDB reads a key from the
                # partition of the current event only, and the stream has moved on to the last.
                set_current_event(stream, raw)
                event = await self.decode(raw, repartitioned)
                if event is None:
                    continue
                partition = raw.message.partition
                if not await self.route(event, raw):
                    continue
                if self.sweep_due(partition, event.ts):
                    await self.write(stream, pending)  # the sweep must see this batch's rows
                    set_current_event(stream, raw)  # its deletes go to this partition
                    await self.sweep(partition)
                await self.apply(event, raw, partition, pending)
        finally:
            _OUTBOX.reset(token)
        await outbox.send(self.summaries)  # before the write: a crash between them replays
        await self.write(stream, pending)

    # Decode -------------------------------------------------------------------------------
    async def decode(self, raw: EventT[Any], repartitioned: bool) -> Event | None:
        """The event, once: dead-lettered if invalid; on the input, deduped and counted."""
        result = decode_forwarded(raw.value) if repartitioned else decode(raw.value)
        if isinstance(result, Rejection):
            await self.reject(raw, result)
            return None
        if repartitioned:
            return result  # counted when it came in on the input topic
        m = self.metrics
        if self.recent.seen(result.event_id):
            m.duplicates.inc()
            return None
        m.count_event(result.type)
        m.lag.observe(max(0.0, time.time() - result.ts))
        partition = raw.message.partition
        mark = self.clock.mark(partition)
        if mark is not None and result.ts < mark - self.config.lateness_seconds:
            m.late.inc()
        self.clock.observe(partition, result.ts)
        return result

    async def reject(self, raw: EventT[Any], rejection: Rejection) -> None:
        self.metrics.rejected.labels(rejection.reason).inc()
        msg = raw.message
        headers = [
            ("pillarwatch.reason", rejection.reason.encode()),
            ("pillarwatch.detail", rejection.detail.encode("utf-8", "replace")[:1024]),
            ("pillarwatch.source", f"{msg.topic}/{msg.partition}/{msg.offset}".encode()),
        ]
        await self.dlq.send(key=raw.key, value=raw.value, headers=headers)

    # Route --------------------------------------------------------------------------------
    async def route(self, event: Event, raw: EventT[Any]) -> bool:
        """Send on what needs no contact state; True when the event goes on to `apply`."""
        if event.type == "agent.state":
            # No contact state: the change goes to each queue's owner, next to its buckets,
            # where the staffing projection needs both.
            for queue in event.queues:
                change = AgentStateChange(
                    queue, event.channel, event.ts, event.agent_id or "", event.state or ""
                )
                await self.send(change)
            return False
        key = event.contact_id.encode()
        if raw.key != key:
            await self.by_contact.send(key=key, value=encode_forwarded(event))
            return False
        return True

    # Apply --------------------------------------------------------------------------------
    async def apply(
        self, event: Event, raw: EventT[Any], partition: int, pending: dict[str, Pending]
    ) -> None:
        """Fold one event into its contact's state (read once per batch) and emit."""
        if event.type == "survey.answered":
            # Surveys come after the contact has ended (and its state is gone): they carry
            # queue and channel themselves and are counted in the minute they are answered.
            await self.send(survey(event))
            return
        markers = 0
        if event.type == "contact.message":
            markers = relevant_markers(event)
            if not markers and not needs_state(event):
                return  # a plain message changes nothing: no state read, no changelog write
        contact = pending.get(event.contact_id)
        if contact is None:
            contact = pending[event.contact_id] = self.read(event.contact_id, raw, partition)
        contact.event, contact.partition = raw, partition
        state = contact.state
        if state is not None and is_stale(state, event.ts, self.config):
            await self.close(contact)  # a new contact reusing an old id
            state = None
        had_state = state is not None
        state, emitted = apply(state, event, markers, self.config)
        contact.state = state
        if state.queued_ts is not None and not state.outcome_sent:
            if not had_state or not contact.waiting:
                contact.waiting = (state.queue, state.channel, state.queued_ts)
                # Remembered so that an empty queue shows 0 waiting, not no series at all.
                self.queues_seen.add((self.metrics.queue_label(state.queue), state.channel))
        else:
            contact.waiting = None
        await self.emit(emitted)

    def read(self, contact_id: str, raw: EventT[Any], partition: int) -> Pending:
        """A contact's rows. The `waiting` row as a tuple: a store that serializes (RocksDB,
        or a changelog recovery) gives a JSON list back, which never equals a new tuple. A
        `contacts` row stays the bytes it was stored as: a row Faust's json codec wrote
        (before rows were bytes) differs from orjson's, so it is rewritten once."""
        found = self.contacts.get(contact_id)
        state = load_state(found)
        found_waiting = self.waiting.get(contact_id)
        stored_waiting = None if found_waiting is None else tuple(found_waiting)
        return Pending(raw, partition, found, state, stored_waiting, stored_waiting)

    async def write(self, stream: StreamT[Any], pending: dict[str, Pending]) -> None:
        """Write each contact's rows once, and only if they changed: an event that changes
        nothing (a replay, a repeat) costs no changelog message."""
        for contact_id, contact in pending.items():
            row = None if contact.state is None else store_state(contact.state, contact.partition)
            if row == contact.stored and contact.waiting == contact.stored_waiting:
                continue
            # Kept after its summary too (a tombstone until the timeout): replays change nothing.
            set_current_event(stream, contact.event)  # its own partition's changelog
            if row != contact.stored:
                if row is not None:
                    self.contacts[contact_id] = row
                elif contact.stored is not None:
                    del self.contacts[contact_id]
            if contact.waiting != contact.stored_waiting:
                if contact.waiting is not None:
                    self.waiting[contact_id] = contact.waiting
                elif contact.stored_waiting is not None:
                    del self.waiting[contact_id]
        pending.clear()

    # Emit ---------------------------------------------------------------------------------
    async def emit(self, items: list[Outcome | Summary]) -> None:
        m = self.metrics
        for item in items:
            queue = m.queue_label(item.queue)
            if isinstance(item, Outcome):
                m.count_outcome(queue, item.channel, item.outcome)
                if item.outcome == "answered":
                    m.wait.labels(queue, item.channel).observe(item.wait)
            elif item.handle is not None:
                m.handle.labels(queue, item.channel).observe(item.handle)
            await self.send(item)

    async def send(self, item: WireItem) -> None:
        """Into the running batch's outbox; sent at once outside a batch."""
        outbox = _OUTBOX.get()
        if outbox is None:
            key = wire_key(item.queue, item.channel).encode()
            await self.summaries.send(key=key, value=to_wire(item))
        else:
            outbox.add(item)

    # Sweep --------------------------------------------------------------------------------
    def sweep_due(self, partition: int, ts: float) -> bool:
        now = self.partition_time[partition] = max(ts, self.partition_time.get(partition, 0.0))
        return now >= self.swept_at.get(partition, float("-inf")) + self.sweep_every

    async def sweep(self, partition: int) -> None:
        """Close stale contacts of `partition`, the partition of the event being processed.

        Faust writes a table change to the changelog partition of the current event, so only
        this partition's rows may be deleted now; each row records its partition for this.
        """
        now = self.swept_at[partition] = self.partition_time[partition]
        stale: list[tuple[str, ContactState]] = []
        prefix = _partition_prefix(partition)
        for contact_id, row in self.contacts.items():
            if row is not None and row.startswith(prefix):
                state = load_state(row)
                if state is not None and is_stale(state, now, self.config):
                    stale.append((contact_id, state))
                    if len(stale) >= SWEEP_LIMIT:
                        break
        for contact_id, state in stale:
            emitted = self.expire(state)
            del self.contacts[contact_id]
            if contact_id in self.waiting:
                del self.waiting[contact_id]
            await self.emit(emitted)

    async def close(self, contact: Pending) -> None:
        """Expire a stale contact met by a new event; its rows go at the batch's write."""
        assert contact.state is not None
        emitted = self.expire(contact.state)
        contact.state = contact.waiting = None
        await self.emit(emitted)

    def expire(self, state: ContactState) -> list[Outcome | Summary]:
        """What the timeout rule emits for a contact (models/contact.py `expire`)."""
        if not state.summary_sent:
            self.metrics.expired.inc()
        return expire(state, self.config)

    # Live gauges --------------------------------------------------------------------------
    def live_gauges(self) -> Iterator[GaugeMetricFamily]:
        # Event time: "now" is the newest event seen, so a backfill shows sane waits.
        now = self.clock.now() or 0.0
        label = self.metrics.queue_label
        counts: dict[tuple[str, str], int] = dict.fromkeys(self.queues_seen, 0)
        oldest: dict[tuple[str, str], float] = {}
        for row in self.waiting.values():
            if not row:
                continue
            key = (label(row[0]), row[1])
            counts[key] = counts.get(key, 0) + 1
            oldest[key] = min(oldest.get(key, row[2]), row[2])
        n_family, w_family = gauge_family(self.waiting_spec), gauge_family(self.longest_spec)
        for key, count in sorted(counts.items()):
            n_family.add_metric(list(key), count)
            w_family.add_metric(list(key), max(0.0, now - oldest.get(key, now)))
        yield n_family
        yield w_family


def install(app: PillarwatchApp) -> None:
    hop = FirstHop(app)

    @app.agent(hop.events_topic, name="contacts")
    async def contacts_agent(stream: StreamT[Any]) -> None:
        await hop.process(stream, repartitioned=False)

    @app.agent(hop.by_contact, name="contacts-repartitioned")
    async def contacts_repartitioned(stream: StreamT[Any]) -> None:
        await hop.process(stream, repartitioned=True)

    app.registry.register(ScrapeCollector(hop.live_gauges, LIVE_GAUGES))
