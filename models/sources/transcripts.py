"""What the voice-transcript adapters share: the call directory and the message they build.

A transcript segment names its call with the platform's media id (a Connect contact leg, a
Twilio CallSid, a Genesys conversation id) and, on Connect, gives only offsets from the
answer; but a schema event needs the contact id the platform's contact events use, the
contact's queue and an event time. The receiver learns those from the contact events it maps
(queued, answered, transfer legs) into a `CallDirectory`: a bounded memory of recent calls.

Bounds: at most `capacity` calls and as many contacts (least recently used forgotten first);
full at the default 50,000 it held 20.8 MB here (`python -m benchmarks.transcripts`), and it
covers every call that started in the last few hours of a large contact centre. A call
forgotten (or never seen: the receiver restarted mid-call, or its contact events went to
another receiver replica) cannot be mapped: its segments are answered 2xx and counted as
`call_unknown` in pillarwatch_ingest_unmapped_total, never guessed.

Pure code: no I/O, no logging (segments are what customers said).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeVar

from pillarwatch.models.sources.common import (
    Event,
    MappingOptions,
    MappingResult,
    event_id,
    new_event,
    parse_time,
)

__all__ = [
    "DEFAULT_CAPACITY",
    "Call",
    "CallDirectory",
    "Mapper",
    "Observer",
    "message",
    "observed",
]

DEFAULT_CAPACITY: Final = 50_000
MESSAGE: Final = "contact.message"
_V = TypeVar("_V")

Mapper = Callable[[object, MappingOptions | None], MappingResult]
#: Learns from a contact-event payload and what it mapped to (see `observed`).
Observer = Callable[[object, MappingResult, "CallDirectory"], None]


@dataclass(frozen=True, slots=True)
class Call:
    """What a transcript segment needs to know about its call."""

    contact_id: str
    queue: str | None
    answered_at: datetime | None


@dataclass(slots=True)
class _Leg:
    contact_id: str
    answered_at: datetime | None


class CallDirectory:
    """Platform call id -> contact id and answer time; contact id -> queue. Bounded (LRU)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("CallDirectory capacity: must be at least 1")
        self.capacity = capacity
        self._legs: OrderedDict[str, _Leg] = OrderedDict()
        self._queues: OrderedDict[str, str] = OrderedDict()

    def note(
        self,
        call_id: str,
        contact_id: str,
        *,
        queue: str | None = None,
        answered_at: datetime | None = None,
    ) -> None:
        """Remember a call; the first answer time and the first queue of a contact win."""
        leg = self._legs.get(call_id)
        if leg is None:
            leg = self._legs[call_id] = _Leg(contact_id, answered_at)
        elif answered_at is not None and (leg.answered_at is None or answered_at < leg.answered_at):
            leg.answered_at = answered_at
        self._legs.move_to_end(call_id)
        _bound(self._legs, self.capacity)
        if queue is not None:
            # The contact belongs to the queue it entered (as the worker counts it).
            self._queues.setdefault(contact_id, queue)
            self._queues.move_to_end(contact_id)
            _bound(self._queues, self.capacity)

    def learn(self, events: Iterable[Event]) -> None:
        """Remember what a platform's mapped contact events say about their contacts."""
        for event in events:
            contact = str(event["contact_id"])
            answered = parse_time(event["ts"]) if event["type"] == "contact.answered" else None
            self.note(contact, contact, queue=str(event["queue"]), answered_at=answered)

    def lookup(self, call_id: str) -> Call | None:
        leg = self._legs.get(call_id)
        if leg is None:
            return None
        return Call(leg.contact_id, self._queues.get(leg.contact_id), leg.answered_at)

    def __len__(self) -> int:
        return len(self._legs)


def _bound(table: OrderedDict[str, _V], capacity: int) -> None:
    while len(table) > capacity:
        table.popitem(last=False)


def observed(mapper: Mapper, observer: Observer, directory: CallDirectory) -> Mapper:
    """`mapper`, and then `observer` learning from its payload and result into `directory`."""

    def run(payload: object, options: MappingOptions | None) -> MappingResult:
        result = mapper(payload, options)
        observer(payload, result, directory)
        return result

    return run


def offset_time(answered_at: datetime, offset_ms: object) -> datetime | None:
    """Answer time plus a platform's millisecond offset; None for a missing or bad offset."""
    if isinstance(offset_ms, bool) or not isinstance(offset_ms, int | float) or offset_ms < 0:
        return None
    return answered_at + timedelta(milliseconds=float(offset_ms))


def message(
    *,
    source: str,
    segment_ids: tuple[object, ...],
    ts: datetime,
    call: Call,
    queue: str,
    role: str,
    text: str,
    extra: dict[str, object] | None = None,
) -> Event:
    """One final transcript segment as a schema-v1 `contact.message` of a voice contact.

    The event id is built from the platform's segment id only, so a re-delivered segment
    is the same event and the worker's dedupe drops it.
    """
    return new_event(
        source_id=event_id(source, *segment_ids, MESSAGE),
        type_=MESSAGE,
        ts=ts,
        contact_id=call.contact_id,
        channel="voice",
        queue=queue,
        extra={"role": role, "text": text, **(extra or {})},
    )
