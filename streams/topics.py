"""Create the topics pillarwatch reads and writes, before any worker or producer uses them.

Faust declares only its internal topics. The input, dead-letter and summary topics must exist
with the configured partition count before a worker subscribes: a broker that auto-creates
them with its own default would make the tables' co-partitioning check fail at start.
"""

from __future__ import annotations

import asyncio

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
            await admin.create_topics(
                [NewTopic(n, settings.partitions, 1) for n in missing], timeout_ms=10_000
            )
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
