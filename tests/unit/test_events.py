"""Decoding and validation: valid events in, a specific reason for every rejection."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pillarwatch.models.events import MAX_EVENT_BYTES, REJECTION_REASONS, Event, Rejection, decode

BASE = {
    "event_id": "e1",
    "type": "contact.queued",
    "ts": "2026-03-02T10:00:00Z",
    "contact_id": "c1",
    "channel": "voice",
    "queue": "billing",
}


def enc(**changes: object) -> bytes:
    doc = {**BASE, **changes}
    return orjson.dumps({k: v for k, v in doc.items() if v is not ...})


def test_valid_event_decodes_with_event_time() -> None:
    ev = decode(enc(customer_id="k1", lang="pl"))
    assert isinstance(ev, Event)
    assert ev.ts == 1772445600.0
    assert (ev.queue, ev.channel, ev.customer_id, ev.lang) == ("billing", "voice", "k1", "pl")


def test_epoch_seconds_and_offsets_are_the_same_instant() -> None:
    a = decode(enc(ts=1772445600))
    b = decode(enc(ts="2026-03-02T11:00:00+01:00"))
    assert isinstance(a, Event) and isinstance(b, Event) and a.ts == b.ts


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"x" * (MAX_EVENT_BYTES + 1), "oversize"),
        (b'{"event_id": "\xff\xfe"}', "not_utf8"),
        (b"{not json", "not_json"),
        (b"[1, 2]", "not_object"),
        (enc(schema=2), "unsupported_schema"),
        (enc(schema="1"), "wrong_type"),
        (enc(contact_id=...), "missing_field"),
        (enc(queue=None), "missing_field"),
        (enc(queue=7), "wrong_type"),
        (enc(type="contact.teleported"), "unknown_type"),
        (enc(ts="yesterday"), "bad_timestamp"),
        (enc(ts="2026-03-02T10:00:00"), "bad_timestamp"),  # no offset: ambiguous
        (enc(ts=1772445600000), "bad_timestamp"),  # milliseconds sent as seconds
        (enc(ts=True), "bad_timestamp"),
        (enc(channel="pigeon"), "bad_value"),
        (enc(queue=""), "bad_value"),
        (enc(type="contact.message", role="customer"), "missing_field"),
        (enc(type="contact.message", role="robot", text="hi"), "bad_value"),
        (enc(type="contact.message", role="agent", text=5), "wrong_type"),
        (enc(type="contact.transferred"), "missing_field"),
        (enc(type="contact.wrapped", resolved="yes"), "wrong_type"),
        (enc(type="survey.answered", csat=6), "bad_value"),
        (enc(type="survey.answered", nps=7.5), "wrong_type"),
    ],
)
def test_every_rejection_has_its_reason(raw: bytes, reason: str) -> None:
    result = decode(raw)
    assert isinstance(result, Rejection), result
    assert result.reason == reason, result.detail
    assert result.reason in REJECTION_REASONS and result.detail


def test_every_reason_is_reachable() -> None:
    """The reason set is a metric label: no reason without a test above (read this file)."""
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{reason}")' in source for reason in REJECTION_REASONS)


def test_type_specific_fields() -> None:
    msg = decode(enc(type="contact.message", role="agent", text="sorry"))
    wrap = decode(enc(type="contact.wrapped", resolved=False, reason="billing"))
    tr = decode(enc(type="contact.transferred", to_queue="sales"))
    sv = decode(enc(type="survey.answered", csat=4, ces=2, nps=9))
    assert isinstance(msg, Event) and (msg.role, msg.text) == ("agent", "sorry")
    assert isinstance(wrap, Event) and (wrap.resolved, wrap.reason) == (False, "billing")
    assert isinstance(tr, Event) and tr.to_queue == "sales"
    assert isinstance(sv, Event) and (sv.csat, sv.ces, sv.nps) == (4, 2, 9)


def test_agent_state_event() -> None:
    doc = {
        "event_id": "a1",
        "type": "agent.state",
        "ts": 1772445600,
        "agent_id": "ag-7",
        "channel": "voice",
        "state": "break",
        "queues": ["billing", "sales"],
    }
    ev = decode(orjson.dumps(doc))
    assert isinstance(ev, Event)
    assert (ev.state, ev.queues, ev.agent_id, ev.contact_id) == (
        "break",
        ("billing", "sales"),
        "ag-7",
        "",
    )
    bad = decode(orjson.dumps({**doc, "state": "asleep"}))
    assert isinstance(bad, Rejection) and bad.reason == "bad_value"
    none = decode(orjson.dumps({k: v for k, v in doc.items() if k != "queues"}))
    assert isinstance(none, Rejection) and none.reason == "missing_field"


def test_label_like_fields_are_one_shared_string_per_value() -> None:
    """Every open contact keeps its queue, channel and segment: decoding gives one shared
    string per value (models/events.py `_LABEL_LIKE`), not a copy per event."""
    docs = [
        {
            "event_id": f"e{i}",
            "type": "contact.queued",
            "ts": 1_772_445_600 + i,
            "contact_id": f"c{i}",
            "channel": "voice",
            "queue": "billing-emea",
            "segment": "gold",
            "agent_id": "agent-7",
        }
        for i in range(2)
    ]
    a, b = (decode(orjson.dumps(doc)) for doc in docs)
    assert isinstance(a, Event) and isinstance(b, Event)
    for name in ("queue", "channel", "segment", "agent_id"):
        assert getattr(a, name) == getattr(b, name)
        assert getattr(a, name) is getattr(b, name), name
