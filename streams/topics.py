"""Create the topics pillarwatch reads and writes, before any worker or producer uses them.

Faust declares only its internal topics. The input, dead-letter and summary topics must exist
with the configured partition count before a worker subscribes: a broker that auto-creates
them with its own default would make the tables' co-partitioning check fail at start.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from pillarwatch.streams.settings import Settings, SettingsError

__all__ = ["bootstrap_servers", "ensure_topics"]


def bootstrap_servers(broker_url: str) -> list[str]:
    """`kafka://a:9092;kafka://b:9092` -> ["a:9092", "b:9092"]."""
    return [url.partition("://")[2] for url in broker_url.split(";")]


async def ensure_topics(settings: Settings, timeout: float = 30.0) -> None:
    """Create missing topics; fail clearly when an existing one has other partitions."""
    names = [settings.topic, settings.dlq_topic, settings.summaries_topic]
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers(settings.broker), **settings.kafka_client_options()
    )
    try:
        await asyncio.wait_for(admin.start(), timeout)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise SettingsError(
            f"PILLARWATCH_BROKER={settings.broker}: cannot reach the broker ({exc!r})"
        ) from None
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        n,
                        settings.partitions,
                        settings.replication_factor,
                        topic_configs=settings.topic_configs(),
                    )
                    for n in missing
                ],
                timeout_ms=10_000,
            )
            _raise_on_refusal(response.to_object(), settings)
        present = [n for n in names if n in existing]
        if present:
            for desc in await admin.describe_topics(present):
                count = len(desc["partitions"])
                if count != settings.partitions:
                    raise SettingsError(
                        f"PILLARWATCH_PARTITIONS={settings.partitions}, but topic "
                        f"{desc['topic']!r} has {count} partitions: set PILLARWATCH_PARTITIONS="
                        f"{count}, or recreate the topic"
                    )
    finally:
        await admin.close()


# Kafka error codes a cluster answers CreateTopics with when it refuses our sizing.
_TOPIC_EXISTS = 36
_SIZING_ERRORS = {
    37: "partitions",
    38: "replication factor",
    39: "replica assignment",
    40: "config",
}


def _raise_on_refusal(response: dict[str, Any], settings: Settings) -> None:
    """aiokafka returns per-topic error codes instead of raising: turn them into a clear error."""
    for item in response.get("topic_errors", response.get("topics", [])):
        code = int(item.get("error_code", 0))
        if code in (0, _TOPIC_EXISTS):
            continue
        what = _SIZING_ERRORS.get(code, f"error code {code}")
        raise SettingsError(
            f"the broker refused to create topic {item.get('topic')!r} ({what}: "
            f"{item.get('error_message') or 'no message'}); check PILLARWATCH_REPLICATION_FACTOR="
            f"{settings.replication_factor}, PILLARWATCH_MIN_INSYNC_REPLICAS={settings.min_isr} "
            f"and PILLARWATCH_PARTITIONS={settings.partitions} against the cluster's limits"
        )
