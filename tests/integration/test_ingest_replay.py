"""`pillarwatch ingest replay --produce` and POST /twilio/events against a real embedded broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.ingest.cli import main
from pillarwatch.ingest.http import make_app
from pillarwatch.ingest.replay import replay
from pillarwatch.ingest.settings import IngestSettings
from pillarwatch.models.sources import MappingOptions
from pillarwatch.models.sources.twilio_event_streams import map_event
from tests.integration._ingest_support import read_topic, unique_topic
from tests.unit._fixtures import FIXTURES, load_json

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def ingest_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as broker:
        yield broker


def test_replay_produces_mapped_events_and_dead_letters(
    ingest_broker: EmbeddedBroker,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic, dlq = unique_topic("events"), unique_topic("dlq")
    monkeypatch.setenv("PILLARWATCH_BROKER", ingest_broker.url)
    monkeypatch.setenv("PILLARWATCH_TOPIC", topic)
    monkeypatch.setenv("PILLARWATCH_INGEST_DLQ_TOPIC", dlq)
    log = tmp_path / "queue_log"
    real = (FIXTURES / "asterisk" / "queue_log.real").read_text()
    log.write_text(real + "not-a-time|1.1|q|NONE|CONNECT|1|2|3\n")
    assert main(["replay", "--source", "queue-log", str(log), "--produce"]) == 0
    assert "produced: 3 events" in capsys.readouterr().out
    _, expected, _ = replay("queue-log", log, MappingOptions())
    records = asyncio.run(read_topic(ingest_broker.bootstrap, topic, len(expected)))
    assert sorted(r.event["event_id"] for r in records) == sorted(e["event_id"] for e in expected)
    letters = asyncio.run(read_topic(ingest_broker.bootstrap, dlq, 1))
    assert [(r.headers["pillarwatch.reason"], r.value) for r in letters] == [
        (b"bad_timestamp", b"not-a-time|1.1|q|NONE|CONNECT|1|2|3\n")
    ]


@pytest.mark.asyncio(loop_scope="function")
async def test_event_streams_batch_reaches_the_topic(ingest_broker: EmbeddedBroker) -> None:
    settings = IngestSettings(
        broker=ingest_broker.url,
        topic=unique_topic("events"),
        dlq_topic=unique_topic("dlq"),
        send_timeout_seconds=3.0,
    )
    batch = load_json("twilio_event_streams", "batch.json")
    async with TestClient(TestServer(make_app(settings))) as client:
        response = await client.post("/twilio/events", data=json.dumps(batch))
        assert response.status == 200, await response.text()
    expected = [e for item in batch for e in map_event(item).events]
    records = await read_topic(settings.bootstrap, settings.topic, len(expected))
    assert sorted(r.event["event_id"] for r in records) == sorted(e["event_id"] for e in expected)
