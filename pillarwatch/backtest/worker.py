"""The backtest's worker: the same app, agents and tables as `pillarwatch worker`, plus what a
replay paused at every step of event time needs.

- A short consumer fetch wait. Faust asks the broker to hold each fetch up to 1.5 s for new
  data (a value it hard-codes) and the embedded broker holds it that long even when data
  arrives meanwhile: a live stream never notices, a paused replay would wait up to 1.5 s per
  hop per step.
- `GET /backtest/settle?input=N`: answers once the worker has read N input messages and every
  message it sent to a topic it consumes itself (summaries, re-keyed topics) has been read
  and fully processed. Then /metrics shows event time T and nothing is in flight. The counts
  come from a Faust sensor, so the probe costs microseconds, not a /metrics scrape.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from typing import Any

import aiokafka
import faust
from faust.web import Request, Response, View
from faust.worker import Worker

from pillarwatch.streams.app import PillarwatchApp, create_app
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import ensure_topics

__all__ = ["FETCH_WAIT_MS", "FlowSensor", "main"]

FETCH_WAIT_MS = 5
SETTLE_TIMEOUT = 10.0


class _QuickFetchConsumer(aiokafka.AIOKafkaConsumer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["fetch_max_wait_ms"] = FETCH_WAIT_MS
        super().__init__(*args, **kwargs)


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


def _install_settle(app: PillarwatchApp, sensor: FlowSensor) -> None:
    @app.page("/backtest/settle")  # type: ignore[untyped-decorator]
    async def settle(self: View, request: Request) -> Response:
        expected = int(request.query.get("input", "0"))
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not sensor.drained(app, expected):
            if time.monotonic() > deadline:
                return self.json(
                    {
                        "settled": False,
                        "progress": sum(sensor.received.values()),
                        "received": dict(sensor.received),
                        "sent": dict(sensor.sent),
                        "active": sensor.active,
                        "consumed": sorted(_consumed(app)),
                    }
                )
            await asyncio.sleep(0.001)
        return self.json({"settled": True})


def main() -> int:
    # Faust's driver builds its consumer as `aiokafka.AIOKafkaConsumer(...)`: this process only.
    aiokafka.AIOKafkaConsumer = _QuickFetchConsumer
    settings = Settings.from_env()
    asyncio.run(ensure_topics(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = create_app(settings)
    sensor = FlowSensor()
    app.sensors.add(sensor)
    _install_settle(app, sensor)
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.spinner = None
    worker.execute_from_commandline()  # exits the process when the worker stops
    return 0


if __name__ == "__main__":
    sys.exit(main())
