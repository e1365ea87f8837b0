"""Amazon Connect: EventBridge "Amazon Connect Contact Event" payloads and contact records (CTR).

Contact events follow docs.aws.amazon.com/connect/latest/adminguide/contact-events.html;
contact records are mapped in amazon_connect_ctr. Both give the same schema event the same
event_id ("connect:<leg contact id>:<type>"), so feeding both dedupes downstream, and both
apply one rule for where a contact leaves (connect_common.exit_of).

A transfer makes a new Connect contact (a new leg) with `initialContactId` pointing at the
first leg; pillarwatch's contact is the whole call, so contact_id is the initial contact id.
An answered contact ends at COMPLETED (after the agent's wrap-up), as in the contact record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pillarwatch.models.sources.amazon_connect_ctr import map_contact_record
from pillarwatch.models.sources.common import (
    DEFAULT_OPTIONS,
    OUTSIDE_QUEUES,
    MappingOptions,
    MappingResult,
    as_str,
    event_id,
    new_event,
    parse_time,
)
from pillarwatch.models.sources.connect_common import (
    CHANNELS,
    SOURCE,
    TRANSFER_METHODS,
    arn_tail,
    exit_of,
    shallow,
)

__all__ = ["map_contact_event", "map_contact_record", "map_event"]

DETAIL_TYPE = "Amazon Connect Contact Event"
WHOLE_SECOND_TIME = "whole_second_time"
Emit = Callable[..., None]


def map_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    """Either an EventBridge contact event or a contact record, told apart by their shape."""
    if not isinstance(payload, dict):
        return MappingResult().bad("not_an_object", "payload is not a JSON object")
    keys = {str(k).lower() for k in payload}
    if "detail" in keys or "detail-type" in keys:
        return map_contact_event(payload, options)
    if "contactid" in keys:
        return map_contact_record(payload, options)
    return MappingResult().bad("unknown_shape", "neither an EventBridge event nor a CTR")


def map_contact_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    if not isinstance(payload, dict):
        return result.bad("not_an_object", "payload is not a JSON object")
    envelope = shallow(payload)
    if envelope.get("detail-type") != DETAIL_TYPE:
        return result.skip("ignored_detail_type", f"detail-type {envelope.get('detail-type')!r}")
    if not isinstance(envelope.get("detail"), dict):
        return result.bad("missing_field", "detail")
    detail = shallow(envelope["detail"])
    leg = as_str(detail.get("contactid"))
    kind = as_str(detail.get("eventtype"))
    if leg is None or kind is None:
        return result.bad("missing_field", "detail.contactId or detail.eventType")
    kind = kind.upper()
    channel = CHANNELS.get(str(detail.get("channel", "")).upper())
    if channel is None:
        return result.skip("unsupported_channel", f"channel {detail.get('channel')!r}")
    contact = as_str(detail.get("initialcontactid")) or leg
    queue_info = shallow(detail.get("queueinfo"))
    agent_info = shallow(detail.get("agentinfo"))
    queue_id = arn_tail(queue_info.get("queuearn") or queue_info.get("arn"))
    agent_id = arn_tail(agent_info.get("agentarn") or agent_info.get("arn"))
    # EventBridge's envelope `time` has whole seconds only: the last resort, and said so.
    envelope_time = parse_time(envelope.get("time"))
    is_transfer_leg = (
        leg != contact or str(detail.get("initiationmethod", "")).upper() in TRANSFER_METHODS
    )
    answered_at = parse_time(agent_info.get("connectedtoagenttimestamp"))
    disconnected = parse_time(detail.get("disconnecttimestamp"))
    leaving = exit_of(detail)

    def emit(type_: str, ts: datetime | None, *id_parts: str, **extra: object) -> None:
        moment = ts
        if moment is None and envelope_time is not None:
            moment = envelope_time
            if envelope_time.microsecond == 0:
                result.caveats.append(WHOLE_SECOND_TIME)
        if moment is None or queue_id is None:
            result.bad("missing_field", f"{kind}: time or queueInfo.queueArn")
            return
        result.events.append(
            new_event(
                source_id=event_id(SOURCE, leg, *id_parts, type_),
                type_=type_,
                ts=moment,
                contact_id=contact,
                channel=channel,
                queue=opts.queue(queue_id),
                extra={"agent_id": agent_id, **extra},
            )
        )

    if kind == "QUEUED":
        enqueued = parse_time(queue_info.get("enqueuetimestamp"))
        if is_transfer_leg:
            # The new leg's queue is where the call was transferred to.
            emit("contact.transferred", enqueued, to_queue=opts.queue(queue_id or ""))
        else:
            emit("contact.queued", enqueued)
    elif kind == "CONNECTED_TO_AGENT":
        if is_transfer_leg:
            return result.skip("transfer_leg", "answer of a transferred leg: counted once")
        emit("contact.answered", answered_at)
    elif kind in {"DISCONNECTED", "COMPLETED"}:
        if leaving and leaving.kind == "next_leg":
            return result.skip("transferred_away", "the contact continues on its next leg")
        if queue_id is None:
            return result.skip("not_queued", "disconnected without entering a queue")
        if leaving:  # transferred to an outside number: it left us when that party answered
            left = leaving.at or disconnected
            emit("contact.transferred", left, "outside", to_queue=OUTSIDE_QUEUES)
        if answered_at is None:
            if kind == "COMPLETED":
                return result.skip("ended_at_disconnect", "never answered: DISCONNECTED ended it")
            if not is_transfer_leg:
                emit("contact.abandoned", disconnected)
            emit("contact.ended", disconnected)
        elif kind == "DISCONNECTED":
            result.skip("ends_at_completed", "answered: the contact ends after its wrap-up")
        else:
            _completed(result, agent_info, (leaving.at if leaving else None) or disconnected, emit)
    else:
        return result.skip("ignored_event_type", f"eventType {kind}")
    return result


def _completed(
    result: MappingResult, agent_info: dict[str, Any], talk_end: datetime | None, emit: Emit
) -> None:
    """COMPLETED of an answered contact: it ends when the wrap-up ends (if any, and later)."""
    acw_end = parse_time(agent_info.get("aftercontactworkendtimestamp"))
    if acw_end is not None:
        # Contact events carry no contact attributes: whether it was resolved is unknown.
        result.skip("no_resolution", "contact events carry no contact attributes")
    ended = max(talk_end, acw_end) if talk_end and acw_end else (talk_end or acw_end)
    emit("contact.ended", ended)
