"""Twilio TaskRouter event callbacks (form-encoded) -> schema v1 (fixtures follow Twilio docs)."""

from __future__ import annotations

import json

from pillarwatch.models.sources import MappingOptions, Unmapped
from pillarwatch.models.sources.twilio_taskrouter import map_event
from tests.unit._fixtures import load_form

TASK = "WT11111111111111111111111111111111"
WORKER = "WK33333333333333333333333333333333"
BASE = {"schema": 1, "contact_id": TASK, "channel": "voice", "queue": "Billing"}
CUSTOMER = {"customer_id": "crm-77812", "segment": "gold", "lang": "pl"}
AGENT = {"agent_id": WORKER, "team": "Team Warsaw"}


def test_task_created_is_queued_with_customer_segment_and_language() -> None:
    result = map_event(load_form("task_created.form"))
    assert result.unmapped == []
    assert result.events == [
        {**BASE, **CUSTOMER, "event_id": f"twilio:{TASK}:contact.queued",
         "type": "contact.queued", "ts": "2025-11-20T09:00:12.000Z"},
    ]  # fmt: skip


def test_task_queue_entered_has_the_same_id_as_task_created() -> None:
    form = load_form("task_created.form") | {"EventType": "task-queue.entered"}
    assert map_event(form).events == map_event(load_form("task_created.form")).events


def test_reservation_accepted_is_answered_by_the_worker() -> None:
    result = map_event(load_form("reservation_accepted.form"))
    assert result.events == [
        {**BASE, **CUSTOMER, **AGENT, "event_id": f"twilio:{TASK}:contact.answered",
         "type": "contact.answered", "ts": "2025-11-20T09:00:30.000Z"},
    ]  # fmt: skip


def test_task_canceled_is_abandoned_and_ended() -> None:
    other = "WT77777777777777777777777777777777"
    result = map_event(load_form("task_canceled.form"))
    base = {**BASE, "contact_id": other, "ts": "2025-11-20T09:01:40.000Z"}
    assert result.events == [
        {**base, "event_id": f"twilio:{other}:contact.abandoned", "type": "contact.abandoned"},
        {**base, "event_id": f"twilio:{other}:contact.ended", "type": "contact.ended"},
    ]


def test_task_completed_wraps_with_configured_outcome_then_ends() -> None:
    options = MappingOptions(resolved_codes=frozenset({"resolved"}))
    result = map_event(load_form("task_completed.form"), options)
    common = {**BASE, **CUSTOMER, **AGENT, "ts": "2025-11-20T09:06:00.000Z"}
    assert result.unmapped == []
    assert result.events == [
        {**common, "event_id": f"twilio:{TASK}:contact.wrapped", "type": "contact.wrapped",
         "resolved": True},
        {**common, "event_id": f"twilio:{TASK}:contact.ended", "type": "contact.ended"},
    ]  # fmt: skip


def test_task_completed_with_boolean_resolved_attribute() -> None:
    form = load_form("task_completed.form")
    attrs = json.loads(form["TaskAttributes"]) | {"resolved": False}
    result = map_event(form | {"TaskAttributes": json.dumps(attrs)})
    assert result.events[0]["type"] == "contact.wrapped"
    assert result.events[0]["resolved"] is False


def test_task_completed_without_resolution_still_ends_and_says_why() -> None:
    result = map_event(load_form("task_completed.form"))
    assert [e["type"] for e in result.events] == ["contact.ended"]
    assert [u.reason for u in result.unmapped] == ["no_resolution"]


def test_transfer_to_queue_names_the_target_queue() -> None:
    options = MappingOptions(queue_names={"WQ66666666666666666666666666666666": "Retention"})
    result = map_event(load_form("task_transfer_initiated.form"), options)
    transfer = "TT55555555555555555555555555555555"
    assert result.events == [
        {**BASE, **CUSTOMER, **AGENT, "event_id": f"twilio:{TASK}:{transfer}:contact.transferred",
         "type": "contact.transferred", "ts": "2025-11-20T09:04:00.000Z",
         "to_queue": "Retention"},
    ]  # fmt: skip


def test_task_of_a_transfer_belongs_to_the_first_task() -> None:
    form = load_form("reservation_accepted.form")
    attrs = json.loads(form["TaskAttributes"])
    attrs["conversations"]["conversation_id"] = "WT00000000000000000000000000000000"
    result = map_event(form | {"TaskSid": "WT99999999999999999999999999999999",
                               "TaskAttributes": json.dumps(attrs)})  # fmt: skip
    assert result.events == []
    assert [u.reason for u in result.unmapped] == ["transfer_leg"]


def test_wrapup_and_worker_events_are_reported() -> None:
    assert map_event(load_form("task_wrapup.form")).unmapped == [
        Unmapped("no_schema_event", "task.wrapup: the wrap-up ends at task.completed")
    ]
    result = map_event(load_form("worker_activity_update.form"))
    assert result.unmapped == [Unmapped("ignored_event_type", "EventType worker.activity.update")]
    assert not result.malformed


def test_caller_number_is_hashed_only_with_a_salt() -> None:
    form = load_form("task_canceled.form")
    assert "customer_id" not in map_event(form).events[0]
    hashed = map_event(form, MappingOptions(customer_id_salt=b"s")).events[0]["customer_id"]
    assert isinstance(hashed, str) and hashed.startswith("h:") and "48111222333" not in hashed


def test_bad_forms_are_malformed_not_raised() -> None:
    good = load_form("task_created.form")
    for form in (None, "EventType=x", {}, good | {"TaskSid": ""}, good | {"Timestamp": "soon",
                 "TimestampMs": ""}, good | {"TaskAttributes": "{not json"}):  # fmt: skip
        result = map_event(form)
        assert result.events == [] and result.malformed, form


def test_empty_task_attributes_are_valid() -> None:
    result = map_event(load_form("task_created.form") | {"TaskAttributes": "{}"})
    assert result.events == [
        {**BASE, "event_id": f"twilio:{TASK}:contact.queued", "type": "contact.queued",
         "ts": "2025-11-20T09:00:12.000Z"},
    ]  # fmt: skip
    assert map_event(load_form("task_created.form") | {"TaskAttributes": "[1]"}).malformed
