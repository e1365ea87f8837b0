"""The contacts agent in memory: validation, dead letters, dedupe, state, outcomes."""

from __future__ import annotations

import asyncio

import orjson

from pillarwatch.models.contact import ContactState
from pillarwatch.models.events import decode
from pillarwatch.models.summaries import wire_key
from pillarwatch.streams.agents.contacts import decode_forwarded, load_state
from pillarwatch.streams.testing import AgentHarness

T0 = 1_772_445_600


def event(n: int, etype: str, dt: float, cid: str = "c1", **kw: object) -> tuple[bytes, bytes]:
    doc = {
        "event_id": f"{cid}-{n}",
        "type": etype,
        "ts": T0 + dt,
        "contact_id": cid,
        "channel": "voice",
        "queue": "billing",
        **kw,
    }
    return cid.encode(), orjson.dumps(doc)


def state(h: AgentHarness, contact_id: str) -> ContactState:
    found = load_state(h.table("contacts")[contact_id])
    assert found is not None
    return found


def run(coro_fn):  # type: ignore[no-untyped-def]
    return asyncio.run(coro_fn())


def test_lifecycle_counts_state_and_outcomes() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed(
                "contacts", [event(0, "contact.queued", 0), event(1, "contact.answered", 12)]
            )
            assert h.metric("pillarwatch_events_total", type="contact.queued") == 1
            assert state(h, "c1").answered_ts == T0 + 12
            assert "c1" not in h.table("waiting")  # answered: no longer waiting
            await h.feed(
                "contacts",
                [event(2, "contact.ended", 100), event(3, "contact.wrapped", 120, resolved=True)],
            )
            return h

    h = run(go)
    kinds = [(s.key, s.value["kind"]) for s in h.sent_to("contact-summaries")]
    key = wire_key("billing", "voice").encode()
    assert kinds == [(key, "outcome"), (key, "summary")]
    assert h.sent_to("contact-summaries")[1].value["handle"] == 108.0
    assert (
        h.metric("pillarwatch_contacts_total", queue="billing", channel="voice", outcome="answered")
        == 1
    )
    assert h.metric("pillarwatch_wait_seconds_sum", queue="billing", channel="voice") == 12
    # Ended contacts stay as tombstones until the contact timeout: a replay re-emits nothing.
    assert state(h, "c1").summary_sent is True


def test_bad_input_goes_to_dead_letters_with_reason_and_raw_bytes() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed("contacts", [(b"k", b"\xff not json"), event(0, "contact.flew", 0)])
            return h

    h = run(go)
    dlq = h.sent_to("contact-events.dlq")
    assert [s.value for s in dlq] == [b"\xff not json", event(0, "contact.flew", 0)[1]]
    assert [dict(s.headers)["pillarwatch.reason"] for s in dlq] == [b"not_utf8", b"unknown_type"]
    assert h.metric("pillarwatch_events_rejected_total", reason="unknown_type") == 1
    assert h.metric("pillarwatch_events_total", type="contact.queued") is None


def test_duplicates_are_dropped_and_counted() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed("contacts", [event(0, "contact.queued", 0)] * 3)
            return h

    h = run(go)
    assert h.metric("pillarwatch_events_duplicate_total") == 2
    assert h.metric("pillarwatch_events_total", type="contact.queued") == 1


def test_live_queue_gauges_from_waiting_contacts() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed(
                "contacts",
                [
                    event(0, "contact.queued", 0, "a"),
                    event(0, "contact.queued", 30, "b"),
                    event(1, "contact.message", 50, "c", role="customer", text="hello"),
                ],
            )
            return h

    h = run(go)
    labels = {"queue": "billing", "channel": "voice"}
    assert h.metric("pillarwatch_queue_waiting_contacts", **labels) == 2
    # event time: the newest event is at +50 s, the oldest waiting contact queued at 0
    assert h.metric("pillarwatch_queue_longest_wait_seconds", **labels) == 50


def test_plain_messages_touch_no_state() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed(
                "contacts",
                [event(0, "contact.message", 0, role="customer", text="what is my balance")],
            )
            return h

    h = run(go)
    assert h.table("contacts") == {}
    assert h.metric("pillarwatch_events_total", type="contact.message") == 1


def test_event_not_keyed_by_contact_is_repartitioned() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            _, value = event(0, "contact.queued", 0)
            await h.feed("contacts", [(b"some-other-key", value)])
            return h

    h = run(go)
    forwarded = h.sent_to("pillarwatch-contact-events-by-contact")
    # Forwarded once, keyed by its contact, already decoded: the same event, not decoded twice.
    assert [s.key for s in forwarded] == [b"c1"]
    assert decode_forwarded(forwarded[0].value) == decode(event(0, "contact.queued", 0)[1])
    assert h.table("contacts") == {}


def test_an_emptied_queue_shows_zero_waiting_not_nothing() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed(
                "contacts", [event(0, "contact.queued", 0), event(1, "contact.answered", 5)]
            )
            return h

    h = run(go)
    labels = {"queue": "billing", "channel": "voice"}
    assert h.metric("pillarwatch_queue_waiting_contacts", **labels) == 0
    assert h.metric("pillarwatch_queue_longest_wait_seconds", **labels) == 0
