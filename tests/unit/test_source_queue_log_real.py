"""Asterisk queue_log against real lines and app_queue.c's formats (fixtures README)."""

from __future__ import annotations

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
