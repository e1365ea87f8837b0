"""The backtest's worker: the same app, agents and tables as `pillarwatch worker`, plus what a
replay paused at every step of event time needs.

- A shorter consumer fetch wait than the worker's (streams/transport.py: 100 ms instead of
  Faust's hard-coded 1.5 s). The embedded broker holds a fetch for its whole wait even when
  data arrives meanwhile: a live stream hardly notices, a replay paused at every step would
  wait up to that long per hop per step.
- A producer linger of 5 ms, so that the messages a step sends to one partition share a
  record batch (the embedded broker's fetches slow down with the batches in a partition).
- `GET /backtest/step?input=N`: once the worker has read N input messages and every message
  it sent to a topic it consumes itself (summaries, re-keyed topics) has been read and fully
  processed, answers with the `pillarwatch_*` families of its registry (what /metrics would
  show for event time T, without Faust's own sensor series, which the backtest does not
  record). One request per step: the settle and the scrape are one round trip. The counts
  come from a Faust sensor, so waiting costs microseconds per check. Header `X-Settled: 0`
  and a JSON `X-Progress` when it did not settle within SETTLE_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View
from faust.worker import Worker
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

from pillarwatch.streams import transport
from pillarwatch.streams.app import PillarwatchApp, create_app
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import ensure_topics

__all__ = ["FETCH_WAIT_MS", "FlowSensor", "PillarwatchFamilies", "main", "use_quick_fetches"]

FETCH_WAIT_MS = 5
# The worker's sends of one step (summaries, re-keyed messages) wait this long to share a
# record batch: the embedded broker slows down with the batches a partition holds
# (record.py, `_send_step`). It adds at most this much to each hop of a step.
PRODUCER_LINGER_S = 0.005
SETTLE_TIMEOUT = 10.0


class FlowSensor(faust.Sensor):  # type: ignore[misc]
    """Messages read and sent per topic, and messages read but not yet fully processed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.received: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.active = 0

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        self.received[tp.topic] += 1
        self.active += 1

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        self.active -= 1

    def on_send_initiated(
        self, producer: Any, topic: str, message: Any, keysize: int, valsize: int
    ) -> Any:
        self.sent[topic] += 1
        return None

    def drained(self, app: PillarwatchApp, expected_input: int) -> bool:
        if self.received[app.settings.topic] < expected_input or self.active:
            return False
        return all(self.received[t] >= n for t, n in self.sent.items() if t in _consumed(app))


def _consumed(app: PillarwatchApp) -> set[str]:
    """Topics whose messages the agents process: assigned ones, without the table changelogs
    (read only while recovering)."""
    return {tp.topic for tp in app.consumer.assignment() if not tp.topic.endswith("-changelog")}


class PillarwatchFamilies:
    """The `pillarwatch_*` families of a registry, for prometheus_client's text exposition
    (which only needs `collect()`). Faust's sensor families are collected but not formatted."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return (m for m in self.registry.collect() if m.name.startswith("pillarwatch_"))


def _install_step(app: PillarwatchApp, sensor: FlowSensor) -> None:
    families = PillarwatchFamilies(app.registry)

    @app.page("/backtest/step")  # type: ignore[untyped-decorator]
    async def step(self: View, request: Request) -> Response:
        expected = int(request.query.get("input", "0"))
        deadline = time.monotonic() + SETTLE_TIMEOUT
        headers = {"X-Settled": "1"}
        while not sensor.drained(app, expected):
            if time.monotonic() > deadline:
                progress = {
                    "progress": sum(sensor.received.values()),
                    "received": dict(sensor.received),
                    "sent": dict(sensor.sent),
                    "active": sensor.active,
                }
                headers = {"X-Settled": "0", "X-Progress": orjson.dumps(progress).decode()}
                break
            await asyncio.sleep(0.001)
        text = generate_latest(families).decode()  # type: ignore[arg-type]
        return self.text(text, headers=headers)


def use_quick_fetches() -> None:
    """The consumers this process builds from now on fetch with FETCH_WAIT_MS (read by the
    worker's transport when it builds its consumer; this process only)."""
    transport.FETCH_MAX_WAIT_MS = FETCH_WAIT_MS


def main() -> int:
    use_quick_fetches()
    settings = Settings.from_env()
    asyncio.run(ensure_topics(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = create_app(settings, overrides={"producer_linger": PRODUCER_LINGER_S})
    sensor = FlowSensor()
    app.sensors.add(sensor)
    _install_step(app, sensor)
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.spinner = None
    worker.execute_from_commandline()  # exits the process when the worker stops
    return 0


if __name__ == "__main__":
    sys.exit(main())
