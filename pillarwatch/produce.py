"""Producing events to the broker: simulated traffic, live or backfilled, and JSONL replay."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from pillarwatch.models.events import parse_ts
from pillarwatch.models.simulation import Simulation
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import bootstrap_servers, ensure_topics

__all__ = ["Traffic", "jsonl_records", "produce"]

Record = tuple[bytes | None, bytes]  # (key, value)


def _key_of(value: bytes) -> bytes | None:
    """The contact id of a JSON event, as the message key; None when it has none."""
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    cid = doc.get("contact_id") if isinstance(doc, dict) else None
    return cid.encode() if isinstance(cid, str) else None


def jsonl_records(path: Path) -> Iterator[Record]:
    """Every non-empty line of a JSONL file, as produced: bad lines too (they are dead-lettered)."""
    with open(path, "rb") as fh:
        for line in fh:
            value = line.rstrip(b"\r\n")
            if value:
                yield _key_of(value), value


def encode(event: dict[str, Any]) -> Record:
    """Contact events are keyed by contact id; agent events by agent id."""
    key = event.get("contact_id") or event["agent_id"]
    return key.encode(), orjson.dumps(event)


class Traffic:
    """Simulated traffic released in event-time order: nothing is sent before its time.

    A contact that arrived a minute ago has its queued and answered events sent now and its
    ended and wrapped events later, when the clock reaches them, as a real platform would.
    """

    def __init__(self, sim: Simulation, start: float, step: float = 5.0) -> None:
        self._sim = sim
        self._pending: list[tuple[float, int, dict[str, Any]]] = []
        self._generated_to = start
        self._step = step
        self._seq = 0

    def due(self, now: float) -> list[Record]:
        """Every event with ts <= now not released yet."""
        while self._generated_to <= now:
            for event in self._sim.events(self._generated_to, self._generated_to + self._step):
                self._seq += 1
                heapq.heappush(self._pending, (parse_ts(event["ts"]), self._seq, event))
            self._generated_to += self._step
        out = []
        while self._pending and self._pending[0][0] <= now:
            out.append(encode(heapq.heappop(self._pending)[2]))
        return out

    async def live(self, poll: float = 0.2) -> AsyncIterator[list[Record]]:
        """Forever: each event when the wall clock reaches its ts."""
        while True:
            batch = self.due(time.time())
            if batch:
                yield batch
            await asyncio.sleep(poll)


async def produce(
    settings: Settings,
    records: Iterable[Record] | AsyncIterator[list[Record]],
    rate: float | None = None,
    producer: AIOKafkaProducer | None = None,
) -> int:
    """Send records to the input topic; `rate` caps events/s. Returns how many were sent."""
    own = producer is None
    if producer is None:
        await ensure_topics(settings)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers(settings.broker),
            linger_ms=5,
            max_batch_size=256 * 1024,
            acks="all",
            enable_idempotence=False,
            **settings.kafka_client_options(),
        )
        await producer.start()
    sent = 0
    started = time.monotonic()
    try:
        if isinstance(records, AsyncIterator):
            async for batch in records:
                for key, value in batch:
                    await producer.send(settings.topic, value, key=key)
                    sent += 1
        else:
            for key, value in records:
                await producer.send(settings.topic, value, key=key)
                sent += 1
                if rate and sent % 100 == 0:
                    ahead = sent / rate - (time.monotonic() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
        await producer.flush()
    finally:
        if own:
            await producer.stop()
    return sent
