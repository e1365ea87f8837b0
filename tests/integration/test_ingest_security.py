"""The receiver's gate against a real broker: each attack refused, counted, nothing produced.

Authentication per source (shared key or HMAC), non-ASCII credentials, the item cap, the
per-source rate limit, /metrics off the webhook port, and a route added to the table getting
all of it without further code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator

import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.ingest import http as ingest_http
from pillarwatch.ingest import settings as ingest_settings
from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.ingest.routes import ROUTES, Auth, Body, Route
from pillarwatch.ingest.settings import IngestSettings, IngestSettingsError
from pillarwatch.models.sources import genesys_cloud
from tests.integration._ingest_support import read_topic, unique_topic
from tests.support.ingest_probe import RecordingProducer, raw_request
from tests.unit._fixtures import load_json

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="function")]

Client = TestClient[web.Request, web.Application]
CONNECT_KEY = "connect-key-not-a-secret"
GENESYS_HMAC = "genesys-hmac-not-a-secret"


@dataclasses.dataclass
class Receiver:
    client: Client
    producer: RecordingProducer
    metrics: IngestMetrics
    settings: IngestSettings

    @property
    def port(self) -> int:
        port = self.client.port
        assert port is not None
        return port

    def refused(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "pillarwatch_ingest_requests_total", {"outcome": outcome}
        )
        return value or 0.0


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
        send_timeout_seconds=5.0,
        twilio_auth_token="twilio-token-not-a-secret",
        api_keys={"connect": CONNECT_KEY},
        hmac_secrets={"genesys": GENESYS_HMAC},
    )


async def _receiver(settings: IngestSettings) -> AsyncIterator[Receiver]:
    producer = RecordingProducer(
        settings.bootstrap, settings.topic, settings.dlq_topic, settings.send_timeout_seconds
    )
    metrics = IngestMetrics()
    app = ingest_http.make_app(settings, producer=producer, metrics=metrics)
    async with TestClient(TestServer(app)) as client:
        yield Receiver(client, producer, metrics, settings)


@pytest_asyncio.fixture
async def receiver(settings: IngestSettings) -> AsyncIterator[Receiver]:
    async for r in _receiver(settings):
        yield r


def _signature(body: bytes, secret: str = GENESYS_HMAC) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def _nothing_on_the_topics(settings: IngestSettings) -> None:
    assert await read_topic(settings.bootstrap, settings.topic, 0, wait_seconds=0) == []
    assert await read_topic(settings.bootstrap, settings.dlq_topic, 0, wait_seconds=0) == []


async def test_connect_without_the_right_key_is_403_and_produces_nothing(
    receiver: Receiver,
) -> None:
    queued = orjson.dumps(load_json("amazon_connect", "queued.json"))
    for headers in ({}, {"X-Pillarwatch-Key": "wrong"}, {"X-Pillarwatch-Key": GENESYS_HMAC}):
        response = await receiver.client.post("/aws/connect", data=queued, headers=headers)
        assert response.status == 403
    assert receiver.producer.sends == []
    assert receiver.refused("unauthorized") == 3
    await _nothing_on_the_topics(receiver.settings)
    ok = await receiver.client.post(
        "/aws/connect", data=queued, headers={"X-Pillarwatch-Key": CONNECT_KEY}
    )
    assert ok.status == 200
    records = await read_topic(receiver.settings.bootstrap, receiver.settings.topic, 1)
    assert [r.event["type"] for r in records] == ["contact.queued"]


async def test_genesys_needs_a_valid_body_hmac(receiver: Receiver) -> None:
    body = orjson.dumps(load_json("genesys_cloud", "acd_start.json"))
    other = body.replace(b"acd", b"xyz")
    for headers in (
        {},
        {"X-Pillarwatch-Signature": _signature(other)},  # signed for another body
        {"X-Pillarwatch-Signature": _signature(body, "guessed")},
        {"X-Pillarwatch-Signature": "sha256=zz"},
        {"X-Pillarwatch-Key": CONNECT_KEY},  # connect's key does not open genesys
    ):
        assert (await receiver.client.post("/genesys", data=body, headers=headers)).status == 403
    assert receiver.producer.sends == []
    signed = {"X-Pillarwatch-Signature": _signature(body)}
    assert (await receiver.client.post("/genesys", data=body, headers=signed)).status == 200
    assert receiver.producer.sends == [(1, 0)]


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("/aws/connect", "X-Pillarwatch-Key: ключ-😀"),
        ("/genesys", "X-Pillarwatch-Signature: sha256=é"),
        ("/twilio/taskrouter", "X-Twilio-Signature: ÄÖÜ=="),
    ],
)
async def test_non_ascii_credentials_are_403_not_a_crash(
    receiver: Receiver, path: str, header: str
) -> None:
    # Before: hmac.compare_digest on non-ASCII str raised TypeError, a 500 with a traceback.
    name, _, value = header.partition(": ")
    response = await raw_request(
        receiver.port, path, [(name.encode(), value.encode("utf-8"))], b'{"a": 1}'
    )
    assert response.status == 403
    assert receiver.producer.sends == []
    assert receiver.refused("unauthorized") == 1


async def test_a_huge_batch_is_refused_whole_before_any_dead_letter(receiver: Receiver) -> None:
    # The request: 900 KB of `[{},{},...]` made 300,000 dead letters.
    body = b"[" + b",".join([b"{}"] * 300_000) + b"]"
    assert len(body) < receiver.settings.max_body_bytes
    headers = {"X-Pillarwatch-Key": CONNECT_KEY}
    response = await receiver.client.post("/aws/connect", data=body, headers=headers)
    assert response.status == 413
    assert "PILLARWATCH_INGEST_MAX_ITEMS" in (await response.json())["error"]
    assert receiver.producer.sends == []
    assert receiver.refused("too_many_items") == 1
    await _nothing_on_the_topics(receiver.settings)


async def test_rate_limit_is_per_source_and_spent_only_by_authenticated_requests(
    settings: IngestSettings,
) -> None:
    # A rate so low no token comes back during the test: only the burst of 2 is available.
    slow = dataclasses.replace(settings, rate_per_second=0.001, rate_burst=2)
    async for receiver in _receiver(slow):
        queued = orjson.dumps(load_json("amazon_connect", "queued.json"))
        for _ in range(5):  # a stranger's flood must not use up Connect's allowance
            assert (await receiver.client.post("/aws/connect", data=queued)).status == 403
        keyed = {"X-Pillarwatch-Key": CONNECT_KEY}
        for _ in range(2):
            response = await receiver.client.post("/aws/connect", data=queued, headers=keyed)
            assert response.status == 200
        limited = await receiver.client.post("/aws/connect", data=queued, headers=keyed)
        assert limited.status == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert receiver.refused("rate_limited") == 1
        # Genesys has its own bucket.
        body = orjson.dumps(load_json("genesys_cloud", "acd_start.json"))
        signed = {"X-Pillarwatch-Signature": _signature(body)}
        assert (await receiver.client.post("/genesys", data=body, headers=signed)).status == 200
        assert receiver.producer.sends == [(1, 0), (1, 0), (1, 0)]


async def test_metrics_are_not_served_on_the_webhook_port(receiver: Receiver) -> None:
    assert (await receiver.client.get("/metrics")).status in (404, 405)
    await receiver.client.post("/aws/connect", data=b"{}")
    async with TestClient(TestServer(ingest_http.make_metrics_app(receiver.metrics))) as m:
        text = await (await m.get("/metrics")).text()
    assert 'pillarwatch_ingest_requests_total{outcome="unauthorized"} 1.0' in text


async def test_a_route_added_to_the_table_gets_auth_cap_and_limit(
    settings: IngestSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = Route(
        "/example/events", "example", Auth.SHARED_SECRET, Body.JSON, genesys_cloud.map_event
    )
    monkeypatch.setattr(ingest_settings, "ROUTES", (*ROUTES, added))
    # Not configured: refused on a reachable address, naming the new source's variable.
    with pytest.raises(IngestSettingsError, match="PILLARWATCH_INGEST_EXAMPLE_API_KEY"):
        dataclasses.replace(settings, host="0.0.0.0").check_exposure()
    env = {"PILLARWATCH_BROKER": settings.broker, "PILLARWATCH_INGEST_EXAMPLE_API_KEY": "ex-key"}
    from_env = IngestSettings.from_env(env)
    assert from_env.api_keys == {"example": "ex-key"}
    gated = dataclasses.replace(
        settings,
        api_keys={**settings.api_keys, "example": "ex-key"},
        max_items=3,
        rate_per_second=0.001,
        rate_burst=2,
    )
    async for receiver in _receiver(gated):
        one = orjson.dumps(load_json("genesys_cloud", "acd_start.json"))
        many = b"[" + b",".join([one] * 4) + b"]"
        key = {"X-Pillarwatch-Key": "ex-key"}
        client = receiver.client
        assert (await client.post("/example/events", data=one)).status == 403
        # Burst 2: the refused batch spends one token, a good request the other.
        assert (await client.post("/example/events", data=many, headers=key)).status == 413
        assert (await client.post("/example/events", data=one, headers=key)).status == 200
        assert (await client.post("/example/events", data=one, headers=key)).status == 429
        assert receiver.producer.sends == [(1, 0)]
        assert [
            receiver.refused(o) for o in ("unauthorized", "too_many_items", "rate_limited")
        ] == [
            1,
            1,
            1,
        ]


async def test_a_rotation_accepts_the_previous_secret_until_it_is_removed(
    settings: IngestSettings,
) -> None:
    env = {
        "PILLARWATCH_BROKER": settings.broker,
        "PILLARWATCH_INGEST_CONNECT_API_KEY": "new-key",
        "PILLARWATCH_INGEST_CONNECT_API_KEY_PREVIOUS": "old-key",
    }
    rotating = dataclasses.replace(
        IngestSettings.from_env(env), topic=settings.topic, dlq_topic=settings.dlq_topic
    )
    queued = orjson.dumps(load_json("amazon_connect", "queued.json"))
    async for receiver in _receiver(rotating):
        for key, status in (("old-key", 200), ("new-key", 200), ("other", 403)):
            headers = {"X-Pillarwatch-Key": key}
            response = await receiver.client.post("/aws/connect", data=queued, headers=headers)
            assert response.status == status, key
    del env["PILLARWATCH_INGEST_CONNECT_API_KEY_PREVIOUS"]
    done = dataclasses.replace(IngestSettings.from_env(env), topic=settings.topic)
    async for receiver in _receiver(done):
        headers = {"X-Pillarwatch-Key": "old-key"}
        assert (
            await receiver.client.post("/aws/connect", data=queued, headers=headers)
        ).status == 403
