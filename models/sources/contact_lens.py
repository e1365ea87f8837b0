"""Amazon Connect Contact Lens real-time segments (voice) -> schema-v1 `contact.message`.

Follows "Data model for conversational analytics segment streams to analyze voice contacts"
(docs.aws.amazon.com/connect/latest/adminguide/real-time-contact-analysis-segment-streams-data-model.html)
and its samples (.../sample-real-time-contact-analysis-segment-stream.html): events
`STARTED`, `SEGMENTS`, `COMPLETED`, `FAILED`; a `SEGMENTS` event lists `Utterance` (partial),
`Transcript` (final), `Categories` and `PostContactSummary` segments. Accepted as the event
itself or as a Kinesis record around it (`data`, base64), as a Lambda or an EventBridge pipe
from the Kinesis data stream forwards it.

Only `Transcript` segments become messages (an `Utterance` is a partial and is skipped).
Time: offsets count from the start of the call's analysed audio, which Connect records from
the agent's connection, so a segment's time = the leg's `connectedToAgentTimestamp` (learnt
by `observe` from the contact events through the same receiver) + `BeginOffsetMillis`.
Contact id, queue: the contact events' (a transfer leg maps to its `initialContactId`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

import orjson

from pillarwatch.models.sources.common import (
    MappingOptions,
    MappingResult,
    as_obj,
    as_str,
    parse_time,
)
from pillarwatch.models.sources.transcripts import CallDirectory, message, offset_time

__all__ = ["map_event", "observe"]

SOURCE: Final = "connect-lens"
# ParticipantRole -> schema role. A supervisor who barges in speaks for the company.
_ROLES: Final = {
    "CUSTOMER": "customer",
    "AGENT": "agent",
    "SUPERVISOR": "agent",
    "SYSTEM": "bot",
    "CUSTOM_BOT": "bot",
}
_SENTIMENTS: Final = {"POSITIVE": "positive", "NEUTRAL": "neutral", "NEGATIVE": "negative"}


def _unwrap_kinesis(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The Contact Lens event, from itself or from a Kinesis record's base64 `data`."""
    if "EventType" in payload or "ContactId" in payload:
        return payload
    record = as_obj(payload.get("kinesis")) or payload
    data = record.get("data")
    if not isinstance(data, str):
        return None
    try:
        inner = orjson.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, orjson.JSONDecodeError):
        return None
    return inner if isinstance(inner, dict) else None


def map_event(
    payload: object, options: MappingOptions | None = None, *, directory: CallDirectory
) -> MappingResult:
    """Every final transcript segment of one Contact Lens streaming event."""
    result = MappingResult()
    if not isinstance(payload, dict):
        return result.bad("not_an_object", "payload is not a JSON object")
    event = _unwrap_kinesis(payload)
    if event is None:
        return result.bad("unknown_shape", "neither a Contact Lens event nor a Kinesis record")
    kind = as_str(event.get("EventType")) or as_str(event.get("StreamingEventType"))
    leg = as_str(event.get("ContactId"))
    if kind is None or leg is None:
        return result.bad("missing_field", "EventType or ContactId")
    if kind != "SEGMENTS":
        return result.skip("ignored_event_type", f"Contact Lens {kind}")
    if str(event.get("Channel", "VOICE")).upper() != "VOICE":
        return result.skip("unsupported_channel", f"Channel {event.get('Channel')!r}")
    segments = event.get("Segments")
    if not isinstance(segments, list):
        return result.bad("missing_field", "Segments")
    call = directory.lookup(leg)
    if call is None or call.queue is None:
        return result.skip("call_unknown", "no contact event seen for this contact")
    if call.answered_at is None:
        return result.skip("answer_time_unknown", "no CONNECTED_TO_AGENT seen for this leg")
    lang = as_str(event.get("LanguageCode"))
    transcripts = [as_obj(as_obj(s).get("Transcript")) for s in segments]
    categories = [as_obj(as_obj(s).get("Categories")) for s in segments]
    for segment in segments:
        if "Utterance" in as_obj(segment):
            result.skip("partial_segment", "Utterance: a partial transcript")
    for transcript in (t for t in transcripts if t):
        seg_id = as_str(transcript.get("Id"))
        role = _ROLES.get(str(transcript.get("ParticipantRole", "")).upper())
        text = transcript.get("Content")
        begin = transcript.get("BeginOffsetMillis")
        ts = offset_time(call.answered_at, begin)
        if seg_id is None or not isinstance(text, str) or ts is None:
            result.bad("missing_field", "Transcript: Id, Content or BeginOffsetMillis")
            continue
        if role is None:
            result.skip("unknown_role", f"ParticipantRole {transcript.get('ParticipantRole')!r}")
            continue
        matched = _categories_at(categories, begin, transcript.get("EndOffsetMillis"))
        result.events.append(
            message(
                source=SOURCE,
                segment_ids=(leg, seg_id),
                ts=ts,
                call=call,
                queue=call.queue,
                role=role,
                text=text,
                extra={
                    "lang": lang,
                    "sentiment": _SENTIMENTS.get(str(transcript.get("Sentiment", "")).upper()),
                    "categories": matched or None,
                },
            )
        )
    if not result.events and not result.unmapped:
        result.skip("no_transcript", "SEGMENTS without a Transcript segment")
    return result


def _categories_at(categories: list[dict[str, Any]], begin: object, end: object) -> list[str]:
    """Names of matched categories with a point of interest inside [begin, end] of a segment."""
    if not isinstance(begin, int | float) or not isinstance(end, int | float):
        return []
    names: list[str] = []
    for block in categories:
        details = as_obj(block.get("MatchedDetails"))
        for name in block.get("MatchedCategories") or []:
            points = as_obj(details.get(name)).get("PointsOfInterest") or []
            for point in points:
                p = as_obj(point)
                p_begin, p_end = p.get("BeginOffsetMillis"), p.get("EndOffsetMillis")
                if (
                    isinstance(p_begin, int | float)
                    and isinstance(p_end, int | float)
                    and p_begin <= end
                    and p_end >= begin
                    and name not in names
                ):
                    names.append(str(name))
    return names


def observe(payload: object, result: MappingResult, directory: CallDirectory) -> None:
    """Learn, from one Connect contact event or contact record, its leg, contact and answer."""
    directory.learn(result.events)
    if not isinstance(payload, dict):
        return
    detail = as_obj(payload.get("detail")) if "detail" in payload else None
    if detail is not None:
        leg = as_str(detail.get("contactId"))
        contact = as_str(detail.get("initialContactId")) or leg
        answered = parse_time(as_obj(detail.get("agentInfo")).get("connectedToAgentTimestamp"))
    else:
        leg = as_str(payload.get("ContactId"))
        contact = as_str(payload.get("InitialContactId")) or leg
        answered = parse_time(as_obj(payload.get("Agent")).get("ConnectedToAgentTimestamp"))
    if leg is None or contact is None:
        return
    queue = next((str(e["queue"]) for e in result.events), None)
    directory.note(leg, contact, queue=queue, answered_at=answered)
