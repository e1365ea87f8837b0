"""The webhook receiver against a real embedded broker: webhook -> broker, and bad input."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator

import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pillarwatch.broker import EmbeddedBroker, free_port
from pillarwatch.ingest.http import make_app
from pillarwatch.ingest.settings import IngestSettings
from pillarwatch.ingest.twilio_signature import compute_signature
from pillarwatch.models.sources import amazon_connect, genesys_cloud, twilio_taskrouter
from tests.integration._ingest_support import read_topic, unique_topic
from tests.unit._fixtures import FIXTURES, load_form, load_json

pytestmark = [pytest.mark.integration]
# The async tests each run on a loop of their own; the CLI test below is synchronous.
on_own_loop = pytest.mark.asyncio(loop_scope="function")

Client = TestClient[web.Request, web.Application]
TOKEN = "test-auth-token-not-a-secret"
PUBLIC = "https://ingest.example.com"


@pytest.fixture(scope="module")
def ingest_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as broker:
        yield broker


@pytest.fixture
def settings(ingest_broker: EmbeddedBroker) -> IngestSettings:
    return IngestSettings(
        broker=ingest_broker.url,
        topic=unique_topic("events"),
        dlq_topic=unique_topic("dlq"),
        max_body_bytes=64 * 1024,
        send_timeout_seconds=3.0,
        twilio_auth_token=TOKEN,
        public_url=PUBLIC,
    )


@pytest_asyncio.fixture
async def client(settings: IngestSettings) -> AsyncIterator[Client]:
    async with TestClient(TestServer(make_app(settings))) as test_client:
        yield test_client


def _signed(body: str, path: str = "/twilio/taskrouter") -> dict[str, str]:
    from urllib.parse import parse_qsl

    signature = compute_signature(PUBLIC + path, parse_qsl(body, keep_blank_values=True), TOKEN)
    return {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _twilio_body(name: str) -> str:
    return (FIXTURES / "twilio_taskrouter" / name).read_text().strip()


@on_own_loop
async def test_twilio_webhook_events_reach_the_topic_keyed_by_contact(
    client: Client, settings: IngestSettings
) -> None:
    names = ["task_created.form", "reservation_accepted.form", "task_canceled.form"]
    for name in names:
        body = _twilio_body(name)
        response = await client.post("/twilio/taskrouter", data=body, headers=_signed(body))
        assert response.status == 204, await response.text()
    expected = [e for n in names for e in twilio_taskrouter.map_event(load_form(n)).events]
    records = await read_topic(settings.bootstrap, settings.topic, len(expected))
    assert sorted((r.event["event_id"], r.key) for r in records) == sorted(
        (e["event_id"], str(e["contact_id"]).encode()) for e in expected
    )
    assert sorted(map(json.dumps, (r.event for r in records))) == sorted(map(json.dumps, expected))


@on_own_loop
async def test_connect_and_genesys_webhooks_reach_the_topic(
    client: Client, settings: IngestSettings
) -> None:
    queued = load_json("amazon_connect", "queued.json")
    record = load_json("amazon_connect", "contact_record.json")
    genesys = load_json("genesys_cloud", "acd_end_answered.eventbridge.json")
    assert (await client.post("/aws/connect", json=queued)).status == 200
    # A batch of records in one request is mapped item by item.
    response = await client.post("/aws/connect", json=[record])
    assert response.status == 200
    assert (await response.json())["events"] == 6
    assert (await client.post("/genesys", json=genesys)).status == 200
    expected = (
        amazon_connect.map_event(queued).events
        + amazon_connect.map_event(record).events
        + genesys_cloud.map_event(genesys).events
    )
    records = await read_topic(settings.bootstrap, settings.topic, len(expected))
    assert sorted(map(json.dumps, (r.event for r in records))) == sorted(map(json.dumps, expected))


@on_own_loop
async def test_bad_twilio_signature_is_403_and_produces_nothing(
    client: Client, settings: IngestSettings
) -> None:
    body = _twilio_body("task_created.form")
    forged = {**_signed(body), "X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    assert (await client.post("/twilio/taskrouter", data=body, headers=forged)).status == 403
    tampered = body.replace("Billing", "Sales")
    signed_for_original = _signed(body)
    response = await client.post("/twilio/taskrouter", data=tampered, headers=signed_for_original)
    assert response.status == 403
    # Then one good request: the topic must hold its event and nothing from the two above.
    good = _twilio_body("reservation_accepted.form")
    assert (await client.post("/twilio/taskrouter", data=good, headers=_signed(good))).status == 204
    records = await read_topic(settings.bootstrap, settings.topic, 1)
    assert [r.event["type"] for r in records] == ["contact.answered"]
    assert await read_topic(settings.bootstrap, settings.dlq_topic, 0, wait_seconds=0) == []


@on_own_loop
async def test_oversize_body_is_413(client: Client) -> None:
    big = {"padding": "x" * (70 * 1024)}
    assert (await client.post("/aws/connect", json=big)).status == 413
    assert (await client.post("/genesys", data=orjson.dumps(big))).status == 413


@on_own_loop
async def test_malformed_payload_is_400_and_dead_lettered_with_reason(
    client: Client, settings: IngestSettings
) -> None:
    not_json = b'{"detail-type": "Amazon Connect Contact Event", "detail": '
    response = await client.post("/aws/connect", data=not_json)
    assert response.status == 400
    broken_raw = (
        b'{"detail-type": "Amazon Connect Contact Event", "detail": {"eventType": "QUEUED"}}'
    )
    assert (await client.post("/aws/connect", data=broken_raw)).status == 400
    records = await read_topic(settings.bootstrap, settings.dlq_topic, 2)
    # The two records may sit on different partitions: Kafka orders only within one.
    assert sorted((r.value, r.headers) for r in records) == sorted(
        [
            (
                not_json,
                {
                    "pillarwatch.reason": b"unparsable",
                    "pillarwatch.detail": b"body does not parse",
                    "pillarwatch.source": b"ingest/connect",
                },
            ),
            # The raw bytes exactly as sent, not a re-serialisation.
            (
                broken_raw,
                {
                    "pillarwatch.reason": b"missing_field",
                    "pillarwatch.detail": b"detail.contactId or detail.eventType",
                    "pillarwatch.source": b"ingest/connect",
                },
            ),
        ]
    )
    # A payload pillarwatch deliberately does not use is accepted, not dead-lettered.
    initiated = load_json("amazon_connect", "initiated.json")
    response = await client.post("/aws/connect", json=initiated)
    assert response.status == 200
    assert (await response.json())["unmapped"] == {"ignored_event_type": 1}


@on_own_loop
async def test_api_key_is_required_when_configured(settings: IngestSettings) -> None:
    keyed = dataclasses.replace(settings, api_key="k-123")
    async with TestClient(TestServer(make_app(keyed))) as client:
        queued = load_json("amazon_connect", "queued.json")
        assert (await client.post("/aws/connect", json=queued)).status == 403
        ok = await client.post("/aws/connect", json=queued, headers={"X-Pillarwatch-Key": "k-123"})
        assert ok.status == 200


@on_own_loop
async def test_broker_unreachable_is_retryable_503(settings: IngestSettings) -> None:
    closed = dataclasses.replace(
        settings, broker=f"kafka://127.0.0.1:{free_port()}", send_timeout_seconds=1.0
    )
    async with TestClient(TestServer(make_app(closed))) as client:
        response = await client.post("/genesys", json=load_json("genesys_cloud", "acd_start.json"))
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"


@on_own_loop
async def test_frozen_broker_is_503_then_accepted_after_thaw_without_loss() -> None:
    with EmbeddedBroker() as broker:
        settings = IngestSettings(
            broker=broker.url,
            topic=unique_topic("events"),
            send_timeout_seconds=1.5,
            twilio_auth_token=TOKEN,
            public_url=PUBLIC,
        )
        queued = load_json("amazon_connect", "queued.json")
        answered = load_json("amazon_connect", "connected_to_agent.json")
        async with TestClient(TestServer(make_app(settings))) as client:
            assert (await client.post("/aws/connect", json=queued)).status == 200
            broker.freeze()
            try:
                assert (await client.post("/aws/connect", json=answered)).status == 503
            finally:
                broker.thaw()
            # The platform retries: this time the broker acknowledges.
            assert (await client.post("/aws/connect", json=answered)).status == 200
        records = await read_topic(broker.bootstrap, settings.topic, 2)
        # At least once: the 503'd record may also have landed; its event_id dedupes it.
        assert {r.event["event_id"] for r in records} == {
            "connect:c-0001:contact.queued",
            "connect:c-0001:contact.answered",
        }


def test_cli_serves_on_loopback_and_stops_on_sigterm(ingest_broker: EmbeddedBroker) -> None:
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "PILLARWATCH_BROKER": ingest_broker.url,
        "PILLARWATCH_TOPIC": unique_topic("events"),
        "PILLARWATCH_INGEST_PORT": str(port),
        "PILLARWATCH_INGEST_METRICS_PORT": str(metrics_port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "pillarwatch.ingest.cli", "http"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == (
            f"pillarwatch ingest: listening on http://127.0.0.1:{port}; "
            f"metrics on http://127.0.0.1:{metrics_port}/metrics"
        )
        body = (FIXTURES / "genesys_cloud" / "acd_start.json").read_bytes()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/genesys",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert json.loads(response.read())["events"] == 1
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        with urllib.request.urlopen(metrics_url, timeout=30) as response:
            assert b'pillarwatch_ingest_requests_total{outcome="accepted"} 1.0' in response.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
