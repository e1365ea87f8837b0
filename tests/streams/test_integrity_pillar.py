"""The integrity pillar: callbacks made in time, broken ones judged by the sweep, re-opens."""

from __future__ import annotations

import asyncio

import pytest

from pillarwatch.models.config import Config
from pillarwatch.models.pillars import Signal, integrity
from pillarwatch.models.pillars.integrity import JUDGE_AFTER_SECONDS
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import T0, summary, volume

LABELS = {"queue": "billing", "channel": "voice", "window": "5m"}


def promise(dt: float, cid: str, due_in: float) -> object:
    return summary(
        dt, customer_id="cust-1", contact_id=cid, resolved=False, callback_due=T0 + due_in
    )


def callback(dt: float, cid: str, of: str) -> object:
    return summary(dt, customer_id="cust-1", contact_id=cid, start=T0 + dt - 60, callback_for=of)


def test_callback_made_in_time_is_kept_in_any_order() -> None:
    config = Config()
    forward = [promise(0, "a", 600), callback(300, "b", "a")]
    for order in (forward, forward[::-1]):
        state = None
        out: list[Signal] = []
        for item in order:
            state, signals = integrity.signals(state, item, config)  # type: ignore[arg-type]
            out += signals
        kept = [s for s in out if "callbacks_kept" in s.values]
        assert [s.values for s in kept] == [{"callbacks_due": 1.0, "callbacks_kept": 1.0}]
        assert state is not None and state["promises"] == {}


def test_broken_promise_judged_by_the_sweep_at_due_plus_delay() -> None:
    state, _ = integrity.signals(None, promise(0, "a", 600), Config())  # type: ignore[arg-type]
    late = T0 + 600 + JUDGE_AFTER_SECONDS
    assert integrity.sweep(state, late - 1, Config())[1] == []
    state, (broken,) = integrity.sweep(state, late, Config())
    assert broken.values == {"callbacks_due": 1.0} and broken.ts == late
    assert state is not None and state["promises"] == {}


def test_reopened_after_resolved() -> None:
    first = summary(0, customer_id="cust-1", contact_id="t1", resolved=True)
    again = summary(900, customer_id="cust-1", contact_id="t1", start=T0 + 800, resolved=True)
    for order in ([first, again], [again, first]):
        state = None
        values = []
        for item in order:
            state, signals = integrity.signals(state, item, Config())
            values += [s.values for s in signals]
        assert values.count({"reopened": 1.0}) == 1 and values.count({"resolved": 1.0}) == 2


def test_integrity_pillar_end_to_end_in_memory() -> None:
    items = [
        promise(0, "a", 600),
        callback(120, "b", "a"),  # kept
        summary(130, customer_id="cust-2", contact_id="c", resolved=True),
        summary(140, customer_id="cust-2", contact_id="c", start=T0 + 135),  # re-opened
    ]

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_pillar("integrity", items)  # type: ignore[arg-type]
            await h.feed_items("measures", volume(10, dt=240))
            await h.relay_signals()
            assert h.table("integrity-state")  # state is kept per customer
            return h

    h = asyncio.run(go())
    assert h.metric("pillarwatch_callback_kept_ratio", **LABELS) == 1.0
    # resolved: b, c and c again (3); re-opened: 1
    assert h.metric("pillarwatch_reopened_ratio", **LABELS) == pytest.approx(1 / 3)
    assert h.pillar("integrity", "billing", "voice") == pytest.approx(
        0.6 * 100 + 0.4 * 100 * (2 / 3)
    )
