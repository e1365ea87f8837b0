"""Genesys Cloud conversation detail events (topics v2.detail.events.conversation.{id}.*).

Accepted as the notification-service message ({"topicName", "version", "eventBody",
"metadata"}) or wrapped by the Amazon EventBridge integration ({"detail-type": topic,
"detail": <that message>}). Follows developer.genesys.cloud's "Available topics" page for
the detail-event topics and the EventBridge integration's event envelope.
"""

from __future__ import annotations

from typing import Any

from pillarwatch.models.sources.common import (
    DEFAULT_OPTIONS,
    MappingOptions,
    MappingResult,
    as_obj,
    as_str,
    customer_from_address,
    event_id,
    new_event,
    parse_time,
)

__all__ = ["map_event"]

SOURCE = "genesys"
TOPIC_PREFIX = "v2.detail.events.conversation."
_CHANNELS = {
    "VOICE": "voice",
    "CALLBACK": "voice",
    "CHAT": "chat",
    "EMAIL": "email",
    "MESSAGE": "messaging",
    "VIDEO": "video",
}


def _unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    """The notification message, from itself or from an EventBridge envelope."""
    if "eventBody" not in payload and isinstance(payload.get("detail"), dict):
        return as_obj(payload["detail"])
    return payload


def map_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    if not isinstance(payload, dict):
        return result.bad("not_an_object", "payload is not a JSON object")
    message = _unwrap(payload)
    topic = as_str(message.get("topicName")) or as_str(payload.get("detail-type"))
    body = message.get("eventBody")
    if topic is None or not isinstance(body, dict):
        return result.bad("missing_field", "topicName or eventBody")
    if not topic.startswith(TOPIC_PREFIX):
        return result.skip("ignored_topic", "not a conversation detail event topic")
    # v2.detail.events.conversation.{id}.acd.start -> "acd.start"
    suffix = topic[len(TOPIC_PREFIX) :].split(".", 1)
    kind = suffix[1] if len(suffix) == 2 else ""
    conversation = as_str(body.get("conversationId"))
    if conversation is None:
        return result.bad("missing_field", f"{kind}: conversationId")
    ts = parse_time(body.get("eventTime"), epoch_unit=1000.0)
    if ts is None:
        return result.bad("bad_timestamp", f"{kind}: eventTime")
    channel = _CHANNELS.get(str(body.get("mediaType", "")).upper())
    if channel is None:
        return result.skip("unsupported_channel", f"mediaType {body.get('mediaType')!r}")
    queue_id = as_str(body.get("queueId"))
    if queue_id is None:
        return result.skip("not_queued", f"{kind}: no queueId")
    participant = as_str(body.get("participantId")) or "-"
    external = body.get("conversationExternalContactIds")
    customer = as_str(external[0]) if isinstance(external, list) and external else None
    # Genesys sends INBOUND / OUTBOUND (its SDK enums); older relays lower-case it.
    if customer is None and str(body.get("direction", "")).lower() == "inbound":
        customer = customer_from_address(as_str(body.get("ani")), opts)
    # acd.end names the answering agent in answeredUserId; user.* and acw events in userId.
    agent = as_str(body.get("answeredUserId")) or as_str(body.get("userId"))
    extra: dict[str, object] = {"customer_id": customer, "agent_id": agent}

    def emit(type_: str, **more: object) -> None:
        result.events.append(
            new_event(
                source_id=event_id(SOURCE, conversation, participant, type_),
                type_=type_,
                ts=ts,
                contact_id=conversation,
                channel=channel,
                queue=opts.queue(queue_id),
                extra={**extra, **more},
            )
        )

    if kind == "acd.start":
        emit("contact.queued")
    elif kind == "acd.end":
        outcome = str(body.get("acdOutcome", "")).upper()
        if outcome == "ANSWERED":
            emit("contact.answered")
        elif outcome in {"ABANDON", "ABANDONED"}:
            emit("contact.abandoned")
        else:
            result.skip("ignored_acd_outcome", f"acdOutcome {outcome or 'missing'}")
    elif kind == "acw":
        code = as_str(body.get("wrapupCode"))
        resolved = opts.resolution(code)
        if resolved is None:
            result.skip("no_resolution", "wrap-up code not in the resolved/unresolved lists")
        else:
            emit("contact.wrapped", resolved=resolved, reason=code)
    elif kind == "customer.end":
        emit("contact.ended")
    elif kind == "user.end" and str(body.get("disconnectType", "")).upper() == "TRANSFER":
        # The destination queue is only known from the next acd.start: a stateless mapping
        # cannot pair them, so this transfer is reported, not guessed.
        result.skip("transfer_destination_unknown", "user.end with disconnectType TRANSFER")
    else:
        result.skip("ignored_event_type", f"detail event {kind or topic}")
    return result
