"""Asterisk queue_log lines: ``time|callid|queue|agent|event|data1|data2|...``.

Follows docs.asterisk.org/Operation/Logging/Queue-Logs/ and the ast_queue_log() calls of
apps/app_queue.c (each event's data fields). `time` is UNIX seconds, or
"YYYY-MM-DD HH:MM:SS[.ffffff]" where the log comes from a realtime database: such rows are in
the server's local time unless logger.conf sets queue_log_realtime_use_gmt, so they are read
in `MappingOptions.naive_time_zone` (default: this machine's zone). The caller id of
ENTERQUEUE is a phone number: it becomes a keyed hash customer id only with a salt.
"""

from __future__ import annotations

from pillarwatch.models.sources.common import (
    DEFAULT_OPTIONS,
    OUTSIDE_QUEUES,
    MappingOptions,
    MappingResult,
    Signal,
    as_str,
    customer_from_address,
    event_id,
    new_event,
    parse_time,
)

__all__ = ["AGENT_NO_ANSWER", "PADDED_FIELDS", "map_event"]

SOURCE = "asterisk"
CHANNEL = "voice"
AGENT_NO_ANSWER = "agent_no_answer"
PADDED_FIELDS = "padded_fields"
# Caller left the queue unanswered, with the reason it did (EXITWITHTIMEOUT keeps none).
_EXITS = {"EXITEMPTY": "queue_empty", "EXITWITHKEY": "caller_key"}


def _split(payload: object, result: MappingResult) -> list[str] | None:
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            result.bad("not_utf8", "queue_log line is not UTF-8")
            return None
    if not isinstance(payload, str):
        result.bad("not_a_line", "payload is not a text line")
        return None
    raw = payload.rstrip("\r\n").split("|")
    # Hand-exported logs pad the separators (" | "): accepted, and said so.
    fields = [f.strip() for f in raw]
    if fields != raw:
        result.caveats.append(PADDED_FIELDS)
    return fields


def map_event(payload: object, options: MappingOptions | None = None) -> MappingResult:
    """One queue_log line (str or bytes, with or without its newline)."""
    opts = options or DEFAULT_OPTIONS
    result = MappingResult()
    fields = _split(payload, result)
    if fields is None:
        return result
    if len(fields) < 5:
        return result.bad("too_few_fields", f"{len(fields)} fields, need 5")
    raw_time, callid, queue, agent, kind, *data = fields
    ts = parse_time(raw_time, naive_zone=opts.naive_time_zone)
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

    first = as_str(data[0]) if data else None
    if kind == "ENTERQUEUE":
        caller = as_str(data[1]) if len(data) > 1 else None
        emit("contact.queued", customer_id=customer_from_address(caller, opts))
    elif kind == "CONNECT":
        emit("contact.answered")
    elif kind in {"ABANDON", "EXITWITHTIMEOUT", *_EXITS}:
        emit("contact.abandoned", reason=_EXITS.get(kind))
        emit("contact.ended")
    elif kind in {"COMPLETEAGENT", "COMPLETECALLER"}:
        emit("contact.ended")
    elif kind in {"TRANSFER", "BLINDTRANSFER"}:
        # data: extension|context|holdtime|calltime|origposition
        emit("contact.transferred", to_queue=first or queue)
        # Asterisk writes no COMPLETE* line after a transfer: the queue call ends here.
        emit("contact.ended")
    elif kind == "ATTENDEDTRANSFER":
        # data: BRIDGE|bridge|..., APP|app|... or LINK|chan1|chan2|...: the first field is
        # the method, and no field names a queue: the call left the queues.
        emit("contact.transferred", to_queue=OUTSIDE_QUEUES)
        emit("contact.ended")
    elif kind == "RINGNOANSWER":
        _ring_no_answer(result, first, opts.queue(queue))
    else:
        result.skip("ignored_event_type", f"queue_log event {kind}")
    return result


def _ring_no_answer(result: MappingResult, ring_ms: str | None, queue: str) -> None:
    """A member was rung and did not pick up: a per-queue count, not a contact event.

    Ring time 0 means the member's device was never actually rung (busy, unavailable):
    not an agent who did not answer.
    """
    try:
        rung = float(ring_ms or "0") > 0
    except ValueError:
        result.bad("bad_value", "RINGNOANSWER ring time is not a number")
        return
    if rung:
        result.signals.append(Signal(AGENT_NO_ANSWER, queue))
    else:
        result.skip("ring_not_started", "RINGNOANSWER with ring time 0")
