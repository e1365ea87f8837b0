"""The measures agent in memory: buckets per minute, windows and scores at scrape time."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest

from pillarwatch.models.contact import Outcome, Summary
from pillarwatch.models.summaries import to_wire, wire_key
from pillarwatch.streams.bucket_tables import MinuteKey, decode
from pillarwatch.streams.testing import AgentHarness

T0 = 1_772_445_600.0
KEY = wire_key("billing", "voice").encode()


def outcome(dt: float, kind: str, wait: float) -> tuple[bytes, dict[str, object]]:
    return KEY, to_wire(Outcome("billing", "voice", T0 + dt, kind, wait, wait <= 20))


def summary(dt: float, handle: float, resolved: bool) -> tuple[bytes, dict[str, object]]:
    return KEY, to_wire(
        Summary("billing", "voice", T0 + dt, True, handle, 0, 0.0, 0, True, resolved, 0, None)
    )


def two_minutes_of_billing() -> list[tuple[bytes, dict[str, object]]]:
    """14 offered (12 answered, 9 of them within 20 s; 1 abandoned, 1 short abandon) and 10
    summaries of 300 s, half resolved, over T0..T0+139 s."""
    items = [outcome(i * 10, "answered", 10 if i % 4 else 40) for i in range(12)]
    items += [outcome(125, "abandoned", 60), outcome(126, "short_abandoned", 2)]
    return items + [summary(130 + i, 300, i % 2 == 0) for i in range(10)]


LABELS = {"queue": "billing", "channel": "voice", "window": "5m"}


def assert_window_of_two_minutes_of_billing(h: AgentHarness) -> None:
    """The 5m window of `two_minutes_of_billing`, computed by hand: 14 offered, 1 short
    abandon -> 13 considered; 9 of 12 answered within 20 s; 1 abandoned; handle 300 s."""
    assert h.metric("pillarwatch_window_contacts", **LABELS) == 14
    assert h.metric("pillarwatch_service_level_ratio", **LABELS) == 9 / 13
    assert h.metric("pillarwatch_abandon_ratio", **LABELS) == 1 / 13
    asa = h.metric("pillarwatch_average_speed_of_answer_seconds", **LABELS)
    assert asa == (9 * 10 + 3 * 40) / 12
    assert h.metric("pillarwatch_average_handle_seconds", **LABELS) == 300


def test_windows_and_scores() -> None:
    items = two_minutes_of_billing()

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed("measures", items)
            return h

    h = asyncio.run(go())
    labels = LABELS
    assert_window_of_two_minutes_of_billing(h)
    assert (
        h.metric(
            "pillarwatch_pillar_component_score",
            pillar="resolution",
            component="resolved_at_wrap_up",
            **labels,
        )
        == 50
    )
    score = h.metric("pillarwatch_pillar_score", pillar="time_effort", **labels)
    assert score is not None and 0 < score < 100
    assert h.metric("pillarwatch_apology_coverage_ratio", **labels) is None  # no complaints


def minutes(h: AgentHarness) -> list[int]:
    keys = [decode(k) for k in h.table("minute-buckets")]
    return sorted(k.minute for k in keys if isinstance(k, MinuteKey))


def test_old_minutes_expire_and_too_late_items_are_dropped() -> None:
    base = int(T0 // 60)

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed("measures", [outcome(0, "answered", 5)])
            assert minutes(h) == [base]
            await h.feed("measures", [outcome(30 * 60, "answered", 5)])
            assert minutes(h) == [base, base + 30]  # both still inside the 1h window
            await h.feed("measures", [outcome(62 * 60, "answered", 5)])
            assert minutes(h) == [base + 30, base + 62]
            # a straggler for a minute that left every window is not counted anywhere
            await h.feed("measures", [outcome(60, "answered", 5)])
            return h

    h = asyncio.run(go())
    assert minutes(h) == [base + 30, base + 62]
    assert (
        h.metric("pillarwatch_window_contacts", queue="billing", channel="voice", window="1h") == 2
    )


def test_final_first_contact_resolution_once_the_repeat_window_has_passed() -> None:
    from pillarwatch.models.journeys import JourneyDelta

    hour_start = T0 - T0 % 3600
    deltas = [
        (KEY, to_wire(JourneyDelta("billing", "voice", hour_start + 60, d)))
        for d in (
            {"fcr_eligible": 1.0, "fcr_resolved": 1.0},
            {"fcr_eligible": 1.0, "fcr_resolved": 1.0},
            {"fcr_eligible": 1.0},
            {"fcr_resolved": -1.0},  # a repeat came: the second one was not resolved after all
        )
    ]
    week = 7 * 86400

    async def go() -> tuple[float | None, float | None]:
        async with AgentHarness() as h:
            await h.feed("measures", [*deltas, outcome(hour_start - T0 + week, "answered", 5)])
            labels = {"queue": "billing", "channel": "voice"}
            early = h.metric("pillarwatch_first_contact_resolution_final_ratio", **labels)
            await h.feed("measures", [outcome(hour_start - T0 + week + 3600, "answered", 5)])
            return early, h.metric("pillarwatch_first_contact_resolution_final_ratio", **labels)

    early, final = asyncio.run(go())
    assert early is None  # the window is still open for contacts of that hour
    assert final == 1 / 3


def test_staffing_projection_from_measured_arrivals_and_agents_present() -> None:
    from pillarwatch.models.staffing import AgentStateChange, queue_staffing

    # 15 minutes at 50 contacts per 15 min, 180 s handle; 6 agents present, 2 on break
    items = [outcome(i * 18, "answered", 5) for i in range(50)]  # minutes 0..14
    items += [summary(899, 180, True)]
    states = ["available"] * 4 + ["busy"] * 2 + ["break"] * 2
    items += [
        (KEY, to_wire(AgentStateChange("billing", "voice", T0 + i, f"a{i}", st)))
        for i, st in enumerate(states)
    ]

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed("measures", items)
            return h

    h = asyncio.run(go())
    labels = {"queue": "billing", "channel": "voice"}
    assert h.metric("pillarwatch_staffing_present_agents", state="break", **labels) == 2
    assert h.metric("pillarwatch_staffing_present_agents", state="available", **labels) == 4
    want = queue_staffing(50, 900, 180.0, {"available": 4, "busy": 2}, 20.0, 0.8)
    assert want is not None
    assert h.metric("pillarwatch_staffing_required_agents", **labels) == want.required_agents
    assert h.metric("pillarwatch_projected_service_level_ratio", **labels) == pytest.approx(
        want.projected_service_level
    )
    assert h.metric("pillarwatch_service_level_goal_ratio", **labels) == 0.8


def test_a_message_of_many_records_counts_each_once_and_writes_each_row_once() -> None:
    """The first hop sends a batch's records of a queue and channel as one message (a JSON
    array): every record counts as if it had come alone, including records without a contact
    id (deduped by offset), a redelivery of the message counts nothing, and each minute row
    the message touches is written to the changelog once."""
    records = [value for _, value in two_minutes_of_billing()]
    writes: list[object] = []

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            table = h.app.tables["minute-buckets"]
            original = type(table).__setitem__

            def spy(self: object, key: object, value: object) -> None:
                writes.append(key)
                original(self, key, value)  # type: ignore[arg-type]

            with mock.patch.object(type(table), "__setitem__", spy):
                await h.feed("measures", [(KEY, records)])
            h.restart("measures")
            await h.feed("measures", [(KEY, records)])  # a redelivery (offset 0 again)
            return h

    h = asyncio.run(go())
    assert_window_of_two_minutes_of_billing(h)  # the same figures as the records one by one
    # 24 records over T0..T0+139 s: 3 minute rows and the queue's latest-minute row, once each.
    assert len(writes) == len(set(writes)) == 4, writes
