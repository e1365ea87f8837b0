"""Genesys Cloud conversation detail events -> schema v1 (fixtures follow Genesys docs)."""

from __future__ import annotations

import copy

from pillarwatch.models.sources import MappingOptions, Unmapped
from pillarwatch.models.sources.genesys_cloud import map_event
from tests.unit._fixtures import load_json

SRC = "genesys_cloud"
CONV = "5b0c0f0e-1111-4a2b-9c3d-000000000001"
PART = "7d2e3f40-2222-4b3c-8d4e-000000000002"
AGENT_PART = "1a2b3c4d-8888-4192-a3b4-000000000008"
QUEUE = "c1a2b3c4-3333-4c4d-9e5f-000000000003"
BASE = {"schema": 1, "contact_id": CONV, "channel": "voice", "queue": "Billing",
        "customer_id": "a0b1c2d3-6666-4f70-8182-000000000006"}  # fmt: skip
NAMES = MappingOptions(queue_names={QUEUE: "Billing"})


def test_acd_start_is_queued() -> None:
    result = map_event(load_json(SRC, "acd_start.json"), NAMES)
    assert result.events == [
        {**BASE, "event_id": f"genesys:{CONV}:{PART}:contact.queued", "type": "contact.queued",
         "ts": "2025-11-20T09:00:12.000Z"},
    ]  # fmt: skip


def test_acd_end_answered_inside_eventbridge_envelope() -> None:
    result = map_event(load_json(SRC, "acd_end_answered.eventbridge.json"), NAMES)
    assert result.events == [
        {**BASE, "event_id": f"genesys:{CONV}:{PART}:contact.answered",
         "type": "contact.answered", "ts": "2025-11-20T09:00:30.000Z"},
    ]  # fmt: skip


def test_acd_end_abandon_is_abandoned_without_customer() -> None:
    conv = "5b0c0f0e-1111-4a2b-9c3d-0000000000aa"
    part = "7d2e3f40-2222-4b3c-8d4e-0000000000aa"
    result = map_event(load_json(SRC, "acd_end_abandon.json"))
    assert result.events == [
        {"schema": 1, "contact_id": conv, "channel": "voice", "queue": QUEUE,
         "event_id": f"genesys:{conv}:{part}:contact.abandoned", "type": "contact.abandoned",
         "ts": "2025-11-20T09:01:00.000Z"},
    ]  # fmt: skip


def test_acw_wrap_up_code_maps_through_configured_lists() -> None:
    code = "0c1d2e3f-9999-41a2-b3c4-000000000009"
    options = MappingOptions(queue_names={QUEUE: "Billing"}, unresolved_codes=frozenset({code}))
    result = map_event(load_json(SRC, "acw.json"), options)
    assert result.events == [
        {**BASE, "agent_id": "e5f6a7b8-4444-4d5e-8f60-000000000004",
         "event_id": f"genesys:{CONV}:{AGENT_PART}:contact.wrapped", "type": "contact.wrapped",
         "ts": "2025-11-20T09:06:00.000Z", "resolved": False, "reason": code},
    ]  # fmt: skip
    unlisted = map_event(load_json(SRC, "acw.json"))
    assert unlisted.events == [] and [u.reason for u in unlisted.unmapped] == ["no_resolution"]


def test_customer_end_is_ended() -> None:
    result = map_event(load_json(SRC, "customer_end.json"), NAMES)
    assert result.events == [
        {**BASE, "event_id": f"genesys:{CONV}:{PART}:contact.ended", "type": "contact.ended",
         "ts": "2025-11-20T09:05:00.000Z"},
    ]  # fmt: skip


def test_transfer_is_reported_as_unmapped() -> None:
    result = map_event(load_json(SRC, "user_end_transfer.json"))
    assert result.events == []
    assert result.unmapped == [
        Unmapped("transfer_destination_unknown", "user.end with disconnectType TRANSFER")
    ]


def test_ani_is_hashed_only_with_salt_when_no_external_contact() -> None:
    message = copy.deepcopy(load_json(SRC, "acd_start.json"))
    message["eventBody"]["conversationExternalContactIds"] = []
    assert "customer_id" not in map_event(message).events[0]
    hashed = map_event(message, MappingOptions(customer_id_salt=b"s")).events[0]["customer_id"]
    assert isinstance(hashed, str) and hashed.startswith("h:")


def test_other_topics_and_bad_messages() -> None:
    other = {"topicName": "v2.users.x.activity", "version": "2", "eventBody": {}}
    assert [u.reason for u in map_event(other).unmapped] == ["ignored_topic"]
    start = load_json(SRC, "acd_start.json")
    bad_time = copy.deepcopy(start)
    bad_time["eventBody"]["eventTime"] = "yesterday"
    payloads: list[object] = [None, [], {}, {"topicName": start["topicName"]}, bad_time]
    for payload in payloads:
        result = map_event(payload)
        assert result.events == [] and result.malformed, payload


def test_sdk_shaped_acd_end_carries_answering_agent_and_inbound_caller() -> None:
    # Fields and enum spellings of the Genesys SDK's AcdEndDetailEventTopicAcdEndEvent:
    # direction "INBOUND", the answering agent in answeredUserId (no userId).
    payload = load_json("genesys_cloud", "acd_end_answered_sdk.json")
    salted = MappingOptions(customer_id_salt=b"s")
    event = map_event(payload, salted).events[0]
    assert event["type"] == "contact.answered"
    assert event["agent_id"] == "e1f2a3b4-4444-4d5e-8f60-000000000004"
    assert str(event["customer_id"]).startswith("h:")
    assert event["ts"] == "2025-11-20T09:00:30.123Z"


def test_direction_is_compared_without_case_and_outbound_callers_are_not_customers() -> None:
    payload = copy.deepcopy(load_json("genesys_cloud", "acd_end_answered_sdk.json"))
    salted = MappingOptions(customer_id_salt=b"s")
    expected = map_event(payload, salted).events[0]["customer_id"]
    payload["eventBody"]["direction"] = "inbound"
    assert map_event(payload, salted).events[0]["customer_id"] == expected
    payload["eventBody"]["direction"] = "OUTBOUND"
    assert "customer_id" not in map_event(payload, salted).events[0]
