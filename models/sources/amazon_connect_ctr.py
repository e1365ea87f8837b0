"""Amazon Connect contact records (CTR) -> schema v1.

Follows docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html. One record is one
leg; event ids ("connect:<leg contact id>:<type>") are the contact events' ids, so feeding both
dedupes and the record adds what the live events lack (hold, attributes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pillarwatch.models.sources.common import (
    DEFAULT_OPTIONS,
    OUTSIDE_QUEUES,
    MappingOptions,
    MappingResult,
    as_obj,
    as_str,
    customer_from_address,
    event_id,
    new_event,
    parse_time,
)
from pillarwatch.models.sources.connect_common import (
    CHANNELS,
    SOURCE,
    TRANSFER_METHODS,
    arn_tail,
    attributes,
    exit_of,
    folded,
    resolved_attribute,
)

__all__ = ["map_contact_record"]


def map_contact_record(record: object, options: MappingOptions | None = None) -> MappingResult:
    """Queue, answer/abandon, hold, wrap-up, transfer out and end of one leg.

    Connect gives only the total customer hold time, not each hold: it becomes one hold
    block that ends when the agent's talk ends (the sum is right, the placement is not).
    """
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    if not isinstance(record, dict):
        return result.bad("not_an_object", "contact record is not a JSON object")
    ctr: dict[str, Any] = folded(record)
    leg = as_str(ctr.get("contactid"))
    if leg is None:
        return result.bad("missing_field", "ContactId")
    channel = CHANNELS.get(str(ctr.get("channel", "")).upper())
    if channel is None:
        return result.skip("unsupported_channel", f"Channel {ctr.get('channel')!r}")
    queue = as_obj(ctr.get("queue"))
    if not queue:
        return result.skip("not_queued", "contact record without a queue")
    queue_id = arn_tail(queue.get("arn"))
    if queue_id is None:
        return result.bad("missing_field", "Queue.ARN")
    agent = as_obj(ctr.get("agent"))
    contact = as_str(ctr.get("initialcontactid")) or leg
    is_transfer_leg = (
        leg != contact or str(ctr.get("initiationmethod", "")).upper() in TRANSFER_METHODS
    )
    attrs = attributes(ctr.get("attributes"), opts)
    endpoint = as_obj(ctr.get("customerendpoint"))
    if attrs["customer_id"] is None:
        attrs["customer_id"] = customer_from_address(as_str(endpoint.get("address")), opts)
    common = {"agent_id": arn_tail(agent.get("arn")), **attrs}

    def emit(type_: str, ts: datetime | None, *id_parts: str, **extra: object) -> None:
        if ts is None:
            result.bad("missing_field", f"timestamp for {type_}")
            return
        result.events.append(
            new_event(
                source_id=event_id(SOURCE, leg, *id_parts, type_),
                type_=type_,
                ts=ts,
                contact_id=contact,
                channel=channel,
                queue=opts.queue(queue_id),
                extra={**common, **extra},
            )
        )

    enqueued = parse_time(queue.get("enqueuetimestamp"))
    disconnected = parse_time(ctr.get("disconnecttimestamp"))
    answered = parse_time(agent.get("connectedtoagenttimestamp"))
    if is_transfer_leg:
        emit("contact.transferred", enqueued, to_queue=opts.queue(queue_id))
    else:
        emit("contact.queued", enqueued)
        if answered:
            emit("contact.answered", answered)
        else:
            emit("contact.abandoned", disconnected)
    leaving = exit_of(ctr)
    # Talk ends at wrap-up start, else when the outside party took the call, else disconnect.
    outside_at = leaving.at if leaving and leaving.kind == "outside" else None
    acw_start = parse_time(agent.get("aftercontactworkstarttimestamp"))
    talk_end = acw_start or outside_at or disconnected
    hold = agent.get("customerholdduration")
    if isinstance(hold, int | float) and not isinstance(hold, bool) and hold > 0 and talk_end:
        emit("contact.hold_started", talk_end - timedelta(seconds=float(hold)))
        emit("contact.hold_ended", talk_end)
    acw_end = parse_time(agent.get("aftercontactworkendtimestamp"))
    resolved = resolved_attribute(ctr.get("attributes"), opts)
    if answered and acw_end:
        if resolved is None:
            result.skip("no_resolution", f"no '{opts.resolved_key}' contact attribute")
        else:
            emit("contact.wrapped", acw_end, resolved=resolved)
    if leaving and leaving.kind == "next_leg":
        return result.skip("transferred_away", "the contact continues on its next leg")
    left = disconnected
    if leaving:  # outside transfer: the contact left us when the outside party answered
        left = leaving.at or talk_end
        emit("contact.transferred", left, "outside", to_queue=OUTSIDE_QUEUES)
    # The contact ends for pillarwatch when the agent's wrap-up ends, if that is later.
    emit("contact.ended", max(left, acw_end) if left and acw_end else left)
    return result
