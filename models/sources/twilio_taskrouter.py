"""Twilio TaskRouter (Flex) Workspace event callbacks, form-encoded as Twilio posts them.

Follows twilio.com/docs/taskrouter/api/event/reference. The payload is the decoded form:
a mapping of parameter name to value (str, or a list of str when a name repeats).
Task attributes (`TaskAttributes`, a JSON string) follow Flex's conventions: a transferred
task carries `conversations.conversation_id` = the first task's SID, which becomes the
contact id so all tasks of one call are one contact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
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

SOURCE = "twilio"
# TaskChannelUniqueName -> schema channel; Flex's default channels and their usual names.
_CHANNELS = {
    "voice": "voice",
    "chat": "chat",
    "sms": "messaging",
    "whatsapp": "messaging",
    "messaging": "messaging",
    "email": "email",
    "video": "video",
}
_QUEUE_TRANSFER = {"QUEUE", "queue"}


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return as_str(value)


def _json_object(text: str | None) -> dict[str, Any] | None:
    """The attributes object; {} when absent; None when present but not a JSON object."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _resolved(attrs: dict[str, Any], options: MappingOptions, reason: str | None) -> bool | None:
    value = attrs.get(options.resolved_key)
    if isinstance(value, bool):
        return value
    conversations = attrs.get("conversations")
    outcome = as_str(conversations.get("outcome")) if isinstance(conversations, dict) else None
    return options.resolution(outcome) if outcome else options.resolution(reason)


def map_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    if not isinstance(payload, Mapping):
        return result.bad("not_a_form", "payload is not form parameters")
    kind = _field(payload, "EventType")
    if kind is None:
        return result.bad("missing_field", "EventType")
    handled = {
        "task.created",
        "task-queue.entered",
        "reservation.accepted",
        "task.canceled",
        "task.completed",
        "task.transfer-initiated",
    }
    if kind not in handled:
        if kind == "task.wrapup":
            return result.skip("no_schema_event", "task.wrapup: the wrap-up ends at task.completed")
        return result.skip("ignored_event_type", f"EventType {kind}")
    task_sid = _field(payload, "TaskSid")
    if task_sid is None:
        return result.bad("missing_field", f"{kind}: TaskSid")
    ms = _field(payload, "TimestampMs")
    ts: datetime | None = (
        parse_time(ms, epoch_unit=1000.0) if ms else parse_time(_field(payload, "Timestamp"))
    )
    if ts is None:
        return result.bad("bad_timestamp", f"{kind}: Timestamp")
    channel_name = (_field(payload, "TaskChannelUniqueName") or "").lower()
    channel = _CHANNELS.get(channel_name)
    if channel is None:
        return result.skip("unsupported_channel", f"TaskChannelUniqueName {channel_name!r}")
    queue_sid = _field(payload, "TaskQueueSid")
    queue_name = _field(payload, "TaskQueueName") or (opts.queue(queue_sid) if queue_sid else None)
    if queue_name is None:
        return result.skip("no_queue_yet", f"{kind}: task not yet in a TaskQueue")
    raw_attrs = _field(payload, "TaskAttributes")
    attrs = _json_object(raw_attrs)
    if attrs is None:
        return result.bad("malformed_attributes", f"{kind}: TaskAttributes is not a JSON object")
    conversations = as_obj(attrs.get("conversations"))
    customers = as_obj(attrs.get("customers"))
    contact = as_str(conversations.get("conversation_id")) or task_sid
    customer = as_str(attrs.get(opts.customer_id_key)) or as_str(customers.get("external_id"))
    if customer is None:
        customer = customer_from_address(as_str(attrs.get("from")), opts)
    worker_attrs = _json_object(_field(payload, "WorkerAttributes")) or {}
    extra: dict[str, object] = {
        "customer_id": customer,
        "segment": as_str(attrs.get(opts.segment_key)) or as_str(customers.get("market_segment")),
        "lang": as_str(attrs.get(opts.lang_key)) or as_str(conversations.get("language")),
        "agent_id": _field(payload, "WorkerSid"),
        "team": as_str(worker_attrs.get("team_name")),
    }

    def emit(type_: str, *id_parts: object, **more: object) -> None:
        result.events.append(
            new_event(
                source_id=event_id(SOURCE, task_sid, *id_parts, type_),
                type_=type_,
                ts=ts,
                contact_id=contact,
                channel=channel,
                queue=queue_name,
                extra={**extra, **more},
            )
        )

    is_transfer_task = contact != task_sid
    if kind in {"task.created", "task-queue.entered"}:
        # Both say "waiting in a queue"; one id for both so the second is a duplicate.
        if not is_transfer_task:
            emit("contact.queued")
        else:
            result.skip("transfer_leg", "a transferred task: the transfer was mapped already")
    elif kind == "reservation.accepted":
        if is_transfer_task:
            return result.skip("transfer_leg", "answer of a transferred task: counted once")
        emit("contact.answered")
    elif kind == "task.canceled":
        emit("contact.abandoned")
        emit("contact.ended")
    elif kind == "task.completed":
        reason = _field(payload, "TaskCompletedReason")
        resolved = _resolved(attrs, opts, reason)
        if resolved is None:
            result.skip("no_resolution", "task.completed without a resolution attribute")
        else:
            emit("contact.wrapped", resolved=resolved)
        emit("contact.ended")
    elif kind == "task.transfer-initiated":
        transfer_sid = _field(payload, "TransferSid") or "transfer"
        if _field(payload, "TransferType") not in _QUEUE_TRANSFER:
            emit("contact.transferred", transfer_sid, to_queue=queue_name)
        else:
            target = _field(payload, "TransferTo") or queue_name
            emit("contact.transferred", transfer_sid, to_queue=opts.queue(target))
    return result
