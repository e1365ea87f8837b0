"""Where a stopped worker's tables stand: offsets in its RocksDB files against the changelogs.

Faust keeps, in each table partition's RocksDB database, the offset of the last changelog
record applied to it (`faust.stores.rocksdb.Store.offset_key`). A restart replays the
changelog after that offset, so `last offset - stored offset` per partition is what a
restart on that data dir has to read, and the whole changelog what an empty data dir has to.

The last offsets are found by reading each changelog to its end, not by asking the broker:
the embedded broker's ListOffsets reports the start of the last record batch + 1 as the end
offset (docs/deploy.md, "RocksDB"), which `reported_end` keeps for comparison.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import bootstrap_servers

__all__ = ["Changelog", "read_changelogs", "replay_needed", "stored_offsets"]

#: Faust's key for the stored offset in every table database (faust/stores/rocksdb.py).
OFFSET_KEY = b"__faust\0offset__"


def stored_offsets(data_dir: Path) -> dict[tuple[str, int], int | None]:
    """(table, partition) -> changelog offset stored in its RocksDB database (None: none yet).

    The worker must be stopped: RocksDB allows one process per database.
    """
    import rocksdict  # the rocksdb extra; only this function needs it

    out: dict[tuple[str, int], int | None] = {}
    for path in sorted(data_dir.rglob("*.db")):
        table, _, partition = path.stem.rpartition("-")
        db = rocksdict.Rdict(
            str(path),
            options=rocksdict.Options(raw_mode=True),
            access_type=rocksdict.AccessType.read_only(),
        )
        try:
            raw = db.get(OFFSET_KEY)
        finally:
            db.close()
        out[(table, int(partition))] = int(raw) if isinstance(raw, bytes) else None
    return out


@dataclass
class Changelog:
    """One changelog partition: records in it, its last offset, and the broker's end offset."""

    records: int
    last_offset: int
    reported_end: int


async def _read(
    settings: Settings, topics: list[str], idle_polls: int
) -> dict[TopicPartition, Changelog]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers(settings.broker),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
        **settings.kafka_client_options(),
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches the metadata of every topic
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out = {tp: Changelog(0, -1, 0) for tp in tps}
        idle = 0
        while idle < idle_polls:
            batches = await consumer.getmany(timeout_ms=1000, max_records=50_000)
            idle = 0 if batches else idle + 1
            for tp, messages in batches.items():
                out[tp].records += len(messages)
                out[tp].last_offset = max(out[tp].last_offset, messages[-1].offset)
        for tp, end in (await consumer.end_offsets(tps)).items():
            out[tp].reported_end = int(end)
        return out
    finally:
        await consumer.stop()


def read_changelogs(
    settings: Settings, tables: list[str], idle_polls: int = 2
) -> dict[tuple[str, int], Changelog]:
    """(table, partition) -> its changelog `<app id>-<table>-changelog`, read to the end."""
    topics = [f"{settings.app_id}-{t}-changelog" for t in tables]
    by_tp = asyncio.run(_read(settings, topics, idle_polls))
    prefix, suffix = f"{settings.app_id}-", "-changelog"
    return {(tp.topic[len(prefix) : -len(suffix)], tp.partition): c for tp, c in by_tp.items()}


def replay_needed(
    stored: dict[tuple[str, int], int | None],
    changelogs: dict[tuple[str, int], Changelog],
    as_reported: bool = False,
) -> int:
    """Changelog records after the stored offsets: what a restart on that data dir must apply.

    A partition with no database or no stored offset must be read from its start. With
    `as_reported`, the end is the broker's ListOffsets answer instead of the real last record:
    Faust reads to that end (its "highwater"), so on the embedded broker a partition whose
    stored offset is within the last record batch looks complete, and its tail is not read.
    """
    total = 0
    for key, log in changelogs.items():
        offset = stored.get(key)
        last = log.reported_end - 1 if as_reported else log.last_offset
        if offset is None:
            total += log.records if not as_reported else log.records - (log.last_offset - last)
        else:
            total += max(0, last - offset)
    return total
