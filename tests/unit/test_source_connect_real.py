"""Amazon Connect against real and documented payloads (tests/fixtures/sources/README.md).

A real contact record with a transfer to an outside number, the AWS documentation's own
mixed-case sample, PascalCase details, COMPLETED and whole-second envelope times.
"""

from __future__ import annotations

import copy
from typing import Any

from pillarwatch.models.sources import OUTSIDE_QUEUES, MappingOptions
from pillarwatch.models.sources.amazon_connect import map_event
from pillarwatch.models.sources.connect_common import folded
from tests.unit._fixtures import load_json

SRC = "amazon_connect"
CALL = "6fe40d2a-1a89-4d73-bfcf-5d9c33894f47"


def _by_type(events: list[dict[str, Any]]) -> dict[str, tuple[object, object]]:
    return {str(e["type"]): (e["event_id"], e["ts"]) for e in events}


def test_real_ctr_outside_transfer_ends_when_the_agent_let_go_not_at_disconnect() -> None:
    record = load_json(SRC, "ctr_external_transfer.json")
    events = _by_type(map_event(record).events)
    assert events["contact.transferred"] == (
        f"connect:{CALL}:outside:contact.transferred",
        "2022-01-05T17:28:12.000Z",
    )
    # Wrap-up ended 5 s after the transfer; the caller hung up 19 minutes later (17:47:28).
    assert events["contact.ended"] == (f"connect:{CALL}:contact.ended", "2022-01-05T17:28:17.000Z")
    assert events["contact.hold_ended"][1] == "2022-01-05T17:28:12.000Z"
    transferred = next(e for e in map_event(record).events if e["type"] == "contact.transferred")
    assert transferred["to_queue"] == OUTSIDE_QUEUES
    assert "+1555" not in str(map_event(record).events)  # the outside number is never sent


def test_contact_event_and_contact_record_agree_on_the_same_call() -> None:
    record = _by_type(map_event(load_json(SRC, "ctr_external_transfer.json")).events)
    live = _by_type(map_event(load_json(SRC, "completed_external_transfer.json")).events)
    assert live == {k: record[k] for k in ("contact.transferred", "contact.ended")}


def test_completed_ends_an_answered_contact_after_its_wrap_up() -> None:
    event = copy.deepcopy(load_json(SRC, "disconnected.json"))
    event["detail"]["eventType"] = "COMPLETED"
    event["detail"]["agentInfo"]["afterContactWorkEndTimestamp"] = "2026-11-20T09:06:00.000Z"
    result = map_event(event)
    assert [(e["type"], e["ts"], e["event_id"]) for e in result.events] == [
        ("contact.ended", "2026-11-20T09:06:00.000Z", "connect:c-0001:contact.ended")
    ]
    # Contact events carry no attributes: the wrap-up's resolution is unknown, and said so.
    assert [u.reason for u in result.unmapped] == ["no_resolution"]


def test_completed_of_an_abandoned_contact_adds_nothing() -> None:
    event = copy.deepcopy(load_json(SRC, "disconnected_abandoned.json"))
    event["detail"]["eventType"] = "COMPLETED"
    result = map_event(event)
    assert result.events == []
    assert [u.reason for u in result.unmapped] == ["ended_at_disconnect"]


def test_next_contact_id_still_means_the_call_continues_on_its_next_leg() -> None:
    record = copy.deepcopy(load_json(SRC, "ctr_external_transfer.json"))
    record["NextContactId"] = "leg-2"
    types = [e["type"] for e in map_event(record).events]
    assert "contact.ended" not in types and "contact.transferred" not in types
    assert "transferred_away" in [u.reason for u in map_event(record).unmapped]


def test_queued_without_enqueue_timestamp_uses_envelope_time_and_says_so() -> None:
    event = copy.deepcopy(load_json(SRC, "queued.json"))
    precise = map_event(event)
    assert precise.caveats == []
    del event["detail"]["queueInfo"]["enqueueTimestamp"]
    coarse = map_event(event)
    assert [e["type"] for e in coarse.events] == ["contact.queued"]
    assert coarse.events[0]["ts"] == "2026-11-20T09:00:12.000Z"
    assert coarse.caveats == ["whole_second_time"]
    event["time"] = "2026-11-20T09:00:12.250Z"  # a relay that keeps milliseconds
    relayed = map_event(event)
    assert relayed.events[0]["ts"] == "2026-11-20T09:00:12.250Z"
    assert relayed.caveats == []


def test_pascal_case_detail_maps_like_camel_case() -> None:
    result = map_event(load_json(SRC, "pascal_case_queued.json"))
    assert not result.malformed
    assert [(e["type"], e["contact_id"], e["queue"]) for e in result.events] == [
        ("contact.queued", "c-0101", "q-billing-0001")
    ]
    assert result.caveats == ["whole_second_time"]


def _pascal(value: object) -> object:
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    return value


def test_every_fixture_maps_the_same_with_pascal_case_detail_keys() -> None:
    for name in ("queued.json", "connected_to_agent.json", "disconnected_abandoned.json"):
        event = copy.deepcopy(load_json(SRC, name))
        event["detail"] = _pascal(event["detail"])
        assert map_event(event).events == map_event(load_json(SRC, name)).events, name


def test_documentation_sample_with_agent_info_in_pascal_case_is_read() -> None:
    # AWS's own DISCONNECTED sample: camelCase detail, but "AgentInfo" / "AgentArn".
    result = map_event(load_json(SRC, "doc_disconnected_mixed_case.json"))
    assert not result.malformed
    # The agent answered (AgentInfo.connectedToAgentTimestamp): it ends at COMPLETED.
    assert [u.reason for u in result.unmapped] == ["ends_at_completed"]


def test_lower_cased_contact_record_from_athena_maps_the_same() -> None:
    record = load_json(SRC, "ctr_external_transfer.json")
    options = MappingOptions(queue_names={"078ccbaa-ae69-4bf9-84bc-5c60ca9b1478": "Refrig"})
    lowered = map_event(folded(record), options).events
    assert lowered == map_event(record, options).events
    assert {e["queue"] for e in lowered} == {"Refrig"}
