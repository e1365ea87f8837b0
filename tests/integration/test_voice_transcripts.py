"""A recorded call's transcript per platform: receiver -> broker -> real worker -> apology measures.

Each platform's fixtures are one call: the contact events (queued, answered, ended, wrapped)
and the live transcript segments (a partial, the customer's complaint, the agent's apology).
The worker must count the complaint and the apology for the voice queue, at the segment
times the adapters computed (answer/session start + offset, or the platform's own stamp).
Two workers, because windows end at the newest event time a worker saw and the Twilio and
Genesys fixtures are a year older than the Connect ones.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.ingest.http import make_app, make_metrics_app
from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.ingest.producer import EventProducer
from pillarwatch.ingest.settings import IngestSettings
from pillarwatch.ingest.twilio_signature import compute_signature
from pillarwatch.models.sources import MappingOptions
from pillarwatch.scrape import parse
from tests.integration._ingest_support import read_topic, unique_topic
from tests.support.worker import WorkerProcess, running_worker, value, wait_for
from tests.unit._fixtures import FIXTURES

pytestmark = pytest.mark.integration

TOKEN = "voice-test-token"
PUBLIC = "https://ingest.example.com"
GENESYS_QUEUE = "c1a2b3c4-3333-4c4d-9e5f-000000000003"
ASR = "asr_jsonl/call.jsonl"
ACW_CODE = "0c1d2e3f-9999-41a2-b3c4-000000000009"


@dataclass(frozen=True)
class Post:
    path: str
    fixture: str  # "<directory>/<file>" under tests/fixtures/sources

    @property
    def body(self) -> bytes:
        return (FIXTURES / self.fixture).read_bytes().strip()

    def headers(self) -> dict[str, str]:
        if not self.path.startswith("/twilio/"):
            return {"Content-Type": "application/json"}
        pairs = urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True)
        return {
            "X-Twilio-Signature": compute_signature(PUBLIC + self.path, pairs, TOKEN),
            "Content-Type": "application/x-www-form-urlencoded",
        }


async def _post_all(settings: IngestSettings, posts: list[Post]) -> tuple[list[int], str]:
    """Every post's status, and the receiver's /metrics text (its own port) afterwards."""
    statuses = []
    metrics = IngestMetrics()
    async with TestClient(TestServer(make_app(settings, metrics=metrics))) as client:
        for post in posts:
            response = await client.post(post.path, data=post.body, headers=post.headers())
            statuses.append(response.status)
    async with TestClient(TestServer(make_metrics_app(metrics))) as scraper:
        text = await (await scraper.get("/metrics")).text()
    return statuses, text


def _settings(worker: WorkerProcess, mapping: MappingOptions | None = None) -> IngestSettings:
    return IngestSettings(
        broker=worker.settings.broker,
        topic=worker.settings.topic,
        dlq_topic=unique_topic("voice-dlq"),
        twilio_auth_token=TOKEN,
        public_url=PUBLIC,
        mapping=mapping or MappingOptions(),
    )


def _apology(worker: WorkerProcess, queue: str) -> tuple[float | None, float | None]:
    samples = worker.samples() or {}
    labels = {"queue": queue, "channel": "voice", "window": "1h"}
    return (
        value(samples, "pillarwatch_apology_coverage_ratio", **labels),
        value(samples, "pillarwatch_complaint_to_apology_seconds", **labels),
    )


def _wait_for_apologies(worker: WorkerProcess, want: dict[str, tuple[float, float]]) -> None:
    def seen() -> bool:
        got = {q: _apology(worker, q) for q in want}
        return all(
            got[q][0] == ratio and got[q][1] == pytest.approx(delay)
            for q, (ratio, delay) in want.items()
        )

    if not wait_for(seen, timeout=120, interval=0.5):
        got = {q: _apology(worker, q) for q in want}
        samples = worker.samples() or {}
        seen_counts = {
            name: samples.get(name)
            for name in (
                "pillarwatch_contacts_total",
                "pillarwatch_events_total",
                "pillarwatch_events_rejected_total",
                "pillarwatch_events_late_total",
            )
        }
        raise AssertionError(
            f"{got} != {want}; {seen_counts}; log: {worker.log.read_text()[-2000:]}"
        )


def _asr_contact() -> list[dict[str, object]]:
    """The contact events of the generic-ASR call, from the site's own producer (schema v1)."""
    base = {"schema": 1, "contact_id": "c-asr-0001", "channel": "voice", "queue": "retention"}
    steps: list[tuple[str, str, dict[str, object]]] = [
        ("contact.queued", "2026-11-20T09:10:00Z", {}),
        ("contact.answered", "2026-11-20T09:10:20Z", {"agent_id": "agent-7"}),
        ("contact.ended", "2026-11-20T09:12:00Z", {}),
        ("contact.wrapped", "2026-11-20T09:12:30Z", {"resolved": True}),
    ]
    return [
        {**base, "event_id": f"site:c-asr-0001:{kind}", "type": kind, "ts": ts, **extra}
        for kind, ts, extra in steps
    ]


async def _produce(settings: IngestSettings, events: list[dict[str, object]]) -> None:
    producer = EventProducer(settings.bootstrap, settings.topic, settings.dlq_topic)
    try:
        await producer.send(events)
    finally:
        await producer.stop()


def test_connect_and_generic_asr_transcripts_count_complaint_and_apology(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    with running_worker(broker, tmp_path, "voice-connect") as worker:
        settings = _settings(worker)
        posts = [
            Post("/aws/connect", "amazon_connect/queued.json"),
            Post("/aws/connect", "amazon_connect/connected_to_agent.json"),
            Post("/aws/contact-lens", "contact_lens/started.json"),
            Post("/aws/contact-lens", "contact_lens/segments.json"),
            # A re-delivery (Kinesis is at-least-once): same event ids, dropped by the worker.
            Post("/aws/contact-lens", "contact_lens/segments.json"),
            Post("/aws/contact-lens", "contact_lens/completed.json"),
            Post("/aws/connect", "amazon_connect/disconnected.json"),
            Post("/aws/connect", "amazon_connect/contact_record.json"),
        ]
        statuses, receiver_metrics = asyncio.run(_post_all(settings, posts))
        assert statuses == [200] * len(posts)
        produced = parse(receiver_metrics)
        # Two messages per delivery of the segments.
        assert value(produced, "pillarwatch_ingest_events_total", type="contact.message") == 4.0
        # The generic-ASR call: the site's contact events, with the segments during the call.
        lifecycle = _asr_contact()
        asyncio.run(_produce(settings, lifecycle[:2]))
        statuses, receiver_metrics = asyncio.run(_post_all(settings, [Post("/asr", ASR)]))
        assert statuses == [200]
        produced = parse(receiver_metrics)
        assert value(produced, "pillarwatch_ingest_events_total", type="contact.message") == 2.0
        asyncio.run(_produce(settings, lifecycle[2:]))
        # A broken segment is refused and dead-lettered with its route's name.
        broken = b'{"contact_id": "c-asr-0001", "segment_id": "s-9", "role": "agent"}'
        assert asyncio.run(_statuses(settings, [("/asr", broken, {})])) == [400]
        [letter] = asyncio.run(read_topic(settings.bootstrap, settings.dlq_topic, 1))
        assert letter.value == broken
        assert letter.headers["pillarwatch.source"] == b"ingest/asr"
        assert letter.headers["pillarwatch.reason"] == b"missing_field"
        # Complaint at answer + 5.2 s, apology at answer + 10.4 s; ASR: 24.1 s and 31.25 s.
        _wait_for_apologies(worker, {"q-billing-0001": (1.0, 5.2), "retention": (1.0, 7.15)})
        samples = worker.samples() or {}
        assert (value(samples, "pillarwatch_events_duplicate_total") or 0.0) >= 2.0


def test_twilio_and_genesys_transcripts_count_complaint_and_apology(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    with running_worker(broker, tmp_path, "voice-twilio-genesys") as worker:
        codes = MappingOptions(
            resolved_codes=frozenset({"resolved"}), unresolved_codes=frozenset({ACW_CODE})
        )
        settings = _settings(worker, codes)
        posts = [
            Post("/twilio/taskrouter", "twilio_taskrouter/task_created.form"),
            Post("/twilio/taskrouter", "twilio_taskrouter/reservation_accepted.form"),
            Post("/twilio/transcription", "twilio_transcription/transcription_started.form"),
            Post("/twilio/transcription", "twilio_transcription/content_partial.form"),
            Post("/twilio/transcription", "twilio_transcription/content_customer.form"),
            Post("/twilio/transcription", "twilio_transcription/content_agent.form"),
            Post("/twilio/transcription", "twilio_transcription/transcription_stopped.form"),
            Post("/twilio/taskrouter", "twilio_taskrouter/task_completed.form"),
            Post("/genesys", "genesys_cloud/acd_start.json"),
            Post("/genesys", "genesys_cloud/acd_end_answered.eventbridge.json"),
            Post("/genesys/transcription", "genesys_transcription/session_ongoing.json"),
            Post("/genesys/transcription", "genesys_transcription/transcription.json"),
            Post("/genesys", "genesys_cloud/customer_end.json"),
            Post("/genesys", "genesys_cloud/acw.json"),
        ]
        statuses, receiver_metrics = asyncio.run(_post_all(settings, posts))
        assert statuses == [200 if p.path.startswith("/genesys") else 204 for p in posts]
        produced = parse(receiver_metrics)
        assert value(produced, "pillarwatch_ingest_events_total", type="contact.message") == 4.0
        assert value(produced, "pillarwatch_ingest_unmapped_total", reason="partial_segment") == 2.0
        # Twilio stamps: complaint 09:00:38.870, apology 09:00:44.150. Genesys: session start
        # 09:00:30 + 7.0 s and + 12.5 s.
        _wait_for_apologies(worker, {"Billing": (1.0, 5.28), GENESYS_QUEUE: (1.0, 5.5)})


async def _statuses(
    settings: IngestSettings, requests: list[tuple[str, bytes, dict[str, str]]]
) -> list[int]:
    async with TestClient(TestServer(make_app(settings))) as client:
        return [
            (await client.post(path, data=body, headers=headers)).status
            for path, body, headers in requests
        ]


def test_transcript_routes_share_the_receivers_authentication_and_limits() -> None:
    """Refused before anything reaches a broker (none is configured here)."""
    settings = IngestSettings(
        broker="kafka://127.0.0.1:9",
        api_key="k-not-a-secret",
        twilio_auth_token=TOKEN,
        public_url=PUBLIC,
        max_body_bytes=4096,
    )
    segments = Post("/aws/contact-lens", "contact_lens/segments.json")
    content = Post("/twilio/transcription", "twilio_transcription/content_customer.form")
    forged = content.headers() | {"X-Twilio-Signature": "AAAA"}
    json_type = {"Content-Type": "application/json"}
    requests = [
        ("/aws/contact-lens", segments.body, json_type),
        ("/genesys/transcription", b"{}", json_type | {"X-Pillarwatch-Key": "wrong"}),
        ("/asr", (FIXTURES / ASR).read_bytes(), {}),
        ("/twilio/transcription", content.body, forged),
        ("/asr", b"x" * 5000, {"X-Pillarwatch-Key": "k-not-a-secret"}),
    ]
    assert asyncio.run(_statuses(settings, requests)) == [403, 403, 403, 403, 413]
