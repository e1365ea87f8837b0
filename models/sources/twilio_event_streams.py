"""Twilio Event Streams: TaskRouter events as CloudEvents (webhook or Kinesis sinks).

Follows twilio.com/docs/events/event-types/taskrouter/* (types
`com.twilio.taskrouter.<event>`, schema TaskRouter.WDSEvent). The TaskRouter fields sit in
`data.payload` in snake_case (`task_sid`, `task_queue_name`, `timestamp_ms`, `eventtype`...):
the same fields the Workspace callback posts in PascalCase. They are renamed and mapped by
twilio_taskrouter.map_event, so both deliveries give the same schema events with the same
event ids (a workspace sending both dedupes downstream).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pillarwatch.models.sources import twilio_taskrouter
from pillarwatch.models.sources.common import (
    DEFAULT_OPTIONS,
    MappingOptions,
    MappingResult,
    as_obj,
    as_str,
)

__all__ = ["TYPE_PREFIX", "callback_form", "map_event"]

TYPE_PREFIX = "com.twilio.taskrouter."
# Snake-case payload names whose callback name is not the plain PascalCase of the words.
_RENAMED = {"eventtype": "EventType"}


def _callback_name(snake: str) -> str:
    return _RENAMED.get(snake) or "".join(part.capitalize() for part in snake.split("_"))


def _form_value(value: object) -> str | None:
    if isinstance(value, dict | list):
        return json.dumps(value)  # attributes arrive as a JSON string; tolerate an object
    if isinstance(value, bool):
        return "true" if value else "false"
    return as_str(value)


def _epoch_ms(value: str | None) -> str | None:
    """payload.timestamp is epoch ms in captured payloads; epoch seconds are accepted too."""
    try:
        number = float(value or "")
    except ValueError:
        return None
    return str(int(number if number > 1e11 else number * 1000))


def callback_form(
    payload: Mapping[str, Any], event_type: str | None, fallback_time: str | None = None
) -> dict[str, str]:
    """The Workspace-callback form parameters the Event Streams payload stands for.

    Time: `timestamp_ms`, else `timestamp` (epoch), else `fallback_time` (the event's ISO
    time, milliseconds): the most precise field present.
    """
    form = {_callback_name(k): v for k, v in ((k, _form_value(v)) for k, v in payload.items())}
    clean = {k: v for k, v in form.items() if v is not None}
    if "EventType" not in clean and event_type:
        clean["EventType"] = event_type
    if "TimestampMs" not in clean:
        epoch_ms = _epoch_ms(clean.pop("Timestamp", None))
        if epoch_ms is not None:
            clean["TimestampMs"] = epoch_ms
        elif fallback_time is not None:
            clean["Timestamp"] = fallback_time
    return clean


def map_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    """One CloudEvent (a webhook sink's batch is a JSON list: the receiver splits it)."""
    opts = options or DEFAULT_OPTIONS
    if not isinstance(payload, dict):
        return MappingResult().bad("not_an_object", "payload is not a JSON object")
    cloud_type = as_str(payload.get("type"))
    if cloud_type is None or not isinstance(payload.get("data"), dict):
        return MappingResult().bad("missing_field", "type or data (not a CloudEvent)")
    if not cloud_type.startswith(TYPE_PREFIX):
        return MappingResult().skip("ignored_event_type", f"CloudEvent type {cloud_type}")
    data = as_obj(payload.get("data"))
    inner = data.get("payload")
    if not isinstance(inner, dict):
        return MappingResult().bad("missing_field", "data.payload")
    fallback_time = as_str(data.get("timestamp")) or as_str(payload.get("time"))
    form = callback_form(inner, cloud_type.removeprefix(TYPE_PREFIX), fallback_time)
    return twilio_taskrouter.map_event(form, opts)
