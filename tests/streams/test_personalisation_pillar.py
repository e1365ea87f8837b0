"""The personalisation pillar: personal touch, repeat contacts reaching the same agent."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from pillarwatch.models.config import Config
from pillarwatch.models.pillars import personalisation
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import summary, volume

LABELS = {"queue": "billing", "channel": "voice", "window": "5m"}


def contact(dt: float, cid: str, agent: str, personalised: bool = False) -> object:
    return summary(
        dt, customer_id="cust-1", contact_id=cid, agent_id=agent, personalised=personalised
    )


def sums(order: list[object]) -> dict[str, float]:
    state = None
    total: dict[str, float] = {}
    for item in order:
        state, signals = personalisation.signals(state, item, Config())  # type: ignore[arg-type]
        for s in signals:
            for k, v in s.values.items():
                total[k] = total.get(k, 0.0) + v
    return {k: v for k, v in total.items() if v}


def test_same_sums_in_any_arrival_order() -> None:
    items = [contact(0, "a", "ann"), contact(100, "b", "ann"), contact(200, "c", "bob", True)]
    results = [sums(list(p)) for p in itertools.permutations(items)]
    # b repeats a with the same agent; c repeats b with another agent
    want = {"handled": 3.0, "personalised": 1.0, "repeat_handled": 2.0, "same_agent": 1.0}
    assert all(r == want for r in results), results


def test_personalisation_pillar_end_to_end_in_memory() -> None:
    items = [contact(0, "a", "ann", True), contact(100, "b", "ann"), contact(200, "c", "bob")]

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_pillar("personalisation", items)  # type: ignore[arg-type]
            await h.feed_items("measures", volume(10, dt=240))
            await h.relay_signals()
            return h

    h = asyncio.run(go())
    assert h.metric("pillarwatch_personalised_contact_ratio", **LABELS) == pytest.approx(1 / 3)
    assert h.metric("pillarwatch_same_agent_repeat_ratio", **LABELS) == 0.5
    assert h.pillar("personalisation", "billing", "voice") == pytest.approx(
        0.5 * 100 / 3 + 0.5 * 50
    )
    unanswered = summary(0, answered=False, agent_id=None, customer_id="x")
    assert personalisation.signals(None, unanswered, Config()) == (None, [])
