"""Genesys Cloud conversation transcription notifications -> schema-v1 `contact.message`.

Topic `v2.conversations.{id}.transcription` ("Transcription Notifications",
developer.genesys.cloud/analyticsdatamanagement/speechtextanalytics/transcription-notifications;
message fields as the platform SDKs' TranscriptionTopicTranscriptionMessage,
TranscriptionTopicTranscriptResult and TranscriptionTopicTranscriptAlternative): an
`eventBody` with `conversationId`, `sessionStartTimeMs` and `transcripts`, each with
`utteranceId`, `isFinal`, `channel` (EXTERNAL = the customer, INTERNAL = the agent),
`dialect` and `alternatives` (`transcript`, `offsetMs`, `durationMs`, `confidence`).
Accepted as the notification message or inside the EventBridge envelope, like the contact
events (models/sources/genesys_cloud.py).

Only final transcripts become messages. Time = `sessionStartTimeMs` + the first
alternative's `offsetMs` (epoch ms, so nothing is remembered for it). Contact id = the
conversation id, as on the detail events; the queue is learnt from those events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from pillarwatch.models.sources.common import MappingOptions, MappingResult, as_obj, as_str
from pillarwatch.models.sources.transcripts import CallDirectory, message, offset_time

__all__ = ["map_event", "observe"]

SOURCE: Final = "genesys-tx"
TOPIC_PREFIX: Final = "v2.conversations."
TOPIC_SUFFIX: Final = ".transcription"
_ROLES: Final = {"EXTERNAL": "customer", "INTERNAL": "agent"}


def _unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    if "eventBody" not in payload and isinstance(payload.get("detail"), dict):
        return as_obj(payload["detail"])
    return payload


def _epoch_ms(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000.0, UTC)


def map_event(
    payload: object, options: MappingOptions | None = None, *, directory: CallDirectory
) -> MappingResult:
    result = MappingResult()
    if not isinstance(payload, dict):
        return result.bad("not_an_object", "payload is not a JSON object")
    msg = _unwrap(payload)
    topic = as_str(msg.get("topicName")) or as_str(payload.get("detail-type")) or ""
    body = msg.get("eventBody")
    if not topic or not isinstance(body, dict):
        return result.bad("missing_field", "topicName or eventBody")
    if not (topic.startswith(TOPIC_PREFIX) and topic.endswith(TOPIC_SUFFIX)):
        return result.skip("ignored_topic", "not a conversation transcription topic")
    conversation = as_str(body.get("conversationId"))
    if conversation is None:
        return result.bad("missing_field", "eventBody.conversationId")
    transcripts = body.get("transcripts") or []
    if not isinstance(transcripts, list):
        return result.bad("wrong_type", "eventBody.transcripts")
    if not transcripts:
        # The session's start and its 5-minute heartbeats carry a status and no transcript.
        return result.skip("no_transcript", "transcription status message")
    started = _epoch_ms(body.get("sessionStartTimeMs"))
    if started is None:
        return result.bad("missing_field", "eventBody.sessionStartTimeMs")
    call = directory.lookup(conversation)
    if call is None or call.queue is None:
        return result.skip("call_unknown", "no detail event seen for this conversation")
    for raw in transcripts:
        item = as_obj(raw)
        if item.get("isFinal") is not True:
            result.skip("partial_segment", "transcript with isFinal false")
            continue
        role = _ROLES.get(str(item.get("channel", "")).upper())
        if role is None:
            result.skip("unknown_role", f"channel {item.get('channel')!r}")
            continue
        alternatives = item.get("alternatives")
        best = as_obj(alternatives[0]) if isinstance(alternatives, list) and alternatives else {}
        utterance = as_str(item.get("utteranceId"))
        # The engine's words; the decorated form (case, punctuation) only when they are absent.
        text = best.get("transcript") or best.get("decoratedTranscript")
        ts = offset_time(started, best.get("offsetMs"))
        if utterance is None or not isinstance(text, str) or ts is None:
            result.bad("missing_field", "utteranceId, alternatives[0].transcript or offsetMs")
            continue
        result.events.append(
            message(
                source=SOURCE,
                segment_ids=(conversation, utterance),
                ts=ts,
                call=call,
                queue=call.queue,
                role=role,
                text=text,
                extra={"lang": as_str(item.get("dialect"))},
            )
        )
    return result


def observe(payload: object, result: MappingResult, directory: CallDirectory) -> None:
    """Detail events carry the conversation id the transcripts use: their events suffice."""
    directory.learn(result.events)
