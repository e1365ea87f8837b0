"""Windows end at the worker's event-time clock (streams/clock.py), not at its newest bucket.

With several workers each owns some queues; a queue that went quiet must still see its
5-minute window move on while the rest of the stream goes on, whichever queues share its
worker. The clock comes from the input partitions, which carry contacts of every queue.
"""

from __future__ import annotations

import asyncio

from pillarwatch.models.contact import Outcome
from pillarwatch.models.summaries import to_wire, wire_key
from pillarwatch.streams.clock import StreamClock
from pillarwatch.streams.testing import AgentHarness

T0 = 1_772_445_600.0  # a minute boundary
KEY = wire_key("billing", "chat").encode()


def answered(dt: float) -> tuple[bytes, dict[str, object]]:
    return KEY, to_wire(Outcome("billing", "chat", T0 + dt, "answered", 5.0, True))


def windows(clock_at: float | None) -> dict[str, float | None]:
    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            if clock_at is not None:
                # The contacts agent saw an event of some other queue on partition 3.
                h.app.clock.observe(3, clock_at)
            await h.feed("measures", [answered(i * 10) for i in range(6)])  # minute 0 only
            return h

    h = asyncio.run(go())
    return {
        w: h.metric("pillarwatch_window_contacts", queue="billing", channel="chat", window=w)
        for w in ("5m", "1h")
    }


def test_without_a_clock_windows_end_at_the_newest_bucket() -> None:
    assert windows(None) == {"5m": 6, "1h": 6}


def test_a_quiet_queue_leaves_the_5m_window_as_the_stream_moves_on() -> None:
    assert windows(T0 + 4 * 60 + 59) == {"5m": 6, "1h": 6}  # minute 4: still inside 5m
    assert windows(T0 + 5 * 60) == {"5m": 0, "1h": 6}  # minute 5: out of 5m, inside 1h
    assert windows(T0 + 60 * 60) == {"5m": 0, "1h": 0}


def test_an_older_clock_does_not_pull_windows_back() -> None:
    assert windows(T0 - 3600) == {"5m": 6, "1h": 6}


def test_clock_keeps_the_newest_time_per_partition() -> None:
    clock = StreamClock()
    assert clock.now() is None and clock.end_minute(None) is None
    clock.observe(0, 120.0)
    clock.observe(0, 60.0)  # late: the mark stays
    clock.observe(1, 90.0)
    assert clock.mark(0) == 120.0 and clock.mark(1) == 90.0 and clock.mark(2) is None
    assert clock.now() == 120.0
    assert clock.end_minute(1) == 2 and clock.end_minute(7) == 7
