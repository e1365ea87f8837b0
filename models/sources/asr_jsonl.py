"""A generic JSON-lines transcript format, for any speech-to-text engine (docs/schema.md).

One JSON object per line, one transcript segment each:

    {"contact_id": "c-1", "segment_id": "s-7", "role": "agent", "text": "I'm so sorry.",
     "final": true, "offset_ms": 41200, "answered_at": "2026-11-20T09:00:30Z", "lang": "en"}

Required: `contact_id` (the id the contact events use), `segment_id` (stable per segment:
the event id is built from it, so a re-sent segment dedupes), `role` (customer, agent,
bot), `text`. Time: `ts` (RFC 3339 or epoch seconds), or `offset_ms` from `answered_at`
(or, without it, from the answer time the receiver learnt from the contact's events).
`queue`: the contact's queue, or learnt from its events. `final` (default true): false is a
partial and is skipped. Optional: `lang`, `agent_id`, `sentiment`.
"""

from __future__ import annotations

from typing import Final

import orjson

from pillarwatch.models.sources.common import MappingOptions, MappingResult, as_str, parse_time
from pillarwatch.models.sources.transcripts import Call, CallDirectory, message, offset_time

__all__ = ["map_lines", "map_segment"]

SOURCE: Final = "asr"
ROLES: Final = frozenset({"customer", "agent", "bot"})


def map_lines(
    body: bytes, options: MappingOptions | None = None, *, directory: CallDirectory
) -> list[tuple[bytes, MappingResult]]:
    """Each non-blank line with its mapping; a line that is not JSON is malformed alone."""
    out: list[tuple[bytes, MappingResult]] = []
    for raw in body.splitlines():
        if not raw.strip():
            continue
        try:
            segment = orjson.loads(raw)
        except orjson.JSONDecodeError:
            out.append((raw, MappingResult().bad("unparsable", "line is not JSON")))
            continue
        out.append((raw, map_segment(segment, options, directory=directory)))
    return out


def map_segment(
    payload: object, options: MappingOptions | None = None, *, directory: CallDirectory
) -> MappingResult:
    result = MappingResult()
    if not isinstance(payload, dict):
        return result.bad("not_an_object", "line is not a JSON object")
    contact = as_str(payload.get("contact_id"))
    segment = as_str(payload.get("segment_id"))
    text = payload.get("text")
    if contact is None or segment is None or not isinstance(text, str):
        return result.bad("missing_field", "contact_id, segment_id and text are required")
    role = payload.get("role")
    if role not in ROLES:
        return result.bad("bad_value", "role: one of customer, agent, bot")
    final = payload.get("final", True)
    if not isinstance(final, bool):
        return result.bad("wrong_type", "final: true or false")
    if not final:
        return result.skip("partial_segment", "final is false")
    known = directory.lookup(contact)
    queue = as_str(payload.get("queue")) or (known.queue if known else None)
    if queue is None:
        return result.skip("call_unknown", "no queue given and no contact event seen")
    ts = parse_time(payload["ts"]) if payload.get("ts") is not None else None
    if ts is None and payload.get("offset_ms") is not None:
        answered = parse_time(payload.get("answered_at")) or (known.answered_at if known else None)
        if answered is None:
            return result.skip("answer_time_unknown", "offset_ms without an answer time")
        ts = offset_time(answered, payload["offset_ms"])
    if ts is None:
        return result.bad("bad_timestamp", "ts, or offset_ms (milliseconds, >= 0), is required")
    result.events.append(
        message(
            source=SOURCE,
            segment_ids=(contact, segment),
            ts=ts,
            call=Call(contact, queue, None),
            queue=queue,
            role=str(role),
            text=text,
            extra={
                "lang": as_str(payload.get("lang")),
                "agent_id": as_str(payload.get("agent_id")),
                "sentiment": as_str(payload.get("sentiment")),
            },
        )
    )
    return result
