"""The empathy pillar: signals from complaining contacts, the pillar and its gauges."""

from __future__ import annotations

import asyncio

import pytest

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.markers import COMPLAINT, EMPATHY
from pillarwatch.models.pillars import empathy
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import summary, volume

LABELS = {"queue": "billing", "channel": "voice", "window": "5m"}


def complained(dt: float, delay: float | None) -> object:
    markers = COMPLAINT | (EMPATHY if delay is not None else 0)
    return summary(dt, markers=markers, complaint_to_empathy=delay)


def test_empathy_pillar_end_to_end_in_memory() -> None:
    items = [complained(1, 20), complained(2, 20), complained(3, 120), complained(4, None)]
    items.append(summary(5))  # no complaint: no signal

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_pillar("empathy", items)  # type: ignore[arg-type]
            await h.feed_items("measures", volume(10, dt=240))
            await h.relay_signals()
            return h

    h = asyncio.run(go())
    assert len(h.signals("empathy")) == 4
    assert h.metric("pillarwatch_empathy_coverage_ratio", **LABELS) == 0.75
    assert h.metric("pillarwatch_complaint_to_empathy_seconds", **LABELS) == pytest.approx(160 / 3)
    assert h.component("empathy", "empathy_coverage", "billing", "voice") == 75.0
    assert h.component("empathy", "empathy_timeliness", "billing", "voice") == pytest.approx(
        200 / 3
    )
    assert h.pillar("empathy", "billing", "voice") == pytest.approx(0.7 * 75 + 0.3 * 200 / 3)


def test_no_score_under_the_minimum_volume() -> None:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_pillar("empathy", [complained(1, 20)])  # type: ignore[list-item]
            await h.feed_items("measures", volume(9))
            await h.relay_signals()
            return h

    h = asyncio.run(go())
    assert h.metric("pillarwatch_empathy_coverage_ratio", **LABELS) == 1.0
    assert h.pillar("empathy", "billing", "voice") is None


def test_formula() -> None:
    _, signals = empathy.signals(None, complained(0, 61), Config())  # type: ignore[arg-type]
    (signal,) = signals
    assert signal.values == {"complained": 1.0, "empathised": 1.0, "empathy_delay_sum": 61.0}
    assert empathy.PILLAR.components({"complained": 2.0}, Targets()) == {"empathy_coverage": 0.0}
    assert empathy.PILLAR.components({}, Targets()) == {}
    unanswered = summary(0, answered=False, markers=COMPLAINT)
    assert empathy.signals(None, unanswered, Config()) == (None, [])
