"""Twilio Real-Time Transcription callbacks (`<Start><Transcription statusCallbackUrl>`).

Follows "TwiML Voice: <Transcription>" (twilio.com/docs/voice/twiml/transcription), section
statusCallbackUrl: form-encoded POSTs with `TranscriptionEvent` (transcription-started,
-content, -stopped, -error), `CallSid`, `TranscriptionSid`, `SequenceId`, `Timestamp`,
`Track` (inbound_track / outbound_track), `Final` ("true" / "false"), `LanguageCode` and
`TranscriptionData`, a JSON string {"transcript": ..., "confidence": ...}.

Only final `transcription-content` events become messages. Time: Twilio stamps each one
(`Timestamp`), so no offset arithmetic is needed. Role: Flex starts the transcription on the
customer's call leg, where the inbound track is what the customer says and the outbound
track is what the agent says; a transcription started on the agent's leg swaps them
(`inbound_role="agent"`). Contact id and queue: the TaskRouter task of the call, learnt by
`observe` from the task's `call_sid` attribute (Flex sets it on voice tasks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from pillarwatch.models.sources.common import MappingOptions, MappingResult, as_str, parse_time
from pillarwatch.models.sources.transcripts import CallDirectory, message

__all__ = ["map_event", "observe"]

SOURCE: Final = "twilio-rt"
_OTHER_ROLE: Final = {"customer": "agent", "agent": "customer"}


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return as_str(value)


def map_event(
    payload: object,
    options: MappingOptions | None = None,
    *,
    directory: CallDirectory,
    inbound_role: str = "customer",
) -> MappingResult:
    result = MappingResult()
    if not isinstance(payload, Mapping):
        return result.bad("not_a_form", "payload is not form parameters")
    kind = _field(payload, "TranscriptionEvent")
    if kind is None:
        return result.bad("missing_field", "TranscriptionEvent")
    if kind != "transcription-content":
        return result.skip("ignored_event_type", f"TranscriptionEvent {kind}")
    if (_field(payload, "Final") or "").lower() != "true":
        return result.skip("partial_segment", "transcription-content with Final=false")
    call_sid = _field(payload, "CallSid")
    transcription = _field(payload, "TranscriptionSid")
    sequence = _field(payload, "SequenceId")
    if call_sid is None or transcription is None or sequence is None:
        return result.bad("missing_field", "CallSid, TranscriptionSid or SequenceId")
    ts = parse_time(_field(payload, "Timestamp"))
    if ts is None:
        return result.bad("bad_timestamp", "Timestamp")
    track = (_field(payload, "Track") or "").lower()
    if track == "inbound_track":
        role = inbound_role
    elif track == "outbound_track":
        role = _OTHER_ROLE[inbound_role]
    else:
        return result.skip("unknown_role", f"Track {track or 'missing'}")
    try:
        data = json.loads(_field(payload, "TranscriptionData") or "")
    except ValueError:
        return result.bad("malformed_transcription_data", "TranscriptionData is not JSON")
    text = data.get("transcript") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return result.bad("missing_field", "TranscriptionData.transcript")
    call = directory.lookup(call_sid)
    if call is None or call.queue is None:
        return result.skip("call_unknown", "no TaskRouter task seen for this CallSid")
    result.events.append(
        message(
            source=SOURCE,
            segment_ids=(transcription, sequence),
            ts=ts,
            call=call,
            queue=call.queue,
            role=role,
            text=text,
            extra={"lang": _field(payload, "LanguageCode")},
        )
    )
    return result


def observe(payload: object, result: MappingResult, directory: CallDirectory) -> None:
    """Learn, from one TaskRouter event, which call (CallSid) its task and contact are."""
    directory.learn(result.events)
    if not isinstance(payload, Mapping) or not result.events:
        return
    try:
        attributes = json.loads(_field(payload, "TaskAttributes") or "{}")
    except ValueError:
        return
    call_sid = as_str(attributes.get("call_sid")) if isinstance(attributes, dict) else None
    if call_sid is not None:
        first = result.events[0]
        directory.note(call_sid, str(first["contact_id"]), queue=str(first["queue"]))
