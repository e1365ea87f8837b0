"""Voice transcript segments -> schema-v1 contact.message (fixtures follow each platform's docs)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from pillarwatch.models.events import Event, decode
from pillarwatch.models.sources import MappingOptions, amazon_connect, genesys_cloud
from pillarwatch.models.sources import twilio_taskrouter as taskrouter
from pillarwatch.models.sources.asr_jsonl import map_lines
from pillarwatch.models.sources.contact_lens import map_event as map_lens
from pillarwatch.models.sources.contact_lens import observe as observe_connect
from pillarwatch.models.sources.genesys_transcription import map_event as map_genesys
from pillarwatch.models.sources.genesys_transcription import observe as observe_genesys
from pillarwatch.models.sources.transcripts import CallDirectory, observed
from pillarwatch.models.sources.twilio_transcription import map_event as map_twilio
from pillarwatch.models.sources.twilio_transcription import observe as observe_taskrouter
from tests.unit._fixtures import FIXTURES, load_form, load_json

CONV = "5b0c0f0e-1111-4a2b-9c3d-000000000001"
GENESYS_QUEUE = "c1a2b3c4-3333-4c4d-9e5f-000000000003"
NOW = datetime(2026, 11, 21, tzinfo=UTC).timestamp()


def _form(source: str, name: str) -> dict[str, str]:
    import urllib.parse

    body = (FIXTURES / source / name).read_text().strip()
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))


def _connect_directory() -> CallDirectory:
    calls = CallDirectory()
    mapper = observed(amazon_connect.map_event, observe_connect, calls)
    for name in ("queued.json", "connected_to_agent.json"):
        mapper(load_json("amazon_connect", name), None)
    return calls


def _valid(event: dict[str, object]) -> Event:
    decoded = decode(json.dumps(event).encode(), now=NOW)
    assert isinstance(decoded, Event), decoded
    return decoded


def test_contact_lens_final_transcripts_at_answer_plus_offset() -> None:
    result = map_lens(load_json("contact_lens", "segments.json"), directory=_connect_directory())
    base = {"schema": 1, "type": "contact.message", "contact_id": "c-0001", "channel": "voice",
            "queue": "q-billing-0001", "lang": "en-US"}  # fmt: skip
    assert result.events == [
        {**base, "event_id": "connect-lens:c-0001:t-0001:contact.message",
         "ts": "2026-11-20T09:00:35.200Z", "role": "customer",
         "text": "I was charged twice, this is unacceptable. I want to complain.",
         "sentiment": "negative", "categories": ["billing-complaint"]},
        {**base, "event_id": "connect-lens:c-0001:t-0002:contact.message",
         "ts": "2026-11-20T09:00:40.400Z", "role": "agent",
         "text": "I'm so sorry about that, let me fix it right away.", "sentiment": "neutral"},
    ]  # fmt: skip
    # The partial Utterance is not a message.
    assert [u.reason for u in result.unmapped] == ["partial_segment"]
    for event in result.events:
        _valid(event)


def test_contact_lens_inside_a_kinesis_record_maps_the_same() -> None:
    raw = (FIXTURES / "contact_lens" / "segments.json").read_bytes()
    record = {"kinesisSchemaVersion": "1.0", "partitionKey": "c-0001",
              "sequenceNumber": "4959", "data": base64.b64encode(raw).decode(),
              "approximateArrivalTimestamp": 1763629241.2}  # fmt: skip
    calls = _connect_directory()
    plain = map_lens(load_json("contact_lens", "segments.json"), directory=calls)
    assert map_lens(record, directory=calls).events == plain.events
    assert map_lens({"kinesis": record}, directory=calls).events == plain.events


def test_contact_lens_transfer_leg_uses_initial_contact_and_its_own_answer() -> None:
    calls = _connect_directory()
    leg2 = load_json("amazon_connect", "connected_to_agent.json")
    leg2["detail"] |= {"contactId": "c-0001-b", "initiationMethod": "TRANSFER"}
    leg2["detail"]["agentInfo"]["connectedToAgentTimestamp"] = "2026-11-20T09:03:00.000Z"
    observe_connect(leg2, amazon_connect.map_event(leg2), calls)
    segments = load_json("contact_lens", "segments.json") | {"ContactId": "c-0001-b"}
    result = map_lens(segments, directory=calls)
    assert [(e["contact_id"], e["queue"], e["ts"]) for e in result.events] == [
        ("c-0001", "q-billing-0001", "2026-11-20T09:03:05.200Z"),
        ("c-0001", "q-billing-0001", "2026-11-20T09:03:10.400Z"),
    ]
    assert result.events[0]["event_id"] == "connect-lens:c-0001-b:t-0001:contact.message"


def test_contact_lens_without_the_contact_events_is_not_guessed() -> None:
    calls = CallDirectory()
    result = map_lens(load_json("contact_lens", "segments.json"), directory=calls)
    assert result.events == [] and [u.reason for u in result.unmapped] == ["call_unknown"]
    assert not result.malformed
    # Queued but not yet answered: the queue is known, the answer time is not.
    observed(amazon_connect.map_event, observe_connect, calls)(
        load_json("amazon_connect", "queued.json"), None
    )
    result = map_lens(load_json("contact_lens", "segments.json"), directory=calls)
    assert [u.reason for u in result.unmapped] == ["answer_time_unknown"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("started.json", "ignored_event_type"), ("completed.json", "ignored_event_type")],
)
def test_contact_lens_session_events_are_not_messages(name: str, reason: str) -> None:
    result = map_lens(load_json("contact_lens", name), directory=_connect_directory())
    assert result.events == [] and [u.reason for u in result.unmapped] == [reason]


def test_contact_lens_broken_segment_is_malformed_others_still_map() -> None:
    payload = load_json("contact_lens", "segments.json")
    del payload["Segments"][1]["Transcript"]["BeginOffsetMillis"]
    result = map_lens(payload, directory=_connect_directory())
    assert [e["role"] for e in result.events] == ["agent"]
    assert "missing_field" in [u.reason for u in result.unmapped if u.malformed]
    assert map_lens({"Version": "1.0.0"}, directory=CallDirectory()).malformed


def _twilio_directory() -> CallDirectory:
    calls = CallDirectory()
    mapper = observed(taskrouter.map_event, observe_taskrouter, calls)
    for name in ("task_created.form", "reservation_accepted.form"):
        mapper(load_form(name), None)
    return calls


def test_twilio_final_content_maps_tracks_to_roles_on_the_tasks_contact() -> None:
    calls = _twilio_directory()
    src = "twilio_transcription"
    customer = map_twilio(_form(src, "content_customer.form"), directory=calls)
    agent = map_twilio(_form(src, "content_agent.form"), directory=calls)
    base = {"schema": 1, "type": "contact.message", "channel": "voice", "queue": "Billing",
            "contact_id": "WT11111111111111111111111111111111", "lang": "pl-PL"}  # fmt: skip
    sid = "GT55555555555555555555555555555555"
    assert customer.events + agent.events == [
        {**base, "event_id": f"twilio-rt:{sid}:3:contact.message", "ts": "2025-11-20T09:00:38.870Z",
         "role": "customer", "text": "To jest skandal, chcę złożyć reklamację!"},
        {**base, "event_id": f"twilio-rt:{sid}:4:contact.message", "ts": "2025-11-20T09:00:44.150Z",
         "role": "agent", "text": "Bardzo przepraszam za kłopot."},
    ]  # fmt: skip
    swapped = map_twilio(_form(src, "content_customer.form"), directory=calls, inbound_role="agent")
    assert swapped.events[0]["role"] == "agent"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("content_partial.form", "partial_segment"),
        ("transcription_started.form", "ignored_event_type"),
        ("transcription_stopped.form", "ignored_event_type"),
    ],
)
def test_twilio_partials_and_session_events_are_skipped(name: str, reason: str) -> None:
    result = map_twilio(_form("twilio_transcription", name), directory=_twilio_directory())
    assert result.events == [] and [u.reason for u in result.unmapped] == [reason]


def test_twilio_unknown_call_and_broken_data() -> None:
    form = _form("twilio_transcription", "content_customer.form")
    assert [u.reason for u in map_twilio(form, directory=CallDirectory()).unmapped] == [
        "call_unknown"
    ]
    broken = map_twilio(form | {"TranscriptionData": "{"}, directory=_twilio_directory())
    assert broken.malformed


def _utterance(n: int) -> str:
    """The fixture's n-th utteranceId."""
    return f"9a8b7c6d-000{n}-4e5f-a0b1-0000000000c{n}"


def _genesys_directory() -> CallDirectory:
    calls = CallDirectory()
    mapper = observed(genesys_cloud.map_event, observe_genesys, calls)
    mapper(load_json("genesys_cloud", "acd_start.json"), MappingOptions())
    return calls


def test_genesys_final_transcripts_at_session_start_plus_offset() -> None:
    result = map_genesys(load_json("genesys_transcription", "transcription.json"),
                         directory=_genesys_directory())  # fmt: skip
    base = {"schema": 1, "type": "contact.message", "channel": "voice", "contact_id": CONV,
            "queue": GENESYS_QUEUE, "lang": "de-DE"}  # fmt: skip
    assert result.events == [
        {**base, "event_id": f"genesys-tx:{CONV}:{_utterance(2)}:contact.message",
         "ts": "2025-11-20T09:00:37.000Z", "role": "customer",
         "text": "das ist eine frechheit ich möchte mich beschweren"},
        {**base, "event_id": f"genesys-tx:{CONV}:{_utterance(3)}:contact.message",
         "ts": "2025-11-20T09:00:42.500Z", "role": "agent", "text": "das tut mir sehr leid"},
    ]  # fmt: skip
    assert [u.reason for u in result.unmapped] == ["partial_segment"]


def test_genesys_status_message_and_eventbridge_envelope() -> None:
    calls = _genesys_directory()
    status = map_genesys(
        load_json("genesys_transcription", "session_ongoing.json"), directory=calls
    )
    assert status.events == [] and [u.reason for u in status.unmapped] == ["no_transcript"]
    message = load_json("genesys_transcription", "transcription.json")
    wrapped = {"version": "0", "detail-type": message["topicName"], "source": "aws.partner/genesys",
               "detail": message}  # fmt: skip
    assert (
        map_genesys(wrapped, directory=calls).events == map_genesys(message, directory=calls).events
    )


def test_asr_json_lines_final_only_with_either_time_form() -> None:
    body = (FIXTURES / "asr_jsonl" / "call.jsonl").read_bytes()
    results = map_lines(body, directory=CallDirectory())
    events = [e for _, r in results for e in r.events]
    base = {"schema": 1, "type": "contact.message", "channel": "voice",
            "contact_id": "c-asr-0001", "queue": "retention", "lang": "fr"}  # fmt: skip
    assert events == [
        {**base, "event_id": "asr:c-asr-0001:s-1:contact.message", "ts": "2026-11-20T09:10:24.100Z",
         "role": "customer", "text": "C'est inadmissible, je veux porter plainte !"},
        {**base, "event_id": "asr:c-asr-0001:s-2:contact.message", "ts": "2026-11-20T09:10:31.250Z",
         "role": "agent", "text": "Je suis vraiment désolé.", "agent_id": "agent-7"},
    ]  # fmt: skip
    assert [u.reason for _, r in results for u in r.unmapped] == ["partial_segment"]
    for event in events:
        _valid(event)


def test_asr_learns_queue_and_answer_from_contact_events_and_rejects_bad_lines() -> None:
    calls = _connect_directory()
    line = {"contact_id": "c-0001", "segment_id": "x", "role": "agent", "text": "Sorry!",
            "offset_ms": 1000}  # fmt: skip
    bad = {"contact_id": "c-0001", "segment_id": "y", "role": "caller", "text": "hi", "ts": 1}
    body = b"\n".join([json.dumps(line).encode(), b"{not json", json.dumps(bad).encode(), b""])
    results = map_lines(body, directory=calls)
    assert [(e["queue"], e["ts"]) for e in results[0][1].events] == [
        ("q-billing-0001", "2026-11-20T09:00:31.000Z")
    ]
    assert [r.malformed for _, r in results] == [False, True, True]


def test_call_directory_is_bounded_and_forgets_the_oldest() -> None:
    calls = CallDirectory(capacity=2)
    for n in range(3):
        calls.note(f"call-{n}", f"contact-{n}", queue="q")
    assert len(calls) == 2
    assert calls.lookup("call-0") is None
    assert calls.lookup("call-2") is not None
    with pytest.raises(ValueError, match="capacity"):
        CallDirectory(capacity=0)


def test_fixture_sources_are_listed_in_the_readme() -> None:
    readme = (FIXTURES / "README.md").read_text()
    for directory in ("contact_lens/", "twilio_transcription/", "genesys_transcription/",
                      "asr_jsonl/"):  # fmt: skip
        assert f"`{directory}`" in readme
