"""The webhook receiver: one POST route per row of the route table (routes.py).

Every route passes the same gate, in this order, each refusal counted in
pillarwatch_ingest_requests_total{outcome} and producing nothing to Kafka:

1. body over PILLARWATCH_INGEST_MAX_BODY_BYTES: 413 (too_large);
2. authentication by the route's scheme (auth.py): 403 (unauthorized);
3. the source's rate limit (limits.py), counted on authenticated requests only, so a
   stranger's flood cannot use up a platform's allowance: 429 + Retry-After (rate_limited);
4. more JSON items than PILLARWATCH_INGEST_MAX_ITEMS: 413 (too_many_items).

Then the body is mapped. 2xx only after the broker acknowledged every mapped event (and
dead letter); 503 with Retry-After when it did not in time, so the platform retries; 400 for
a payload that does not parse or map (raw bytes and reason go to the dead-letter topic first).
/metrics is served by a separate app on its own port (`make_metrics_app`), not here.
Logs carry reason codes and counts only, never payloads (they hold customer data).
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pillarwatch.ingest.auth import authenticated, form_pairs
from pillarwatch.ingest.limits import RateLimiter
from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.ingest.producer import BrokerUnavailable, DeadLetter, EventProducer
from pillarwatch.ingest.routes import Body, Route
from pillarwatch.ingest.settings import IngestSettings
from pillarwatch.models.sources import MappingResult
from pillarwatch.models.sources.transcripts import CallDirectory

__all__ = ["make_app", "make_metrics_app"]

log = logging.getLogger(__name__)

PRODUCER: web.AppKey[EventProducer] = web.AppKey("producer", EventProducer)
SETTINGS: web.AppKey[IngestSettings] = web.AppKey("settings", IngestSettings)
METRICS: web.AppKey[IngestMetrics] = web.AppKey("metrics", IngestMetrics)
LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter", RateLimiter)
CALLS: web.AppKey[CallDirectory] = web.AppKey("calls", CallDirectory)
RETRY_AFTER_SECONDS = "5"  # after a 503: the broker gets a moment

Handler = Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]
Items = list[tuple[bytes, object]]


def _refuse(
    request: web.Request, outcome: str, status: int, error: str, **headers: str
) -> web.Response:
    request.app[METRICS].requests.labels(outcome=outcome).inc()
    return web.json_response({"error": error}, status=status, headers=headers or None)


async def _read_body(request: web.Request) -> bytes | web.Response:
    limit = request.app[SETTINGS].max_body_bytes
    too_large = f"body over PILLARWATCH_INGEST_MAX_BODY_BYTES={limit}"
    if request.content_length is not None and request.content_length > limit:
        return _refuse(request, "too_large", 413, too_large)
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:  # also a compressed body that inflates past it
        return _refuse(request, "too_large", 413, too_large)
    except (web.RequestPayloadError, HttpProcessingError):  # broken gzip/deflate, bad chunks
        return _refuse(request, "malformed", 400, "body does not decode")


class _TooManyItems(Exception):
    def __init__(self, count: int) -> None:
        self.count = count


def _items(route: Route, body: bytes, max_items: int) -> Items | None:
    """The body as (raw bytes, item) pairs for the mapper; None when it does not parse.

    Raises _TooManyItems before any item is re-serialised.
    """
    if route.body is Body.FORM:
        pairs = form_pairs(body)
        if pairs is None:
            return None
        form: dict[str, str] = {}
        for name, value in pairs:
            form.setdefault(name, value)
        return [(body, form)]
    if route.body is Body.LINES:
        lines = [line for line in body.splitlines() if line.strip()]
        if len(lines) > max_items:
            raise _TooManyItems(len(lines))
        return [(line, _json_or_bad(line)) for line in lines] or None
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, list):
        # EventBridge sends one event; the dead letter keeps the bytes exactly as sent.
        return [(body, payload)]
    if len(payload) > max_items:
        raise _TooManyItems(len(payload))
    return [(orjson.dumps(item), item) for item in payload] or None


class _NotJson:
    """A JSON line that does not parse: dead-lettered alone, the other lines still map."""


_NOT_JSON = _NotJson()


def _json_or_bad(line: bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _map(route: Route, item: object, request: web.Request) -> MappingResult:
    if item is _NOT_JSON:
        return MappingResult().bad("unparsable", "line is not JSON")
    return route.map(item, request.app[SETTINGS].mapping, request.app[CALLS])


async def _deliver(
    request: web.Request, route: Route, results: list[tuple[bytes, MappingResult]]
) -> web.Response:
    """Produce what mapped and dead-letter what was malformed; answer from the outcome."""
    metrics = request.app[METRICS]
    events = [e for _, r in results for e in r.events]
    dead = [
        DeadLetter(item_raw, r.unmapped[0].reason, route.source, r.unmapped[0].detail)
        for item_raw, r in results
        if r.malformed
    ]
    try:
        await request.app[PRODUCER].send(events, dead)
    except BrokerUnavailable:
        retry = {"Retry-After": RETRY_AFTER_SECONDS}
        return _refuse(request, "unavailable", 503, "broker unavailable, retry", **retry)
    metrics.count([r for _, r in results])
    tally = Tally(u.reason for _, r in results for u in r.unmapped)
    if results and all(r.malformed for _, r in results):
        metrics.requests.labels(outcome="malformed").inc()
        log.info("%s: rejected malformed payload (%s)", route.source, ", ".join(sorted(tally)))
        return web.json_response({"error": "malformed", "reasons": dict(tally)}, status=400)
    metrics.requests.labels(outcome="accepted").inc()
    if route.ok_status == 204:
        return web.Response(status=204)
    return web.json_response(
        {"events": len(events), "dead_lettered": len(dead), "unmapped": dict(tally)},
        status=route.ok_status,
    )


def _request_url(request: web.Request) -> str:
    public = request.app[SETTINGS].public_url
    return public.rstrip("/") + request.path_qs if public else str(request.url)


def _handler(route: Route) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        settings = request.app[SETTINGS]
        body = await _read_body(request)
        if isinstance(body, web.Response):
            return body
        # Authentication before anything is parsed: an unauthenticated request is not the
        # platform's and must not reach the topics, not even the dead-letter topic.
        secrets = settings.secrets_for(route)
        if not authenticated(route.auth, secrets, _request_url(request), request.headers, body):
            return _refuse(request, "unauthorized", 403, f"bad {route.auth.value}")
        limiter = request.app[LIMITER]
        if not limiter.allow(route.source):
            wait = str(limiter.retry_after(route.source))
            return _refuse(request, "rate_limited", 429, "rate limited", **{"Retry-After": wait})
        try:
            items = _items(route, body, settings.max_items)
        except _TooManyItems as exc:
            return _refuse(
                request,
                "too_many_items",
                413,
                f"{exc.count} items, over PILLARWATCH_INGEST_MAX_ITEMS={settings.max_items}",
            )
        if items is None:
            result = MappingResult().bad("unparsable", "body does not parse")
            return await _deliver(request, route, [(body, result)])
        results = [(raw, _map(route, item, request)) for raw, item in items]
        return await _deliver(request, route, results)

    return handle


class _ClientErrorsWithoutTraceback(logging.Filter):
    """aiohttp logs a request it cannot parse (bad header bytes, broken gzip) at ERROR with a
    traceback, although it answers 400: the client's fault, not ours. One line instead, with
    the error's class only (its text quotes the request's bytes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        # RequestPayloadError: aiohttp drains an unread body after the answer, and a body
        # that does not decode raises there, after we already answered 400.
        if isinstance(exc, web.RequestPayloadError) or (
            isinstance(exc, HttpProcessingError) and 400 <= (exc.code or 500) < 500
        ):
            record.msg, record.args = "bad HTTP request refused: %s", (type(exc).__name__,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_CLIENT_ERROR_FILTER = _ClientErrorsWithoutTraceback()


def make_app(
    settings: IngestSettings,
    producer: EventProducer | None = None,
    metrics: IngestMetrics | None = None,
) -> web.Application:
    """The webhook app: a POST handler for each served row of the route table."""
    app = web.Application(client_max_size=settings.max_body_bytes)
    logging.getLogger("aiohttp.server").addFilter(_CLIENT_ERROR_FILTER)  # idempotent
    app[SETTINGS] = settings
    app[METRICS] = metrics or IngestMetrics()
    routes = settings.routes()
    app[CALLS] = CallDirectory()
    app[LIMITER] = RateLimiter(
        (r.source for r in routes), settings.rate_per_second, settings.rate_burst
    )
    app[PRODUCER] = producer or EventProducer(
        settings.bootstrap,
        settings.topic,
        settings.dlq_topic,
        settings.send_timeout_seconds,
        security=settings.kafka_options,
    )
    for route in routes:
        app.router.add_post(route.path, _handler(route))

    async def stop_producer(app: web.Application) -> None:
        await app[PRODUCER].stop()

    app.on_cleanup.append(stop_producer)
    return app


def make_metrics_app(metrics: IngestMetrics) -> web.Application:
    """GET /metrics for Prometheus, served on PILLARWATCH_INGEST_METRICS_HOST:_PORT."""
    app = web.Application()

    async def serve(request: web.Request) -> web.Response:
        data = generate_latest(metrics.registry)
        return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", serve)
    return app
