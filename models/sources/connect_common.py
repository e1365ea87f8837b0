"""What Amazon Connect's two formats share: key spelling, ids, and where a contact leaves.

Connect spells the same field `agentInfo.agentArn`, `AgentInfo.AgentArn` or (after a Glue/
Athena export of contact records) `agentinfo.agentarn`, depending on the document and the
pipeline. Both mappings read keys case-insensitively, so every spelling maps the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pillarwatch.models.sources.common import MappingOptions, as_str, parse_time

__all__ = [
    "CHANNELS",
    "SOURCE",
    "TRANSFER_METHODS",
    "Exit",
    "arn_tail",
    "attributes",
    "exit_of",
    "folded",
    "resolved_attribute",
    "shallow",
]

SOURCE = "connect"
CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}
TRANSFER_METHODS = {"TRANSFER", "QUEUE_TRANSFER"}


def shallow(value: object) -> dict[str, Any]:
    """One JSON object with its own keys lower-cased ({} if not an object): the live path
    folds only the objects it reads, which keeps it fast."""
    if not isinstance(value, dict):
        return {}
    return {str(k).lower(): v for k, v in value.items()}


def folded(value: object) -> Any:
    """The same JSON with every object key lower-cased, at every depth (values untouched)."""
    if isinstance(value, dict):
        return {str(k).lower(): folded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [folded(v) for v in value]
    return value


def arn_tail(arn: object) -> str | None:
    text = as_str(arn)
    return text.rsplit("/", 1)[-1] if text else None


@dataclass(frozen=True, slots=True)
class Exit:
    """How a leg left Connect's queues, when it did not simply end.

    next_leg: the contact continues as a new Connect contact (`nextContactId`): that leg
        carries on, this one is not the end of the call.
    outside: the agent transferred the caller to a number outside Connect
        (`transferCompletedTimestamp` / `transferredToEndpoint`); `at` is when the outside
        party was connected, which is when the contact left the centre. The caller may stay
        on the line for long after (`disconnectTimestamp`): that time is not ours.
    """

    kind: str
    at: datetime | None = None


def exit_of(obj: dict[str, Any]) -> Exit | None:
    """One rule for contact events and contact records (keys already folded)."""
    if as_str(obj.get("nextcontactid")):
        return Exit("next_leg")
    completed = parse_time(obj.get("transfercompletedtimestamp"))
    endpoint = shallow(obj.get("transferredtoendpoint"))
    if completed is not None or as_str(endpoint.get("address")):
        return Exit("outside", completed)
    return None


def attributes(raw: object, options: MappingOptions) -> dict[str, object]:
    """customer_id, segment, lang from contact attributes (names compared case-insensitively)."""
    attrs = raw if isinstance(raw, dict) else {}
    return {
        "customer_id": as_str(attrs.get(options.customer_id_key.lower())),
        "segment": as_str(attrs.get(options.segment_key.lower())),
        "lang": as_str(attrs.get(options.lang_key.lower())),
    }


def resolved_attribute(raw: object, options: MappingOptions) -> bool | None:
    attrs = raw if isinstance(raw, dict) else {}
    value = attrs.get(options.resolved_key.lower())
    if isinstance(value, bool):
        return value
    text = as_str(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in {"true", "yes", "1", "resolved"}:
        return True
    if lowered in {"false", "no", "0", "unresolved"}:
        return False
    return options.resolution(text)
