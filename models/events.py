"""Input event schema v1: a typed record, and decoding that gives a reason for every rejection.

`decode(raw)` never raises on bad input: it returns an `Event` or a `Rejection` whose
`reason` is one of `REJECTION_REASONS` (a bounded set, so it can be a metric label) and
whose `detail` says what exactly was wrong (for the dead-letter record, never a label).
"""

from __future__ import annotations

import math
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

__all__ = [
    "AGENT_STATES",
    "CHANNELS",
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "REJECTION_REASONS",
    "Event",
    "Rejection",
    "decode",
    "parse_ts",
    "validate",
]

SCHEMA_VERSION: Final = 1
MAX_EVENT_BYTES: Final = 64 * 1024
MAX_FIELD_CHARS: Final = 256  # ids, queue names, ...; message text has MAX_EVENT_BYTES only
# Event times outside this range are certainly wrong (a clock at zero, ms sent as s, ...).
MIN_TS: Final = 946_684_800.0  # 2000-01-01
MAX_TS: Final = 4_102_444_800.0  # 2100-01-01
# Windows end at the newest event time seen: one event from next year would empty every window.
# So event time may run ahead of this worker's clock by at most this much (producer clock skew).
MAX_FUTURE_SECONDS: Final = 86_400.0
# Control characters in ids and queue names would break keys (models/summaries.SEP is one).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

EVENT_TYPES: Final = frozenset(
    {
        "contact.queued",
        "contact.answered",
        "contact.abandoned",
        "contact.transferred",
        "contact.hold_started",
        "contact.hold_ended",
        "contact.message",
        "contact.wrapped",
        "contact.ended",
        "survey.answered",
        "agent.state",
    }
)
AGENT_STATES: Final = ("available", "busy", "after_call_work", "break", "offline")
MAX_AGENT_QUEUES: Final = 64
CHANNELS: Final = frozenset({"voice", "chat", "email", "messaging", "video"})
ROLES: Final = frozenset({"customer", "agent", "bot"})

REJECTION_REASONS: Final = (
    "oversize",
    "not_utf8",
    "not_json",
    "not_object",
    "unsupported_schema",
    "missing_field",
    "wrong_type",
    "unknown_type",
    "bad_timestamp",
    "bad_value",
)

_REQUIRED: Final = ("event_id", "type", "ts", "contact_id", "channel", "queue")
_OPTIONAL_STR: Final = ("customer_id", "team", "agent_id", "segment", "lang", "reason")
# Few distinct values, held by every open contact's state: one shared string each
# (`sys.intern`) instead of one per event, about 55 bytes per field and contact. Interned
# strings are freed when nothing refers to them, so a producer's stray values do not pile up.
_LABEL_LIKE: Final = ("team", "agent_id", "segment", "lang")
_CHANNEL_NAMES: Final = {name: name for name in CHANNELS}


@dataclass(frozen=True, slots=True)
class Event:
    """One validated schema-v1 event. `ts` is event time in epoch seconds."""

    event_id: str
    type: str
    ts: float
    contact_id: str
    channel: str
    queue: str
    customer_id: str | None = None
    team: str | None = None
    agent_id: str | None = None
    segment: str | None = None
    lang: str | None = None
    to_queue: str | None = None
    role: str | None = None
    text: str | None = None
    resolved: bool | None = None
    reason: str | None = None
    csat: int | None = None
    ces: int | None = None
    nps: int | None = None
    state: str | None = None  # agent.state only
    queues: tuple[str, ...] = ()  # agent.state only: every queue the agent serves
    # Optional fields for the pillars (docs/schema.md, "Pillar fields").
    announced_wait: float | None = None
    callback_due: float | None = None
    callback_for: str | None = None
    personalised: bool | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an input was not accepted. `reason` is a metric label; `detail` is for people."""

    reason: str
    detail: str


class _Invalid(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.rejection = Rejection(reason, detail)


def decode(
    raw: bytes | bytearray | memoryview | None, now: float | None = None
) -> Event | Rejection:
    """Decode and validate one Kafka message value; `now` (default: the clock) bounds event time."""
    if raw is None:
        return Rejection("not_json", "empty message (null value)")
    if len(raw) > MAX_EVENT_BYTES:
        return Rejection("oversize", f"{len(raw)} bytes > {MAX_EVENT_BYTES}")
    raw = bytes(raw)
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return Rejection("not_utf8", "value is not valid UTF-8")
        return Rejection("not_json", f"not JSON: {exc}")
    if not isinstance(doc, dict):
        return Rejection("not_object", f"JSON {type(doc).__name__}, expected an object")
    return validate(doc, now)


def validate(doc: dict[str, Any], now: float | None = None) -> Event | Rejection:
    """Validate a decoded JSON object against schema v1."""
    try:
        event = _validate(doc)
    except _Invalid as exc:
        return exc.rejection
    limit = (time.time() if now is None else now) + MAX_FUTURE_SECONDS
    if event.ts > limit:
        return Rejection("bad_timestamp", "ts: more than a day ahead of this worker's clock")
    return event


def _validate(doc: dict[str, Any]) -> Event:
    schema = doc.get("schema", SCHEMA_VERSION)
    if type(schema) is not int:
        raise _Invalid("wrong_type", "schema: expected an integer")
    if schema != SCHEMA_VERSION:
        raise _Invalid("unsupported_schema", f"schema {schema}, this worker reads {SCHEMA_VERSION}")
    etype = _string(doc, "type")
    if etype not in EVENT_TYPES:
        raise _Invalid("unknown_type", f"type: {etype[:64]!r} is not a schema-v1 type")
    if etype == "agent.state":
        return _agent_state(doc)
    for name in _REQUIRED:
        if doc.get(name) is None:
            raise _Invalid("missing_field", f"{name}: required")
    ts = parse_ts(doc["ts"])
    channel = _channel(doc)
    optional: dict[str, Any] = {name: _optional_string(doc, name) for name in _OPTIONAL_STR}
    for name in _LABEL_LIKE:
        if optional[name] is not None:
            optional[name] = sys.intern(optional[name])
    to_queue = role = text = None
    resolved = None
    csat = ces = nps = None
    if etype == "contact.transferred":
        to_queue = _string(doc, "to_queue")
    elif etype == "contact.message":
        role = _string(doc, "role")
        if role not in ROLES:
            raise _Invalid("bad_value", f"role: {role[:32]!r} not one of {sorted(ROLES)}")
        text = _text(doc)
    elif etype == "contact.wrapped":
        value = doc.get("resolved")
        if value is not None and type(value) is not bool:
            raise _Invalid("wrong_type", "resolved: expected true or false")
        resolved = value
    elif etype == "survey.answered":
        csat = _score(doc, "csat", 1, 5)
        ces = _score(doc, "ces", 1, 7)
        nps = _score(doc, "nps", 0, 10)
    return Event(
        event_id=_string(doc, "event_id"),
        type=etype,
        ts=ts,
        contact_id=_string(doc, "contact_id"),
        channel=channel,
        queue=sys.intern(_string(doc, "queue")),
        to_queue=to_queue,
        role=role,
        text=text,
        resolved=resolved,
        csat=csat,
        ces=ces,
        nps=nps,
        customer_id=optional["customer_id"],
        team=optional["team"],
        agent_id=optional["agent_id"],
        segment=optional["segment"],
        lang=optional["lang"],
        reason=optional["reason"],
        **_pillar_fields(doc, etype),
    )


def _agent_state(doc: dict[str, Any]) -> Event:
    """agent.state: an agent's state for one queue (`queue`) or several (`queues`).

    It has no contact: `contact_id` is empty and the message key is the agent id.
    """
    for name in ("event_id", "ts", "agent_id", "state", "channel"):
        if doc.get(name) is None:
            raise _Invalid("missing_field", f"{name}: required for agent.state")
    ts = parse_ts(doc["ts"])
    channel = _channel(doc)
    state = _string(doc, "state")
    if state not in AGENT_STATES:
        raise _Invalid("bad_value", f"state: {state[:32]!r} not one of {list(AGENT_STATES)}")
    raw_queues = doc.get("queues")
    if raw_queues is None:
        queues: tuple[str, ...] = (_string(doc, "queue"),)
    elif not isinstance(raw_queues, list) or not raw_queues:
        raise _Invalid("wrong_type", "queues: expected a non-empty list of queue names")
    elif len(raw_queues) > MAX_AGENT_QUEUES:
        raise _Invalid("bad_value", f"queues: at most {MAX_AGENT_QUEUES}")
    else:
        queues = tuple(_string({"queue": q}, "queue") for q in raw_queues)
    return Event(
        event_id=_string(doc, "event_id"),
        type="agent.state",
        ts=ts,
        contact_id="",
        channel=channel,
        queue=queues[0],
        agent_id=_string(doc, "agent_id"),
        team=_optional_string(doc, "team"),
        state=state,
        queues=queues,
    )


def _pillar_fields(doc: dict[str, Any], etype: str) -> dict[str, Any]:
    """The optional schema-v1 fields the pillars read; absent ones are not returned.

    - `announced_wait` (seconds, any event): the wait the customer was told;
    - `callback_due` (RFC 3339 or epoch seconds, on contact.wrapped): a callback promised by then;
    - `callback_for` (contact id, on contact.queued): this contact is that promised callback;
    - `personalised` (bool, on an agent's contact.message): set by upstream NLP when the agent
      used the customer's name or earlier context. The name itself never travels.
    """
    out: dict[str, Any] = {}
    wait = doc.get("announced_wait")
    if wait is not None:
        if type(wait) not in (int, float):
            raise _Invalid("wrong_type", "announced_wait: expected seconds as a number")
        if not 0 <= wait <= 86400:
            raise _Invalid("bad_value", "announced_wait: outside 0..86400 seconds")
        out["announced_wait"] = float(wait)
    if etype == "contact.wrapped" and doc.get("callback_due") is not None:
        out["callback_due"] = parse_ts(doc["callback_due"])
    if etype == "contact.queued" and doc.get("callback_for") is not None:
        out["callback_for"] = _string(doc, "callback_for")
    if etype == "contact.message" and doc.get("personalised") is not None:
        value = doc["personalised"]
        if type(value) is not bool:
            raise _Invalid("wrong_type", "personalised: expected true or false")
        out["personalised"] = value
    return out


def parse_ts(value: object) -> float:
    """Event time from an RFC 3339 string (with offset or Z) or epoch seconds."""
    if type(value) in (int, float):
        ts = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid("bad_timestamp", f"ts: {value[:40]!r} is not RFC 3339") from None
        if parsed.tzinfo is None:
            raise _Invalid("bad_timestamp", "ts: RFC 3339 needs an offset (Z or +hh:mm)")
        ts = parsed.timestamp()
    else:
        raise _Invalid("bad_timestamp", "ts: expected an RFC 3339 string or epoch seconds")
    if not math.isfinite(ts) or not MIN_TS <= ts < MAX_TS:
        raise _Invalid("bad_timestamp", "ts: outside 2000..2100 (milliseconds sent as seconds?)")
    return ts


def _channel(doc: dict[str, Any]) -> str:
    """The channel, as the one shared string of its name: each open contact keeps it."""
    channel = _string(doc, "channel")
    found = _CHANNEL_NAMES.get(channel)
    if found is None:
        raise _Invalid("bad_value", f"channel: {channel[:32]!r} not one of {sorted(CHANNELS)}")
    return found


def _string(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    if value is None:
        raise _Invalid("missing_field", f"{name}: required")
    if not isinstance(value, str):
        raise _Invalid("wrong_type", f"{name}: expected a string")
    if not value or len(value) > MAX_FIELD_CHARS:
        raise _Invalid("bad_value", f"{name}: must be 1..{MAX_FIELD_CHARS} characters")
    if _CONTROL.search(value):
        raise _Invalid("bad_value", f"{name}: control characters are not allowed")
    return value


def _optional_string(doc: dict[str, Any], name: str) -> str | None:
    return None if doc.get(name) is None else _string(doc, name)


def _text(doc: dict[str, Any]) -> str:
    value = doc.get("text")
    if value is None:
        raise _Invalid("missing_field", "text: required for contact.message")
    if not isinstance(value, str):
        raise _Invalid("wrong_type", "text: expected a string")
    return value


def _score(doc: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = doc.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise _Invalid("wrong_type", f"{name}: expected an integer")
    if not low <= value <= high:
        raise _Invalid("bad_value", f"{name}: {value} outside {low}..{high}")
    return int(value)
