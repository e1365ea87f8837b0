"""Amazon Connect: EventBridge "Amazon Connect Contact Event" payloads and contact records (CTR).

Contact events follow docs.aws.amazon.com/connect/latest/adminguide/contact-events.html;
contact records follow .../adminguide/ctr-data-model.html. Both give the same schema event
the same event_id ("connect:<leg contact id>:<type>"), so feeding both dedupes downstream and
the contact record only adds what the live events lack (hold and wrap-up).

A transfer makes a new Connect contact (a new leg) with `initialContactId` pointing at the
first leg; pillarwatch's contact is the whole call, so contact_id is the initial contact id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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

__all__ = ["map_contact_event", "map_contact_record", "map_event"]

SOURCE = "connect"
DETAIL_TYPE = "Amazon Connect Contact Event"
_CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}
_TRANSFER_METHODS = {"TRANSFER", "QUEUE_TRANSFER"}


def _arn_tail(arn: object) -> str | None:
    text = as_str(arn)
    return text.rsplit("/", 1)[-1] if text else None


def map_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    """Either an EventBridge contact event or a contact record, told apart by their shape."""
    if not isinstance(payload, dict):
        return MappingResult().bad("not_an_object", "payload is not a JSON object")
    if "detail" in payload or "detail-type" in payload:
        return map_contact_event(payload, options)
    if "ContactId" in payload:
        return map_contact_record(payload, options)
    return MappingResult().bad("unknown_shape", "neither an EventBridge event nor a CTR")


def _attributes(raw: object, options: MappingOptions) -> dict[str, object]:
    attrs = raw if isinstance(raw, dict) else {}
    return {
        "customer_id": as_str(attrs.get(options.customer_id_key)),
        "segment": as_str(attrs.get(options.segment_key)),
        "lang": as_str(attrs.get(options.lang_key)),
    }


def map_contact_event(
    payload: dict[str, Any], options: MappingOptions | None = None
) -> MappingResult:
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    if payload.get("detail-type") != DETAIL_TYPE:
        return result.skip("ignored_detail_type", f"detail-type {payload.get('detail-type')!r}")
    detail = payload.get("detail")
    if not isinstance(detail, dict):
        return result.bad("missing_field", "detail")
    leg = as_str(detail.get("contactId"))
    kind = as_str(detail.get("eventType"))
    if leg is None or kind is None:
        return result.bad("missing_field", "detail.contactId or detail.eventType")
    channel = _CHANNELS.get(str(detail.get("channel", "")).upper())
    if channel is None:
        return result.skip("unsupported_channel", f"channel {detail.get('channel')!r}")
    contact = as_str(detail.get("initialContactId")) or leg
    queue_info = as_obj(detail.get("queueInfo"))
    agent_info = as_obj(detail.get("agentInfo"))
    queue_id = _arn_tail(queue_info.get("queueArn"))
    agent_id = _arn_tail(agent_info.get("agentArn"))
    envelope_time = parse_time(payload.get("time"))
    is_transfer_leg = (
        leg != contact or str(detail.get("initiationMethod", "")).upper() in _TRANSFER_METHODS
    )

    def emit(type_: str, ts: datetime | None, **extra: object) -> None:
        moment = ts or envelope_time
        if moment is None or queue_id is None:
            result.bad("missing_field", f"{kind}: time or queueInfo.queueArn")
            return
        result.events.append(
            new_event(
                source_id=event_id(SOURCE, leg, type_),
                type_=type_,
                ts=moment,
                contact_id=contact,
                channel=channel,
                queue=opts.queue(queue_id),
                extra={"agent_id": agent_id, **extra},
            )
        )

    if kind == "QUEUED":
        enqueued = parse_time(queue_info.get("enqueueTimestamp"))
        if is_transfer_leg:
            # The new leg's queue is where the call was transferred to.
            emit("contact.transferred", enqueued, to_queue=opts.queue(queue_id or ""))
        else:
            emit("contact.queued", enqueued)
    elif kind == "CONNECTED_TO_AGENT":
        if is_transfer_leg:
            return result.skip("transfer_leg", "answer of a transferred leg: counted once")
        emit("contact.answered", parse_time(agent_info.get("connectedToAgentTimestamp")))
    elif kind == "DISCONNECTED":
        ended = parse_time(detail.get("disconnectTimestamp"))
        if (
            as_str(detail.get("nextContactId"))
            or "TRANSFER" in str(detail.get("disconnectReason", "")).upper()
        ):
            return result.skip("transferred_away", "the contact continues on its next leg")
        if queue_id is None:
            return result.skip("not_queued", "disconnected without entering a queue")
        if not agent_info.get("connectedToAgentTimestamp") and not is_transfer_leg:
            emit("contact.abandoned", ended)
        emit("contact.ended", ended)
    else:
        return result.skip("ignored_event_type", f"eventType {kind}")
    return result


def map_contact_record(
    record: dict[str, Any], options: MappingOptions | None = None
) -> MappingResult:
    """A contact record (CTR): queue, answer/abandon, hold, wrap-up and end of one leg.

    Connect gives only the total customer hold time, not each hold: it becomes one hold
    block that ends when the agent's talk ends (the sum is right, the placement is not).
    """
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    leg = as_str(record.get("ContactId"))
    if leg is None:
        return result.bad("missing_field", "ContactId")
    channel = _CHANNELS.get(str(record.get("Channel", "")).upper())
    if channel is None:
        return result.skip("unsupported_channel", f"Channel {record.get('Channel')!r}")
    queue = as_obj(record.get("Queue"))
    if not queue:
        return result.skip("not_queued", "contact record without a queue")
    queue_id = _arn_tail(queue.get("ARN"))
    if queue_id is None:
        return result.bad("missing_field", "Queue.ARN")
    agent = as_obj(record.get("Agent"))
    contact = as_str(record.get("InitialContactId")) or leg
    is_transfer_leg = (
        leg != contact or str(record.get("InitiationMethod", "")).upper() in _TRANSFER_METHODS
    )
    attrs = _attributes(record.get("Attributes"), opts)
    endpoint = record.get("CustomerEndpoint")
    if attrs["customer_id"] is None and isinstance(endpoint, dict):
        attrs["customer_id"] = customer_from_address(as_str(endpoint.get("Address")), opts)
    common = {
        "agent_id": _arn_tail(agent.get("ARN")),
        **attrs,
    }

    def emit(type_: str, ts: datetime | None, **extra: object) -> None:
        if ts is None:
            result.bad("missing_field", f"timestamp for {type_}")
            return
        result.events.append(
            new_event(
                source_id=event_id(SOURCE, leg, type_),
                type_=type_,
                ts=ts,
                contact_id=contact,
                channel=channel,
                queue=opts.queue(queue_id),
                extra={**common, **extra},
            )
        )

    enqueued = parse_time(queue.get("EnqueueTimestamp"))
    disconnected = parse_time(record.get("DisconnectTimestamp"))
    answered = parse_time(agent.get("ConnectedToAgentTimestamp"))
    if is_transfer_leg:
        emit("contact.transferred", enqueued, to_queue=opts.queue(queue_id))
    else:
        emit("contact.queued", enqueued)
        if answered:
            emit("contact.answered", answered)
        else:
            emit("contact.abandoned", disconnected)
    hold = agent.get("CustomerHoldDuration")
    acw_start = parse_time(agent.get("AfterContactWorkStartTimestamp"))
    talk_end = acw_start or disconnected
    if isinstance(hold, int | float) and not isinstance(hold, bool) and hold > 0 and talk_end:
        emit("contact.hold_started", talk_end - timedelta(seconds=float(hold)))
        emit("contact.hold_ended", talk_end)
    acw_end = parse_time(agent.get("AfterContactWorkEndTimestamp"))
    resolved = _resolved(record.get("Attributes"), opts)
    if answered and acw_end:
        if resolved is None:
            result.skip("no_resolution", f"no '{opts.resolved_key}' contact attribute")
        else:
            emit("contact.wrapped", acw_end, resolved=resolved)
    if as_str(record.get("NextContactId")):
        result.skip("transferred_away", "the contact continues on its next leg")
    else:
        # The contact ends for pillarwatch when the agent's wrap-up ends, if that is later.
        ended = max(disconnected, acw_end) if disconnected and acw_end else disconnected
        emit("contact.ended", ended)
    return result


def _resolved(raw: object, options: MappingOptions) -> bool | None:
    attrs = raw if isinstance(raw, dict) else {}
    value = attrs.get(options.resolved_key)
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
