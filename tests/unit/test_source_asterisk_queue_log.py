"""Asterisk queue_log lines -> schema v1 (fixture follows docs.asterisk.org Queue Logs)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pillarwatch.models.sources import MappingOptions, Signal, Unmapped
from pillarwatch.models.sources.asterisk_queue_log import map_event
from tests.unit._fixtures import load_lines

LINES = load_lines("asterisk", "queue_log")


def _ev(callid: str, queue: str, epoch: int, type_: str, ts: str, **extra: object) -> object:
    event_id = f"asterisk:{callid}:{queue}:{epoch}:{type_}"
    return {"schema": 1, "event_id": event_id, "type": type_, "ts": ts,
            "contact_id": callid, "channel": "voice", "queue": queue, **extra}  # fmt: skip


def test_whole_fixture_maps_to_expected_events() -> None:
    events = [e for line in LINES for e in map_event(line).events]
    a, b, c, d = "1763629210.101", "1763629295.103", "1763629398.104", "1763629790.105"
    assert events == [
        _ev(a, "support", 1763629212, "contact.queued", "2025-11-20T09:00:12.000Z"),
        _ev(a, "support", 1763629230, "contact.answered", "2025-11-20T09:00:30.000Z",
            agent_id="PJSIP/8007"),
        _ev(a, "support", 1763629500, "contact.ended", "2025-11-20T09:05:00.000Z",
            agent_id="PJSIP/8007"),
        _ev(b, "support", 1763629300, "contact.queued", "2025-11-20T09:01:40.000Z"),
        _ev(b, "support", 1763629340, "contact.abandoned", "2025-11-20T09:02:20.000Z"),
        _ev(b, "support", 1763629340, "contact.ended", "2025-11-20T09:02:20.000Z"),
        _ev(c, "sales", 1763629400, "contact.queued", "2025-11-20T09:03:20.000Z"),
        _ev(c, "sales", 1763629700, "contact.abandoned", "2025-11-20T09:08:20.000Z"),
        _ev(c, "sales", 1763629700, "contact.ended", "2025-11-20T09:08:20.000Z"),
        _ev(d, "support", 1763629800, "contact.queued", "2025-11-20T09:10:00.000Z"),
        _ev(d, "support", 1763629805, "contact.answered", "2025-11-20T09:10:05.000Z",
            agent_id="PJSIP/8008"),
        _ev(d, "support", 1763629900, "contact.transferred", "2025-11-20T09:11:40.000Z",
            agent_id="PJSIP/8008", to_queue="2001"),
        _ev(d, "support", 1763629900, "contact.ended", "2025-11-20T09:11:40.000Z",
            agent_id="PJSIP/8008"),
    ]  # fmt: skip


def test_system_lines_are_reported_not_mapped() -> None:
    assert map_event(LINES[0]).unmapped == [
        Unmapped("not_a_contact_event", "QUEUESTART without a call or queue")
    ]
    pause = "1763629200|NONE|support|PJSIP/8007|PAUSE|lunch"
    assert map_event(pause).unmapped[0].reason == "not_a_contact_event"
    ring = "1366720340|1366720340.303267|MYQUEUE|SIP/8007|RINGNOANSWER|1000"
    assert map_event(ring).unmapped == []
    assert map_event(ring).signals == [Signal("agent_no_answer", "MYQUEUE")]


def test_caller_id_hashed_with_salt_only() -> None:
    enter = LINES[2]
    assert "customer_id" not in map_event(enter).events[0]
    salted = map_event(enter, MappingOptions(customer_id_salt=b"s")).events[0]
    assert str(salted["customer_id"]).startswith("h:")
    assert (
        salted == map_event(enter.encode() + b"\n", MappingOptions(customer_id_salt=b"s")).events[0]
    )


def test_realtime_datetime_rows_are_read_in_the_configured_zone() -> None:
    line = "2026-11-20 09:00:12.500000|1.1|support|NONE|ENTERQUEUE||anonymous|1"
    utc = MappingOptions(naive_time_zone=UTC)
    assert map_event(line, utc).events[0]["ts"] == "2026-11-20T09:00:12.500Z"
    warsaw = MappingOptions(naive_time_zone=ZoneInfo("Europe/Warsaw"))  # UTC+1 in November
    assert map_event(line, warsaw).events[0]["ts"] == "2026-11-20T08:00:12.500Z"
    summer = line.replace("2026-11-20", "2026-07-20")  # UTC+2 in July
    assert map_event(summer, warsaw).events[0]["ts"] == "2026-07-20T07:00:12.500Z"


def test_realtime_rows_default_to_this_machines_zone() -> None:
    line = "2026-11-20 09:00:12|1.1|support|NONE|ENTERQUEUE||anonymous|1"
    local = datetime(2026, 11, 20, 9, 0, 12).astimezone(UTC)
    assert map_event(line).events[0]["ts"] == local.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_epoch_lines_ignore_the_zone_setting() -> None:
    warsaw = MappingOptions(naive_time_zone=ZoneInfo("Europe/Warsaw"))
    assert map_event(LINES[2], warsaw).events == map_event(LINES[2]).events


def test_broken_lines_are_malformed() -> None:
    for line in ("", "garbage", "x|1.1|q|NONE|CONNECT|1|2|3", b"\xff\xfe|1|q|a|CONNECT", 42):
        result = map_event(line)
        assert result.events == [] and result.malformed, line
