"""The wire form of contact outcomes and summaries on the `contact-summaries` topic."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pillarwatch.models.contact import Outcome, Summary, Survey
from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import Signal
from pillarwatch.models.staffing import AgentStateChange

__all__ = ["WireItem", "from_wire", "to_wire", "wire_key"]

SEP = "\x1f"  # unit separator: cannot occur in a sane queue or channel name


def wire_key(queue: str, channel: str) -> str:
    """Summaries are keyed by queue and channel, so one worker owns a queue's buckets."""
    return f"{queue}{SEP}{channel}"


WireItem = Outcome | Summary | Survey | JourneyDelta | AgentStateChange | Signal
_KINDS: dict[str, type[WireItem]] = {
    "agent": AgentStateChange,
    "outcome": Outcome,
    "summary": Summary,
    "survey": Survey,
    "journey": JourneyDelta,
    "signal": Signal,  # a pillar's additive contribution (models/pillars)
}
_NAMES = {cls: name for name, cls in _KINDS.items()}


def to_wire(item: WireItem) -> dict[str, Any]:
    return {"kind": _NAMES[type(item)], **asdict(item)}


def from_wire(doc: dict[str, Any]) -> WireItem:
    body = {k: v for k, v in doc.items() if k != "kind"}
    return _KINDS[doc["kind"]](**body)
