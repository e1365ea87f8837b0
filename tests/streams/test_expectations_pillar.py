"""The expectations pillar: announced waits kept, service level against each segment's target."""

from __future__ import annotations

import asyncio

import pytest

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.pillars import expectations
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import summary, volume

LABELS = {"queue": "billing", "channel": "voice", "window": "5m"}
# business customers expect an answer within 10 s (goal 90 %); household ones within 20 s
CONFIG = Config(
    segment_overrides={"business": {"service_level_seconds": 10.0, "service_level_goal": 0.9}}
)


def test_expectations_pillar_end_to_end_in_memory() -> None:
    items = [
        summary(1, segment="business", wait=8.0, announced_wait=30.0),  # in target, kept
        summary(
            2, segment="business", wait=15.0, announced_wait=0.0
        ),  # late for business, kept (grace)
        summary(3, segment="household", wait=15.0, announced_wait=60.0),  # in target, kept
        summary(4, segment="household", wait=100.0, announced_wait=60.0),  # late, 40 s over
        summary(5, answered=False, wait=2.0, announced_wait=60.0),  # short abandon: ignored
        summary(6, answered=False, wait=30.0, announced_wait=60.0),  # abandoned before the time
    ]

    async def go() -> AgentHarness:
        h = AgentHarness()
        h.settings.config.segment_overrides.update(CONFIG.segment_overrides)
        async with h:
            await h.feed_pillar("expectations", items)  # type: ignore[arg-type]
            await h.feed_items("measures", volume(10, dt=240))
            await h.relay_signals()
        return h

    h = asyncio.run(go())
    # announced judged: 1, 2 (15 > 0 + 15? no: 15 <= 15, kept), 3, 4 -> kept 1, 2, 3 of 4
    assert h.metric("pillarwatch_announced_wait_kept_ratio", **LABELS) == 0.75
    assert h.metric("pillarwatch_announced_wait_overrun_seconds", **LABELS) == (15 + 40) / 4
    # considered: 1, 2, 3, 4, 6; in own target: 1 (8 <= 10) and 3 (15 <= 20)
    assert h.metric("pillarwatch_segment_service_level_ratio", **LABELS) == 2 / 5
    goal_sum = 0.9 + 0.9 + 0.8 + 0.8 + 0.8
    sl = 100 * 2 / goal_sum
    assert h.component("expectations", "segment_service_level", "billing", "voice") == (
        pytest.approx(sl)
    )
    assert h.pillar("expectations", "billing", "voice") == pytest.approx(0.5 * 75 + 0.5 * sl)


def test_formula() -> None:
    _, (signal,) = expectations.signals(None, summary(0, wait=50.0, announced_wait=30.0), Config())
    assert signal.values == {
        "considered": 1.0,
        "goal_sum": 0.8,
        "announced": 1.0,
        "announced_overrun_sum": 20.0,
    }
    assert expectations.PILLAR.components({"in_segment_target": 9, "goal_sum": 9.0}, Targets()) == {
        "segment_service_level": 100.0
    }
