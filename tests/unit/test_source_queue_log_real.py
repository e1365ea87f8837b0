"""Asterisk queue_log against real lines and app_queue.c's formats (fixtures README)."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry

from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.models.sources import OUTSIDE_QUEUES, MappingOptions, Signal
from pillarwatch.models.sources.asterisk_queue_log import map_event
from tests.unit._fixtures import load_lines

REAL = load_lines("asterisk", "queue_log.real")
APP_QUEUE = load_lines("asterisk", "queue_log.app_queue")


def _types(line: str) -> list[tuple[object, ...]]:
    return [(e["type"], e.get("to_queue"), e.get("reason")) for e in map_event(line).events]


def test_padded_separators_are_accepted_and_said_so() -> None:
    padded = REAL[1]  # "1266834360 | 1266834354.91 | 9000 | NONE | ENTERQUEUE || anonymous"
    result = map_event(padded)
    assert [(e["type"], e["contact_id"], e["queue"]) for e in result.events] == [
        ("contact.queued", "1266834354.91", "9000")
    ]
    assert result.caveats == ["padded_fields"]
    assert result.events == map_event(padded.replace(" | ", "|").replace(" ", "")).events


def test_no_line_of_the_real_log_is_lost_silently() -> None:
    for line in REAL:
        result = map_event(line)
        reasons = {u.reason for u in result.unmapped}
        assert result.events or result.signals or reasons, line
        assert "ignored_event_type" not in reasons, line


def test_ring_no_answer_is_a_per_queue_signal_only_when_the_phone_rang() -> None:
    signals = [s for line in REAL for s in map_event(line).signals]
    assert signals == [Signal("agent_no_answer", "9000")] * 3  # ring times 1000, 1000, 3000
    not_rung = map_event(REAL[2])  # RINGNOANSWER|0: the device was never rung
    assert [u.reason for u in not_rung.unmapped] == ["ring_not_started"]
    named = map_event(REAL[4], MappingOptions(queue_names={"9000": "Support"}))
    assert named.signals == [Signal("agent_no_answer", "Support")]


def test_ingest_metrics_count_agent_no_answer_per_queue() -> None:
    metrics = IngestMetrics(CollectorRegistry())
    metrics.count([map_event(line) for line in REAL])
    value = metrics.registry.get_sample_value(
        "pillarwatch_ingest_agent_no_answer_total", {"queue": "9000"}
    )
    assert value == 3.0


def test_exit_empty_and_exit_with_key_end_the_contact_unanswered() -> None:
    assert _types(APP_QUEUE[1]) == [
        ("contact.abandoned", None, "queue_empty"),
        ("contact.ended", None, None),
    ]
    assert _types(APP_QUEUE[3]) == [
        ("contact.abandoned", None, "caller_key"),
        ("contact.ended", None, None),
    ]


def test_attended_transfer_method_is_not_taken_for_a_queue() -> None:
    for line in APP_QUEUE[6:9]:  # BRIDGE, APP, LINK
        assert _types(line) == [
            ("contact.transferred", OUTSIDE_QUEUES, None),
            ("contact.ended", None, None),
        ], line


def test_wazo_realtime_rows_are_local_time_and_padded() -> None:
    # psql output of a realtime queue_log table: padded columns, local date-times.
    rows = load_lines("asterisk", "queue_log.wazo_realtime")
    enter, connect = rows[1], rows[2]
    utc = MappingOptions(naive_time_zone=UTC)
    paris = MappingOptions(naive_time_zone=ZoneInfo("Europe/Paris"))  # UTC+2 in July
    assert map_event(enter, utc).events[0]["ts"] == "2012-07-04T07:33:21.165Z"
    assert map_event(enter, paris).events[0]["ts"] == "2012-07-04T05:33:21.165Z"
    answered = map_event(connect, paris)
    assert [(e["type"], e["agent_id"]) for e in answered.events] == [
        ("contact.answered", "Agent/3001")
    ]
    assert answered.caveats == ["padded_fields"]
    kinds = [[e["type"] for e in map_event(row, paris).events] for row in rows]
    assert kinds[-1] == ["contact.abandoned", "contact.ended"]
    # Callers turned away before joining (JOINEMPTY, FULL, CLOSED) never became contacts.
    assert [map_event(rows[i]).unmapped[0].reason for i in (0, 4, 5)] == ["ignored_event_type"] * 3
