"""Platform payloads through the pipeline: webhook or queue_log -> broker -> worker -> measures."""

from __future__ import annotations

import asyncio
import urllib.parse
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.ingest.http import make_app
from pillarwatch.ingest.producer import EventProducer
from pillarwatch.ingest.queue_log_follower import Position, QueueLogFollower
from pillarwatch.ingest.settings import IngestSettings
from pillarwatch.ingest.twilio_signature import compute_signature
from tests.support.worker import WorkerProcess, value, wait_for, worker_env
from tests.unit._fixtures import FIXTURES

pytestmark = pytest.mark.integration

TOKEN = "pipeline-test-token"
PUBLIC = "https://ingest.example.com"
ABANDONED_TASK = "WT77777777777777777777777777777777"


def _form(name: str, **changes: str) -> str:
    body = (FIXTURES / "twilio_taskrouter" / name).read_text().strip()
    pairs = dict(urllib.parse.parse_qsl(body, keep_blank_values=True)) | changes
    return urllib.parse.urlencode(pairs)


async def _post_twilio(settings: IngestSettings, bodies: list[str]) -> list[int]:
    statuses = []
    async with TestClient(TestServer(make_app(settings))) as client:
        for body in bodies:
            pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
            signature = compute_signature(PUBLIC + "/twilio/taskrouter", pairs, TOKEN)
            response = await client.post(
                "/twilio/taskrouter",
                data=body,
                headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            statuses.append(response.status)
    return statuses


def _outcomes(worker: WorkerProcess, queue: str) -> dict[str, float | None]:
    samples = worker.samples() or {}
    return {
        outcome: value(
            samples, "pillarwatch_contacts_total", queue=queue, channel="voice", outcome=outcome
        )
        for outcome in ("answered", "abandoned")
    }


def test_twilio_webhooks_reach_the_measures(broker: EmbeddedBroker, tmp_path: Path) -> None:
    worker = WorkerProcess(worker_env(broker, tmp_path, "ingest-twilio"), tmp_path / "w.log")
    settings = IngestSettings(
        broker=broker.url,
        topic=worker.settings.topic,
        twilio_auth_token=TOKEN,
        public_url=PUBLIC,
    )
    # One answered task, and one that waited 88 s and was canceled (an abandon, not short).
    bodies = [
        _form("task_created.form"),
        _form("reservation_accepted.form"),
        _form("task_completed.form"),
        _form("task_created.form", TaskSid=ABANDONED_TASK, TaskAttributes="{}"),
        _form("task_canceled.form", TaskAttributes="{}"),
    ]
    assert asyncio.run(_post_twilio(settings, bodies)) == [204] * 5
    worker.start()
    try:
        want = {"answered": 1.0, "abandoned": 1.0}
        got = wait_for(lambda: _outcomes(worker, "Billing") == want, timeout=120, interval=0.2)
        assert got, f"{_outcomes(worker, 'Billing')}; log: {worker.log.read_text()[-1500:]}"
        samples = worker.samples()
        assert samples is not None
        # The answered task waited 18 s: one observation in the wait histogram, sum 18.
        wait_sum = value(samples, "pillarwatch_wait_seconds_sum", queue="Billing", channel="voice")
        assert wait_sum == 18.0
    finally:
        worker.stop()


async def _follow_until_done(settings: IngestSettings, log: Path, position: Path) -> None:
    producer = EventProducer(settings.bootstrap, settings.topic, settings.dlq_topic, 5.0)
    follower = QueueLogFollower(log, producer, position, poll_seconds=0.05)
    task = asyncio.create_task(follower.run())
    stat = log.stat()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while Position.load(position) != Position(stat.st_ino, stat.st_size):
        assert loop.time() < deadline, "follower did not reach the end of the file"
        await asyncio.sleep(0.05)
    follower.stop()
    await task
    await producer.stop()


def test_queue_log_reaches_the_measures(broker: EmbeddedBroker, tmp_path: Path) -> None:
    worker = WorkerProcess(worker_env(broker, tmp_path, "ingest-qlog"), tmp_path / "w.log")
    settings = IngestSettings(broker=broker.url, topic=worker.settings.topic)
    log = tmp_path / "queue_log"
    log.write_bytes((FIXTURES / "asterisk" / "queue_log").read_bytes())
    asyncio.run(_follow_until_done(settings, log, tmp_path / "position"))
    worker.start()
    try:
        support = {"answered": 2.0, "abandoned": 1.0}
        sales = {"answered": 0.0, "abandoned": 1.0}  # a seen queue starts every outcome at 0
        got = wait_for(
            lambda: _outcomes(worker, "support") == support and _outcomes(worker, "sales") == sales,
            timeout=120,
            interval=0.2,
        )
        assert got, (
            f"support {_outcomes(worker, 'support')}, sales {_outcomes(worker, 'sales')}; "
            f"log: {worker.log.read_text()[-1500:]}"
        )
        samples = worker.samples()
        assert samples is not None
        # Waits of the answered calls: 18 s and 5 s.
        wait_sum = value(samples, "pillarwatch_wait_seconds_sum", queue="support", channel="voice")
        assert wait_sum == 23.0
    finally:
        worker.stop()
