"""Asterisk queue_log lines: ``time|callid|queue|agent|event|data1|data2|...``.

Follows docs.asterisk.org/Operation/Logging/Queue-Logs/ (the event list and each event's
parameters). `time` is UNIX seconds, or "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) where the log is
exported from a realtime database. The caller id of ENTERQUEUE is a phone number: it becomes
a keyed hash customer id only when a salt is configured.
"""

from __future__ import annotations

from pillarwatch.models.sources.common import (
    DEFAULT_OPTIONS,
    MappingOptions,
    MappingResult,
    as_str,
    customer_from_address,
    event_id,
    new_event,
    parse_time,
)

__all__ = ["map_event"]

SOURCE = "asterisk"
CHANNEL = "voice"
_TRANSFERS = {"TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"}


def map_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    """One queue_log line (str or bytes, with or without its newline)."""
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            return result.bad("not_utf8", "queue_log line is not UTF-8")
    if not isinstance(payload, str):
        return result.bad("not_a_line", "payload is not a text line")
    fields = payload.rstrip("\r\n").split("|")
    if len(fields) < 5:
        return result.bad("too_few_fields", f"{len(fields)} fields, need 5")
    raw_time, callid, queue, agent, kind, *data = fields
    ts = parse_time(raw_time)
    if ts is None:
        return result.bad("bad_timestamp", "first field is not a time")
    if callid in {"", "NONE", "REALTIME"} or queue in {"", "NONE"}:
        return result.skip("not_a_contact_event", f"{kind} without a call or queue")
    member = None if agent in {"", "NONE"} else agent

    def emit(type_: str, **more: object) -> None:
        result.events.append(
            new_event(
                source_id=event_id(SOURCE, callid, queue, raw_time, type_),
                type_=type_,
                ts=ts,
                contact_id=callid,
                channel=CHANNEL,
                queue=opts.queue(queue),
                extra={"agent_id": member, **more},
            )
        )

    if kind == "ENTERQUEUE":
        caller = as_str(data[1]) if len(data) > 1 else None
        emit("contact.queued", customer_id=customer_from_address(caller, opts))
    elif kind == "CONNECT":
        emit("contact.answered")
    elif kind in {"ABANDON", "EXITWITHTIMEOUT"}:
        emit("contact.abandoned")
        emit("contact.ended")
    elif kind in {"COMPLETEAGENT", "COMPLETECALLER"}:
        emit("contact.ended")
    elif kind in _TRANSFERS:
        target = as_str(data[0]) if data else None
        # Asterisk writes no COMPLETE* line after a transfer: the queue call ends here.
        emit("contact.transferred", to_queue=target or queue)
        emit("contact.ended")
    else:
        result.skip("ignored_event_type", f"queue_log event {kind}")
    return result
