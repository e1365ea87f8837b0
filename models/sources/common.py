"""What every source mapping shares: the result types, options, timestamps, ids, hashing.

Pure code: no I/O, no logging (payloads carry customer data; nothing here may log them).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

__all__ = [
    "CHANNELS",
    "OUTSIDE_QUEUES",
    "Event",
    "MappingOptions",
    "MappingResult",
    "Signal",
    "Unmapped",
    "as_obj",
    "as_str",
    "customer_from_address",
    "event_id",
    "parse_time",
    "rfc3339",
]

Event = dict[str, object]

CHANNELS = frozenset({"voice", "chat", "email", "messaging", "video"})
SCHEMA_VERSION = 1
# `to_queue` of a transfer that leaves the queues pillarwatch sees (an outside number, an
# extension or a bridge): a fixed word, never the number or channel itself.
OUTSIDE_QUEUES = "external"


@dataclass(frozen=True, slots=True)
class Unmapped:
    """One thing a source sent that produced no schema event.

    `reason` is a short stable code (it may become a metric label: never payload text);
    `detail` is a sentence for humans, built only from platform ids and event names;
    `malformed` says the input itself is broken (the receiver answers 400 and dead-letters it),
    as opposed to a well-formed event pillarwatch deliberately does not use.
    """

    reason: str
    detail: str = ""
    malformed: bool = False


@dataclass(frozen=True, slots=True)
class Signal:
    """A per-queue fact that is not a schema v1 event (today: an agent did not answer a ring).

    The ingest process counts it (pillarwatch_ingest_agent_no_answer_total{queue}); the
    stream workers never see it. `queue` is the mapped queue name, already label-safe.
    """

    name: str
    queue: str


@dataclass(slots=True)
class MappingResult:
    """Schema v1 events (JSON-ready dicts) and an account of everything not mapped.

    `caveats` are short codes for events that were mapped but less exactly than the platform
    could have allowed (e.g. `whole_second_time`: the only time present had whole seconds).
    """

    events: list[Event] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    @property
    def malformed(self) -> bool:
        """True when nothing mapped and the input was broken: the receiver rejects it."""
        return not self.events and any(u.malformed for u in self.unmapped)

    def skip(self, reason: str, detail: str = "") -> MappingResult:
        self.unmapped.append(Unmapped(reason, detail))
        return self

    def bad(self, reason: str, detail: str = "") -> MappingResult:
        self.unmapped.append(Unmapped(reason, detail, malformed=True))
        return self


@dataclass(frozen=True, slots=True)
class MappingOptions:
    """Site choices a mapping cannot know from the payload.

    queue_names: platform queue id (ARN tail, TaskQueue SID, Genesys queue id) -> queue name;
        unknown ids pass through, so the `queue` label is the id.
    customer_id_salt: key for HMAC-SHA256 of customer addresses (phone numbers, e-mail).
        Without it, addresses are never used as customer ids (a bare hash of a phone number
        can be reversed by trying every number).
    resolved_codes / unresolved_codes: wrap-up codes (Genesys) or dispositions that say whether
        the contact was resolved, for platforms with no boolean of their own.
    attribute_keys: contact-attribute names read for customer id, segment, language, resolved.
    naive_time_zone: the zone of date-times written without one (Asterisk queue_log rows from
        a realtime database are in the server's local time unless queue_log_realtime_use_gmt
        is set); None = this machine's zone. Epoch times are absolute and never use it.
    """

    queue_names: Mapping[str, str] = field(default_factory=dict)
    customer_id_salt: bytes | None = None
    resolved_codes: frozenset[str] = frozenset()
    unresolved_codes: frozenset[str] = frozenset()
    customer_id_key: str = "customer_id"
    segment_key: str = "segment"
    lang_key: str = "lang"
    resolved_key: str = "resolved"
    naive_time_zone: tzinfo | None = None

    def queue(self, queue_id: str) -> str:
        return self.queue_names.get(queue_id, queue_id)

    def resolution(self, code: str | None) -> bool | None:
        if code is None:
            return None
        if code in self.resolved_codes:
            return True
        if code in self.unresolved_codes:
            return False
        return None


DEFAULT_OPTIONS = MappingOptions()


def rfc3339(moment: datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: one spelling for every source."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_time(
    value: object, *, epoch_unit: float = 1.0, naive_zone: tzinfo | None = UTC
) -> datetime | None:
    """ISO 8601 / RFC 3339 string or epoch number (seconds, or ms with epoch_unit=1000).

    A date-time without a zone is read in `naive_zone`: UTC by default (Connect and Genesys
    document UTC); None means this machine's local zone (Asterisk realtime rows).
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value) / epoch_unit, UTC)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            try:
                return datetime.fromtimestamp(float(text) / epoch_unit, UTC)
            except ValueError:
                pass
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                return parsed
            if naive_zone is None:
                return parsed.astimezone()  # a naive datetime's astimezone() reads local time
            return parsed.replace(tzinfo=naive_zone)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def event_id(source: str, *parts: object) -> str:
    """Deterministic id from the platform's own ids, so a re-delivery dedupes downstream."""
    return ":".join([source, *(str(p) for p in parts)])


def as_str(value: Any) -> str | None:
    """A non-empty string or None: platforms send '', null and numbers interchangeably."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def as_obj(value: object) -> dict[str, Any]:
    """A JSON object or an empty one: nested platform objects are often absent or null."""
    return value if isinstance(value, dict) else {}


def customer_from_address(address: str | None, options: MappingOptions) -> str | None:
    """Keyed hash of a phone number or e-mail address, or None without a salt."""
    if not address or options.customer_id_salt is None:
        return None
    normalised = address.strip().lower().encode()
    digest = hmac.new(options.customer_id_salt, normalised, hashlib.sha256).hexdigest()
    return "h:" + digest[:24]


def new_event(
    *,
    source_id: str,
    type_: str,
    ts: datetime,
    contact_id: str,
    channel: str,
    queue: str,
    extra: Mapping[str, object] | None = None,
) -> Event:
    """A schema v1 event; optional fields with no value are left out, not sent as null."""
    event: Event = {
        "schema": SCHEMA_VERSION,
        "event_id": source_id,
        "type": type_,
        "ts": rfc3339(ts),
        "contact_id": contact_id,
        "channel": channel,
        "queue": queue,
    }
    if extra:
        event.update({k: v for k, v in extra.items() if v is not None})
    return event
