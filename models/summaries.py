"""The typed records on the topics between the agents, and their one encode and decode.

`contact-summaries` (key: queue and channel, `wire_key`) carries six kinds of record, each a
frozen dataclass: `outcome`, `summary`, `survey` (models/contact.py), `agent`
(models/staffing.py), `journey` (models/journeys.py) and `signal` (models/pillars). The
by-customer topic (key: customer id) carries `summary` and `sweep` (`SweepRequest`). On the
wire a record is a JSON object: its fields plus `kind`. A `contact-summaries` message is one
record or a JSON array of records of its key, in order (`wire_records`): the first hop sends
what one batch produced for a queue and channel as one message. docs/architecture.md lists
the topics.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Final, TypeVar

from pillarwatch.models.contact import Outcome, Summary, Survey
from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import Signal
from pillarwatch.models.staffing import AgentStateChange

__all__ = [
    "ByCustomerItem",
    "SweepRequest",
    "WireError",
    "WireItem",
    "by_customer_from_wire",
    "from_wire",
    "to_wire",
    "wire_key",
    "wire_records",
]

SEP = "\x1f"  # unit separator: cannot occur in a sane queue or channel name


def wire_key(queue: str, channel: str) -> str:
    """Summaries are keyed by queue and channel, so one worker owns a queue's buckets."""
    return f"{queue}{SEP}{channel}"


class WireError(ValueError):
    """A message between the agents that is not a record of its topic (names kind and field)."""


@dataclass(frozen=True, slots=True)
class SweepRequest:
    """On the by-customer topic: apply `pillar`'s sweep to `customer_id` at `watermark`.

    A Table may be written only while processing a message of the key's partition, so the
    pillar runtime's timer sends these instead of writing (streams/pillar_runtime.py)."""

    pillar: str
    customer_id: str
    watermark: float


WireItem = Outcome | Summary | Survey | JourneyDelta | AgentStateChange | Signal
ByCustomerItem = Summary | SweepRequest
_KINDS: Final[dict[str, type[WireItem]]] = {
    "agent": AgentStateChange,
    "outcome": Outcome,
    "summary": Summary,
    "survey": Survey,
    "journey": JourneyDelta,
    "signal": Signal,  # a pillar's additive contribution (models/pillars)
}
_BY_CUSTOMER: Final[dict[str, type[ByCustomerItem]]] = {
    "summary": Summary,
    "sweep": SweepRequest,
}
_NAMES: Final = {cls: name for kinds in (_KINDS, _BY_CUSTOMER) for name, cls in kinds.items()}

T = TypeVar("T")


def to_wire(item: WireItem | SweepRequest) -> dict[str, Any]:
    return {"kind": _NAMES[type(item)], **asdict(item)}


def _decode(doc: Any, kinds: dict[str, type[T]], topic: str) -> T:
    if not isinstance(doc, dict):
        raise WireError(f"{topic}: expected a JSON object, got {type(doc).__name__}")
    kind = doc.get("kind")
    cls = kinds.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise WireError(f"{topic}: unknown kind {kind!r}; known: {sorted(kinds)}")
    body = {k: v for k, v in doc.items() if k != "kind"}
    try:
        return cls(**body)
    except TypeError:
        # Only now, off the hot path: say which field is wrong.
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(body) - names)
        missing = sorted(n for n in names - set(body) if _required(cls, n))
        raise WireError(
            f"{topic}: kind {kind!r}: unknown fields {unknown}, missing fields {missing}"
        ) from None


def _required(cls: type[Any], name: str) -> bool:
    found = {f.name: f for f in fields(cls)}[name]
    return found.default is MISSING and found.default_factory is MISSING


def wire_records(value: Any) -> list[Any]:
    """The records (still JSON objects) of one `contact-summaries` message, in order."""
    return value if isinstance(value, list) else [value]


def from_wire(doc: Any) -> WireItem:
    """The typed record of a `contact-summaries` message; WireError if it is none."""
    return _decode(doc, _KINDS, "contact-summaries")


def by_customer_from_wire(doc: Any) -> ByCustomerItem:
    """The typed record of a by-customer topic message; WireError if it is none."""
    return _decode(doc, _BY_CUSTOMER, "summaries-by-customer")
