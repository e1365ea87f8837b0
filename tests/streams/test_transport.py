"""The worker's Kafka consumer fetches with a short wait (streams/transport.py).

Faust hard-codes `fetch_max_wait_ms=1500`; on a broker that holds a fetch for the whole wait
that adds up to 1.5 s to every hop (docs/performance.md, "Latency").
"""

from __future__ import annotations

import asyncio
from typing import Any

from pillarwatch.streams import transport
from pillarwatch.streams.app import create_app
from pillarwatch.streams.settings import Settings


def test_worker_consumer_fetches_with_the_short_wait() -> None:
    app = create_app(Settings(broker="kafka://127.0.0.1:9"))
    assert isinstance(app.transport, transport.Transport)

    async def build() -> Any:  # aiokafka wants a running loop
        thread = app.consumer._new_consumer_thread()
        return thread._create_worker_consumer(app.transport)

    consumer = asyncio.run(build())
    assert consumer._fetch_max_wait_ms == transport.FETCH_MAX_WAIT_MS < 1500


def test_the_backtest_worker_fetches_with_its_shorter_wait(monkeypatch: Any) -> None:
    # The backtest pauses at every step: each hop's fetch wait is paid per step, so its
    # worker must not inherit the live worker's 100 ms (it did, in session 4's runs).
    from pillarwatch.backtest.worker import FETCH_WAIT_MS, use_quick_fetches

    monkeypatch.setattr(transport, "FETCH_MAX_WAIT_MS", transport.FETCH_MAX_WAIT_MS)
    use_quick_fetches()
    app = create_app(Settings(broker="kafka://127.0.0.1:9"))

    async def build() -> Any:
        return app.consumer._new_consumer_thread()._create_worker_consumer(app.transport)

    assert asyncio.run(build())._fetch_max_wait_ms == FETCH_WAIT_MS < 100
