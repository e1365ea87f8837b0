"""Twilio Event Streams (CloudEvents) -> the same schema events as the Workspace callback."""

from __future__ import annotations

import copy
from typing import Any

from pillarwatch.models.sources import MappingOptions
from pillarwatch.models.sources import twilio_taskrouter as callback
from pillarwatch.models.sources.twilio_event_streams import map_event
from tests.unit._fixtures import load_form, load_json

BATCH: list[dict[str, Any]] = load_json("twilio_event_streams", "batch.json")
FORMS = [
    "task_created.form",
    "reservation_accepted.form",
    "task_wrapup.form",
    "task_completed.form",
    "task_canceled.form",
    "worker_activity_update.form",
]
OPTIONS = MappingOptions(customer_id_salt=b"s", resolved_codes=frozenset({"resolved"}))


def test_every_cloud_event_maps_like_its_callback() -> None:
    for cloud_event, form in zip(BATCH, FORMS, strict=True):
        streamed = map_event(cloud_event, OPTIONS)
        posted = callback.map_event(load_form(form), OPTIONS)
        assert streamed.events == posted.events, form
        assert streamed.unmapped == posted.unmapped, form


def test_the_batch_gives_a_whole_contact_and_an_abandon() -> None:
    types = [e["type"] for ev in BATCH for e in map_event(ev, OPTIONS).events]
    assert types == [
        "contact.queued",
        "contact.answered",
        "contact.wrapped",
        "contact.ended",
        "contact.abandoned",
        "contact.ended",
    ]


def test_time_falls_back_to_the_events_iso_time_with_milliseconds() -> None:
    event = copy.deepcopy(BATCH[0])
    del event["data"]["payload"]["timestamp"]
    event["data"]["timestamp"] = "2025-11-20T09:00:12.345Z"
    assert map_event(event).events[0]["ts"] == "2025-11-20T09:00:12.345Z"


def test_epoch_seconds_timestamp_is_accepted_too() -> None:
    event = copy.deepcopy(BATCH[0])
    event["data"]["payload"]["timestamp"] = "1763629212"
    assert map_event(event).events == map_event(BATCH[0]).events


def test_other_products_are_ignored_and_non_cloud_events_are_malformed() -> None:
    studio = copy.deepcopy(BATCH[0])
    studio["type"] = "com.twilio.studio.flow.execution.started"
    assert [u.reason for u in map_event(studio).unmapped] == ["ignored_event_type"]
    assert not map_event(studio).malformed
    for bad in ({}, {"type": "com.twilio.taskrouter.task.created"}, "x", None):
        assert map_event(bad).malformed, bad
    no_payload = copy.deepcopy(BATCH[0])
    del no_payload["data"]["payload"]
    assert map_event(no_payload).malformed
