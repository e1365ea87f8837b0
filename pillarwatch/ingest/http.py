"""The webhook receiver: POST /twilio/taskrouter, /twilio/events, /aws/connect, /genesys;
GET /metrics.

Voice transcripts (docs/sources.md, "Voice transcripts"): POST /twilio/transcription,
/aws/contact-lens, /genesys/transcription and /asr (JSON lines); their adapters read the
call directory the contact-event routes fill.

Answers 2xx only after the broker acknowledged every mapped event (and dead letter);
503 with Retry-After when it did not in time, so the platform retries and nothing is lost;
400 for a payload that does not parse or map (raw bytes and reason go to the dead-letter
topic first); 403 for a bad Twilio signature or API key; 413 over the body limit.
Logs carry reason codes and counts only, never payloads (they hold customer data).
"""

from __future__ import annotations

import hmac
import logging
import urllib.parse
from collections import Counter as Tally
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.ingest.producer import BrokerUnavailable, DeadLetter, EventProducer
from pillarwatch.ingest.settings import IngestSettings
from pillarwatch.ingest.twilio_signature import validate
from pillarwatch.models.sources import (
    MappingOptions,
    MappingResult,
    amazon_connect,
    asr_jsonl,
    contact_lens,
    genesys_cloud,
    genesys_transcription,
    twilio_event_streams,
    twilio_taskrouter,
    twilio_transcription,
)
from pillarwatch.models.sources.transcripts import CallDirectory, observed

__all__ = ["make_app"]

log = logging.getLogger(__name__)

Mapper = Callable[[object, MappingOptions | None], MappingResult]
LinesMapper = Callable[[bytes, MappingOptions | None], list[tuple[bytes, MappingResult]]]
PRODUCER: web.AppKey[EventProducer] = web.AppKey("producer", EventProducer)
SETTINGS: web.AppKey[IngestSettings] = web.AppKey("settings", IngestSettings)
METRICS: web.AppKey[IngestMetrics] = web.AppKey("metrics", IngestMetrics)
API_KEY_HEADER = "X-Pillarwatch-Key"
RETRY_AFTER_SECONDS = "5"


def _unavailable(metrics: IngestMetrics) -> web.Response:
    metrics.requests.labels(outcome="unavailable").inc()
    return web.json_response(
        {"error": "broker unavailable, retry"},
        status=503,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


async def _read_body(request: web.Request) -> bytes | web.Response:
    settings = request.app[SETTINGS]
    metrics = request.app[METRICS]
    too_large = web.json_response({"error": "body too large"}, status=413)
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        metrics.requests.labels(outcome="too_large").inc()
        return too_large
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        metrics.requests.labels(outcome="too_large").inc()
        return too_large


async def _deliver(
    request: web.Request, source: str, raw: bytes, results: list[tuple[bytes, MappingResult]]
) -> web.Response:
    """Produce what mapped and dead-letter what was malformed; answer from the outcome."""
    producer = request.app[PRODUCER]
    metrics = request.app[METRICS]
    events = [e for _, r in results for e in r.events]
    dead = [
        DeadLetter(item_raw, r.unmapped[0].reason, source, r.unmapped[0].detail)
        for item_raw, r in results
        if r.malformed
    ]
    try:
        await producer.send(events, dead)
    except BrokerUnavailable:
        return _unavailable(metrics)
    metrics.count([r for _, r in results])
    tally = Tally(u.reason for _, r in results for u in r.unmapped)
    if results and all(r.malformed for _, r in results):
        metrics.requests.labels(outcome="malformed").inc()
        log.info("%s: rejected malformed payload (%s)", source, ", ".join(sorted(tally)))
        return web.json_response({"error": "malformed", "reasons": dict(tally)}, status=400)
    metrics.requests.labels(outcome="accepted").inc()
    return web.json_response(
        {"events": len(events), "dead_lettered": len(dead), "unmapped": dict(tally)}
    )


async def _reject_unparsable(request: web.Request, source: str, raw: bytes) -> web.Response:
    result = MappingResult().bad("unparsable", "body does not parse")
    return await _deliver(request, source, raw, [(raw, result)])


def _json_route(source: str, mapper: Mapper) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.StreamResponse:
        settings = request.app[SETTINGS]
        if settings.api_key is not None and not hmac.compare_digest(
            request.headers.get(API_KEY_HEADER, ""), settings.api_key
        ):
            request.app[METRICS].requests.labels(outcome="unauthorized").inc()
            return web.json_response({"error": "bad api key"}, status=403)
        body = await _read_body(request)
        if isinstance(body, web.Response):
            return body
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return await _reject_unparsable(request, source, body)
        # EventBridge sends one event; a batch (list) is accepted too, item by item.
        items = payload if isinstance(payload, list) else [payload]
        if not items:
            return await _reject_unparsable(request, source, body)
        raws = [orjson.dumps(item) for item in items] if isinstance(payload, list) else [body]
        results = [
            (raw, mapper(item, settings.mapping)) for raw, item in zip(raws, items, strict=True)
        ]
        return await _deliver(request, source, body, results)

    return handle


def _lines_route(source: str, map_lines: LinesMapper) -> Callable[[web.Request], Any]:
    """A JSON-lines body: every line is mapped (and dead-lettered) on its own."""

    async def handle(request: web.Request) -> web.StreamResponse:
        settings = request.app[SETTINGS]
        if settings.api_key is not None and not hmac.compare_digest(
            request.headers.get(API_KEY_HEADER, ""), settings.api_key
        ):
            request.app[METRICS].requests.labels(outcome="unauthorized").inc()
            return web.json_response({"error": "bad api key"}, status=403)
        body = await _read_body(request)
        if isinstance(body, web.Response):
            return body
        results = map_lines(body, settings.mapping)
        if not results:
            return await _reject_unparsable(request, source, body)
        return await _deliver(request, source, body, results)

    return handle


def _twilio_route(source: str, mapper: Mapper) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await _twilio(request, source, mapper)

    return handle


async def _twilio(request: web.Request, source: str, mapper: Mapper) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    metrics = request.app[METRICS]
    body = await _read_body(request)
    if isinstance(body, web.Response):
        return body
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)
        )
    except (UnicodeDecodeError, ValueError):
        pairs = None
    url = (
        settings.public_url.rstrip("/") + request.path_qs
        if settings.public_url
        else str(request.url)
    )
    signature = request.headers.get("X-Twilio-Signature")
    # Check the signature before anything else: an unsigned request is not Twilio's, and
    # must not reach the dead-letter topic either.
    if settings.twilio_auth_token is None or not validate(
        url, pairs or [], signature, settings.twilio_auth_token
    ):
        metrics.requests.labels(outcome="unauthorized").inc()
        return web.json_response({"error": "bad signature"}, status=403)
    if pairs is None:
        return await _reject_unparsable(request, source, body)
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    response = await _deliver(request, source, body, [(body, mapper(form, settings.mapping))])
    # TaskRouter asks for 204 No Content on success (any 2xx for transcription callbacks).
    return web.Response(status=204) if response.status == 200 else response


async def _metrics(request: web.Request) -> web.Response:
    data = generate_latest(request.app[METRICS].registry)
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})


def make_app(
    settings: IngestSettings,
    producer: EventProducer | None = None,
    metrics: IngestMetrics | None = None,
) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[METRICS] = metrics or IngestMetrics()
    app[PRODUCER] = producer or EventProducer(
        settings.bootstrap, settings.topic, settings.dlq_topic, settings.send_timeout_seconds
    )
    # Voice transcripts name calls by platform ids; the contact-event routes teach `calls`
    # which contact, queue and answer time those are (models/sources/transcripts.py).
    calls = CallDirectory()
    taskrouter = observed(twilio_taskrouter.map_event, twilio_transcription.observe, calls)
    connect = observed(amazon_connect.map_event, contact_lens.observe, calls)
    genesys = observed(genesys_cloud.map_event, genesys_transcription.observe, calls)
    app.router.add_post("/twilio/taskrouter", _twilio_route("twilio", taskrouter))
    app.router.add_post("/aws/connect", _json_route("connect", connect))
    app.router.add_post("/genesys", _json_route("genesys", genesys))
    # Twilio Event Streams webhook sink: CloudEvents JSON (a batch is a list), TaskRouter types.
    # Not observed into `calls`: its snake_case task attributes are not read for a CallSid yet.
    app.router.add_post(
        "/twilio/events", _json_route("twilio-events", twilio_event_streams.map_event)
    )
    app.router.add_post(
        "/twilio/transcription",
        _twilio_route(
            "twilio-transcription", partial(twilio_transcription.map_event, directory=calls)
        ),
    )
    app.router.add_post(
        "/aws/contact-lens",
        _json_route("contact-lens", partial(contact_lens.map_event, directory=calls)),
    )
    app.router.add_post(
        "/genesys/transcription",
        _json_route(
            "genesys-transcription", partial(genesys_transcription.map_event, directory=calls)
        ),
    )
    app.router.add_post("/asr", _lines_route("asr", partial(asr_jsonl.map_lines, directory=calls)))
    app.router.add_get("/metrics", _metrics)

    async def stop_producer(app: web.Application) -> None:
        await app[PRODUCER].stop()

    app.on_cleanup.append(stop_producer)
    return app
