"""replay --produce, POST /twilio/events and the follower's metrics, against a real broker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from pillarwatch.broker import EmbeddedBroker, free_port
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


def _scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
            return str(reply.read().decode())
    except OSError:
        return ""


def test_follower_serves_agent_no_answer_per_queue(
    ingest_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    log = tmp_path / "queue_log"
    log.write_text((FIXTURES / "asterisk" / "queue_log.real").read_text())
    port = free_port()
    env = {
        **os.environ,
        "PILLARWATCH_BROKER": ingest_broker.url,
        "PILLARWATCH_TOPIC": unique_topic("events"),
        "PILLARWATCH_INGEST_DLQ_TOPIC": unique_topic("dlq"),
    }
    command = [sys.executable, "-m", "pillarwatch.ingest.cli", "queue-log", str(log)]
    follower = subprocess.Popen(
        [*command, "--metrics-port", str(port), "--position-file", str(tmp_path / "pos")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wanted = 'pillarwatch_ingest_agent_no_answer_total{queue="9000"} 3.0'
        deadline = time.monotonic() + 30  # bounds a hang; the assertion is on the text
        text = ""
        while wanted not in text and time.monotonic() < deadline and follower.poll() is None:
            time.sleep(0.2)
            text = _scrape(port)
        assert wanted in text
    finally:
        follower.terminate()
        follower.wait(timeout=20)
