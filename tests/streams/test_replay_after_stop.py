"""A worker stopped mid-message loses nothing and counts nothing twice.

Found by the two-worker SIGTERM fail-over (tests/integration/test_two_workers.py), which
failed one CI run in three: one billing/voice contact's journey figures were missing on the
survivor (repeat ratio 20/112 against 20/113; one journey, one FCR-resolved contact short).
Faust acks an event in a `finally` even when its agent was cancelled halfway through it, and a
stopping worker cancels its agents before its consumer's last commit: an agent that had
written its state and not yet sent what followed from it had that event committed. Three
guards, each tested here:

1. `handle_each` acks an event only when its agent finished it (streams/acks.py);
2. the customers agent sends a journey's corrections and a pillar's signals before it stores
   the state they came from, so a replay computes and sends them again;
3. those corrections carry ids, and the minute and hour buckets count each once;
4. a replay that finds its state stored already (a SIGKILL after the state reached the
   changelog and before every send did) sends again what the first time sent: the journey's
   `caused` corrections and the pillars' outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any
from unittest import mock

import pytest

from pillarwatch.models.journeys import (
    JourneyContact,
    JourneyDelta,
    JourneyState,
    add_contact,
    delta_ident,
    deltas,
    resend,
)
from pillarwatch.models.pillars import Signal
from pillarwatch.models.summaries import from_wire
from pillarwatch.models.windows import RETAIN_MINUTES
from pillarwatch.streams.acks import handle_each
from pillarwatch.streams.bucket_tables import (
    HourKey,
    LatestKey,
    MinuteKey,
    add_journey_delta,
    hour_row,
    read_rows,
)
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import T0, summary

FCR = {"with_customer": 1.0, "fcr_eligible": 1.0, "fcr_resolved": 1.0}


# 1. handle_each -----------------------------------------------------------------------------


@dataclass
class Event:
    value: int


@dataclass
class Stream:
    """What `handle_each` uses of a Faust stream: its events and `ack`. A stand-in: Faust's
    in-memory channels do not run without a started app; the two-worker tests run the real
    one on the broker."""

    values: list[int]
    enable_acks: bool = True
    acked: list[int] = field(default_factory=list)

    async def events(self) -> AsyncIterator[Event]:
        for v in self.values:
            yield Event(v)

    async def ack(self, event: Event) -> bool:
        self.acked.append(event.value)
        return True


def run_each(stream: Stream, fail_on: int, error: BaseException) -> BaseException | None:
    async def handle(event: Any) -> None:
        if event.value == fail_on:
            raise error

    try:
        asyncio.run(handle_each(stream, handle))  # type: ignore[arg-type]
    except BaseException as exc:  # what it raised is the result
        return exc
    return None


def test_an_event_is_acked_when_handled_and_faust_acks_are_off() -> None:
    stream = Stream([1, 2, 3])
    assert run_each(stream, fail_on=0, error=RuntimeError()) is None
    assert stream.acked == [1, 2, 3]
    assert stream.enable_acks is False


def test_an_event_cut_off_by_a_stop_is_not_acked() -> None:
    stream = Stream([1, 2, 3])
    raised = run_each(stream, fail_on=2, error=asyncio.CancelledError())
    assert isinstance(raised, asyncio.CancelledError)
    assert stream.acked == [1]  # 2 is replayed after the restart or the partition move


def test_an_event_that_fails_is_acked_then_raised_as_faust_does() -> None:
    stream = Stream([1, 2, 3])
    raised = run_each(stream, fail_on=2, error=ValueError("bad"))
    assert isinstance(raised, ValueError)
    assert stream.acked == [1, 2]  # one failing message does not hold back its partition


# 2. the customers agent: send, then store ---------------------------------------------------


def journey_sends(h: AgentHarness) -> list[JourneyDelta]:
    items = [from_wire(s.value) for s in h.sent_to("contact-summaries")]
    return [d for d in items if isinstance(d, JourneyDelta)]


def test_a_send_cut_off_stores_nothing_and_the_replay_sends_the_same_ids() -> None:
    first = summary(0, customer_id="cust-9", contact_id="a", resolved=True)
    repeat = summary(3600, customer_id="cust-9", contact_id="b", start=T0 + 1800, resolved=True)

    async def clean() -> list[JourneyDelta]:
        async with AgentHarness() as h:
            await h.feed_items("customers", [first, repeat])
            return journey_sends(h)

    async def cut_off() -> tuple[dict[str, Any], list[JourneyDelta]]:
        async with AgentHarness() as h:
            await h.feed_items("customers", [first])
            before = h.table("journeys")["cust-9"]
            # The repeat's first send fails, as a stop cutting the agent off would.
            cut = RuntimeError("cut off")
            failing = mock.patch("faust.topics.Topic.send", side_effect=cut)
            with failing, pytest.raises(RuntimeError):
                await h.feed_items("customers", [repeat])
            stored = h.table("journeys")["cust-9"]
            assert stored == before, "the journey was stored before its corrections were sent"
            # The replay, on a new run of the agent (the worker that takes over the partition).
            h.restart("customers")
            await h.feed_items("customers", [repeat])
            return h.table("journeys")["cust-9"], journey_sends(h)

    expected = asyncio.run(clean())
    stored, sent = asyncio.run(cut_off())
    assert [c["contact_id"] for c in stored["contacts"]] == ["a", "b"]
    assert [(d.ident, d.delta) for d in sent] == [(d.ident, d.delta) for d in expected]
    assert all(d.ident for d in sent) and len({d.ident for d in sent}) == len(sent)


def test_a_replay_after_the_state_was_stored_sends_the_first_sends_again() -> None:
    """SIGKILL: the state reached the changelog, some sends did not (the producer sends a
    batch per partition at a time, so partitions arrive in no fixed order). The replay finds
    the contact stored and sends again what its arrival sent: corrections and signals."""
    first = summary(0, customer_id="cust-8", contact_id="a", agent_id="ann", resolved=True)
    # Arrives second but started first: its arrival corrects `first` (now a repeat of it).
    earlier = summary(-900, customer_id="cust-8", contact_id="b", start=T0 - 2400, resolved=True)

    async def go() -> tuple[list[Any], list[Any]]:
        async with AgentHarness() as h:
            await h.feed_items("customers", [first, earlier])
            topic = h.settings.summaries_topic
            sent = h.sent_to(topic)  # a record per entry, grouped messages flattened
            h.sent.clear()
            h.restart("customers")
            await h.feed_items("customers", [earlier])  # the replay, its state there already
            return sent, h.sent_to(topic)

    sent, again = asyncio.run(go())
    items = [from_wire(s.value) for s in sent]
    corrections = [d for d in items if isinstance(d, JourneyDelta)]
    caused = [d for d in corrections if d.ident in {delta_ident("b", "a"), delta_ident("b", "b")}]
    assert len(caused) == 2, "earlier's arrival corrects both contacts"
    resent = [from_wire(s.value) for s in again]
    assert [d for d in resent if isinstance(d, JourneyDelta)] == caused
    signals = [i for i in items if isinstance(i, Signal) and i.ident and "b@" in i.ident]
    assert signals and [i for i in resent if isinstance(i, Signal)] == signals


def test_resend_gives_what_a_contacts_arrival_sent_and_none_for_a_new_contact() -> None:
    state = None
    sent: dict[str, list[JourneyDelta]] = {}
    for cid, start in (("a", T0), ("b", T0 - 600), ("c", T0 + 600)):
        contact = JourneyContact(cid, "billing", "voice", start, start + 300, 5.0, True, 86400.0)
        state, corrections = add_contact(state, contact)
        sent[cid] = deltas(corrections, cid)
    for cid in "abc":
        assert resend(state, cid) == sent[cid]
    assert resend(state, "d") is None
    assert resend(None, "a") is None
    assert JourneyState.from_dict(state.to_dict()) == state  # kept through the changelog


# 3. the buckets count a correction once -----------------------------------------------------


def correction(ident: str | None, ts: float = T0 + 30, **delta: float) -> JourneyDelta:
    return JourneyDelta("billing", "voice", ts, delta or dict(FCR), ident)


def test_a_correction_sent_again_is_counted_once_in_its_minute_and_hour() -> None:
    store: dict[str, Any] = {}
    one = correction(delta_ident("a", "a"))
    assert add_journey_delta(store, one, offset=10, retain_hours=3)
    assert not add_journey_delta(store, one, offset=25, retain_hours=3)  # sent again
    assert not add_journey_delta(store, one, offset=10, retain_hours=3)  # redelivered
    assert add_journey_delta(store, replace(one, ident=delta_ident("b", "a")), 30, 3)
    assert add_journey_delta(store, replace(one, ident=None), 31, 3)  # no id: offsets only
    rows = read_rows(store, str)
    (core,) = rows.core
    assert core[:3] == ("billing", "voice", int((T0 + 30) // 60))
    assert rows.hours[("billing", "voice")] == {int((T0 + 30) // 3600): [3.0, 3.0]}


def test_a_correction_for_a_minute_already_gone_is_counted_once_in_its_hour() -> None:
    store: dict[str, Any] = {}
    minute = int((T0 + 30) // 60)
    store[LatestKey("billing", "voice").encode()] = minute + RETAIN_MINUTES + 5
    late = correction(delta_ident("z", "a"), fcr_resolved=-1.0)
    assert add_journey_delta(store, late, offset=40, retain_hours=3)
    assert not add_journey_delta(store, late, offset=41, retain_hours=3)  # sent again
    assert add_journey_delta(store, replace(late, ident=delta_ident("y", "a")), 42, 3)
    assert MinuteKey("billing", "voice", minute).encode() not in store
    row = hour_row(store[HourKey("billing", "voice", int((T0 + 30) // 3600)).encode()])
    assert row["pair"] == [0.0, -2.0]
    assert len(row["late"]) == 2


def test_an_hour_row_of_an_earlier_version_is_read_and_extended() -> None:
    hour = int((T0 + 30) // 3600)
    store: dict[str, Any] = {HourKey("billing", "voice", hour).encode(): [4.0, 3.0]}
    assert read_rows(store, str).hours[("billing", "voice")] == {hour: [4.0, 3.0]}
    assert add_journey_delta(store, correction(delta_ident("a", "a")), offset=5, retain_hours=3)
    assert read_rows(store, str).hours[("billing", "voice")] == {hour: [5.0, 4.0]}


def test_correction_ids_name_cause_and_corrected_and_hold_no_contact_id() -> None:
    ident = delta_ident("contact-123", "contact-456")
    assert ident == delta_ident("contact-123", "contact-456")
    assert ident != delta_ident("contact-456", "contact-123")
    assert ident.startswith("j:") and "contact" not in ident


def test_an_earlier_message_that_arrives_after_a_later_one_is_still_counted() -> None:
    """Around a rebalance Faust hands on messages from the old position before it seeks back
    to the committed offset: a partition's later messages can come before its earlier ones.
    An item with an id is judged by its id, not by the row's newest offset."""
    store: dict[str, Any] = {}
    later = correction(delta_ident("b", "b"))
    earlier = correction(delta_ident("a", "a"))
    assert add_journey_delta(store, later, offset=60, retain_hours=3)
    assert add_journey_delta(store, earlier, offset=40, retain_hours=3)  # overtaken, not seen
    assert not add_journey_delta(store, earlier, offset=40, retain_hours=3)  # now seen
    assert not add_journey_delta(store, replace(later, ident=None), offset=50, retain_hours=3)
    rows = read_rows(store, str)
    assert rows.hours[("billing", "voice")] == {int((T0 + 30) // 3600): [2.0, 2.0]}
    row = store[MinuteKey("billing", "voice", int((T0 + 30) // 60)).encode()]
    assert row["offset"] == 60.0  # the newest offset stays the newest, for items without ids
