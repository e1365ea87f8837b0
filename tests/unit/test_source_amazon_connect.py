"""Amazon Connect contact events and contact records -> schema v1 (fixtures follow AWS docs)."""

from __future__ import annotations

import copy

from pillarwatch.models.sources import MappingOptions, Unmapped
from pillarwatch.models.sources.amazon_connect import map_event
from tests.unit._fixtures import load_json

SRC = "amazon_connect"
BASE = {"schema": 1, "contact_id": "c-0001", "channel": "voice", "queue": "q-billing-0001"}


def test_queued_maps_to_contact_queued_at_enqueue_time() -> None:
    result = map_event(load_json(SRC, "queued.json"))
    assert result.unmapped == []
    assert result.events == [
        {
            **BASE,
            "event_id": "connect:c-0001:contact.queued",
            "type": "contact.queued",
            "ts": "2026-11-20T09:00:12.000Z",
        }
    ]


def test_connected_to_agent_maps_to_answered_with_agent_id() -> None:
    result = map_event(load_json(SRC, "connected_to_agent.json"))
    assert result.events == [
        {
            **BASE,
            "event_id": "connect:c-0001:contact.answered",
            "type": "contact.answered",
            "ts": "2026-11-20T09:00:30.000Z",
            "agent_id": "agent-0042",
        }
    ]


def test_disconnected_after_answer_waits_for_completed() -> None:
    # An answered contact ends after its wrap-up: at COMPLETED, as in the contact record.
    result = map_event(load_json(SRC, "disconnected.json"))
    assert result.events == []
    assert [u.reason for u in result.unmapped] == ["ends_at_completed"]
    assert not result.malformed


def test_disconnected_in_queue_is_abandoned_then_ended() -> None:
    result = map_event(load_json(SRC, "disconnected_abandoned.json"))
    assert result.events == [
        {
            **BASE,
            "contact_id": "c-0002",
            "event_id": "connect:c-0002:contact.abandoned",
            "type": "contact.abandoned",
            "ts": "2026-11-20T09:01:40.000Z",
        },
        {
            **BASE,
            "contact_id": "c-0002",
            "event_id": "connect:c-0002:contact.ended",
            "type": "contact.ended",
            "ts": "2026-11-20T09:01:40.000Z",
        },
    ]


def test_transfer_leg_is_a_transfer_of_the_initial_contact_with_queue_names() -> None:
    options = MappingOptions(queue_names={"q-retention-0002": "Retention"})
    result = map_event(load_json(SRC, "transfer_queued.json"), options)
    assert result.events == [
        {
            **BASE,
            "queue": "Retention",
            "event_id": "connect:c-0003:contact.transferred",
            "type": "contact.transferred",
            "ts": "2026-11-20T09:04:00.000Z",
            "to_queue": "Retention",
        }
    ]


def test_initiated_is_reported_not_mapped() -> None:
    result = map_event(load_json(SRC, "initiated.json"))
    assert result.events == []
    assert result.unmapped == [Unmapped("ignored_event_type", "eventType INITIATED")]
    assert not result.malformed


def test_contact_record_gives_queue_answer_hold_wrap_and_end() -> None:
    result = map_event(load_json(SRC, "contact_record.json"))
    common = {
        **BASE,
        "agent_id": "agent-0042",
        "customer_id": "crm-77812",
        "segment": "gold",
        "lang": "pl",
    }
    assert result.unmapped == []
    assert result.events == [
        {**common, "event_id": "connect:c-0001:contact.queued", "type": "contact.queued",
         "ts": "2026-11-20T09:00:12.000Z"},
        {**common, "event_id": "connect:c-0001:contact.answered", "type": "contact.answered",
         "ts": "2026-11-20T09:00:30.000Z"},
        # 45 s of customer hold as one block ending when the agent's talk ends (ACW start).
        {**common, "event_id": "connect:c-0001:contact.hold_started",
         "type": "contact.hold_started", "ts": "2026-11-20T09:04:15.000Z"},
        {**common, "event_id": "connect:c-0001:contact.hold_ended", "type": "contact.hold_ended",
         "ts": "2026-11-20T09:05:00.000Z"},
        {**common, "event_id": "connect:c-0001:contact.wrapped", "type": "contact.wrapped",
         "ts": "2026-11-20T09:06:00.000Z", "resolved": True},
        {**common, "event_id": "connect:c-0001:contact.ended", "type": "contact.ended",
         "ts": "2026-11-20T09:06:00.000Z"},
    ]  # fmt: skip


def test_contact_record_and_contact_events_share_event_ids() -> None:
    live = map_event(load_json(SRC, "queued.json")).events[0]["event_id"]
    ctr_ids = [e["event_id"] for e in map_event(load_json(SRC, "contact_record.json")).events]
    assert live in ctr_ids


def test_contact_record_phone_becomes_keyed_hash_only_with_a_salt() -> None:
    record = copy.deepcopy(load_json(SRC, "contact_record.json"))
    del record["Attributes"]["customer_id"]
    unsalted = map_event(record).events[0]
    assert "customer_id" not in unsalted
    salted = map_event(record, MappingOptions(customer_id_salt=b"k1")).events[0]
    other = map_event(record, MappingOptions(customer_id_salt=b"k2")).events[0]
    assert str(salted["customer_id"]).startswith("h:")
    assert "+48123456789" not in str(salted)
    assert salted["customer_id"] != other["customer_id"]


def test_contact_record_without_resolution_attribute_reports_it() -> None:
    record = copy.deepcopy(load_json(SRC, "contact_record.json"))
    del record["Attributes"]["resolved"]
    result = map_event(record)
    assert "contact.wrapped" not in [e["type"] for e in result.events]
    assert [u.reason for u in result.unmapped] == ["no_resolution"]


def test_bad_inputs_never_raise_and_are_malformed() -> None:
    payloads: list[object] = [
        None,
        [],
        "x",
        {},
        {"detail-type": DETAIL, "detail": "nope"},
        {"detail-type": DETAIL, "detail": {"eventType": "QUEUED"}},
    ]
    for payload in payloads:
        result = map_event(payload)
        assert result.events == []
        assert result.malformed, payload


def test_queued_without_queue_arn_is_malformed() -> None:
    event = copy.deepcopy(load_json(SRC, "queued.json"))
    del event["detail"]["queueInfo"]
    assert map_event(event).malformed


DETAIL = "Amazon Connect Contact Event"
