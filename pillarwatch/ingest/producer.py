"""Producing mapped events and dead letters to Kafka, acknowledged by the broker or failed.

acks=all and a bounded wait: `send` returns only once every record is acknowledged, and
raises BrokerUnavailable when that does not happen within the send timeout, so the caller
can answer 503 (HTTP) or keep its file position (queue_log) and try again later.
A record that was sent but not acknowledged in time may still land: downstream dedupes it
by its deterministic event_id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from pillarwatch.models.sources.common import Event

__all__ = ["BrokerUnavailable", "DeadLetter", "EventProducer"]

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge in time (down, frozen, unreachable)."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Raw input that could not be mapped, with its reason (a short code) and source.

    Headers match the contacts agent's dead letters: pillarwatch.reason, .detail, .source
    (here "ingest/<platform>").
    """

    raw: bytes
    reason: str
    source: str
    detail: str = ""


class EventProducer:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        dlq_topic: str,
        send_timeout: float = 5.0,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        # aiokafka security_protocol/sasl_*/ssl_context from PILLARWATCH_BROKER_* (the same
        # settings the worker uses: streams/kafka_security.py).
        self.security = dict(security or {})
        self.topic = topic
        self.dlq_topic = dlq_topic
        self.send_timeout = send_timeout
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _ensure_started(self) -> AIOKafkaProducer:
        # Started lazily, so the receiver can come up (and answer 503) while the broker is down.
        async with self._lock:
            if self._producer is not None:
                return self._producer
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks="all",
                linger_ms=5,
                request_timeout_ms=max(1000, int(self.send_timeout * 1000)),
                retry_backoff_ms=100,
                **self.security,
            )
            try:
                await asyncio.wait_for(producer.start(), self.send_timeout)
            except (TimeoutError, KafkaError, OSError) as exc:
                await _quiet_stop(producer)
                raise BrokerUnavailable(f"cannot connect to {self.bootstrap}") from exc
            self._producer = producer
            return producer

    async def send(self, events: Sequence[Event], dead: Sequence[DeadLetter] = ()) -> None:
        """Produce all, then wait for every acknowledgement (bounded)."""
        if not events and not dead:
            return
        producer = await self._ensure_started()
        try:
            async with asyncio.timeout(self.send_timeout):
                futures = [
                    await producer.send(
                        self.topic,
                        value=orjson.dumps(event),
                        key=str(event["contact_id"]).encode(),
                    )
                    for event in events
                ]
                futures += [
                    await producer.send(
                        self.dlq_topic,
                        value=letter.raw,
                        headers=[
                            ("pillarwatch.reason", letter.reason.encode()),
                            ("pillarwatch.detail", letter.detail.encode()[:1024]),
                            ("pillarwatch.source", f"ingest/{letter.source}".encode()),
                        ],
                    )
                    for letter in dead
                ]
                await asyncio.gather(*futures)
        except (TimeoutError, KafkaError) as exc:
            log.warning("broker did not acknowledge %d records: %s", len(events) + len(dead), exc)
            raise BrokerUnavailable("broker did not acknowledge in time") from exc

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _quiet_stop(producer)


async def _quiet_stop(producer: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 5.0)
    except (TimeoutError, KafkaError, OSError):
        log.warning("producer did not stop cleanly")
