"""`pillarwatch ingest http|queue-log|replay ...`: the transports' command line.

`main` takes the arguments after `ingest`; settings come from PILLARWATCH_* and
PILLARWATCH_INGEST_* variables (docs/sources.md), flags override them.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import signal
import sys
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from prometheus_client import start_http_server

from pillarwatch.ingest.http import make_app, make_metrics_app
from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.ingest.producer import BrokerUnavailable, DeadLetter, EventProducer
from pillarwatch.ingest.queue_log_follower import QueueLogFollower
from pillarwatch.ingest.replay import MAPPERS, ReplayInputError, produce, replay
from pillarwatch.ingest.settings import IngestSettings, IngestSettingsError
from pillarwatch.models.sources.common import Event

__all__ = ["main", "queue_log_zone"]

TZ_VARIABLE = "PILLARWATCH_INGEST_QUEUE_LOG_TZ"


def queue_log_zone(text: str | None) -> tzinfo | None:
    """The zone of queue_log date-time rows: None (this machine's), UTC, or an IANA name."""
    if not text or text.strip().lower() == "local":
        return None
    if text.strip().upper() in {"UTC", "GMT"}:
        return UTC
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SystemExit(
            f"{TZ_VARIABLE} / --time-zone: {text!r} is not a time zone; use 'local', 'UTC' "
            "(Asterisk with queue_log_realtime_use_gmt=yes) or an IANA name like Europe/Warsaw"
        ) from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pillarwatch ingest", description="Feed real platforms' events into pillarwatch."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    http = sub.add_parser("http", help="webhook receiver: Twilio, Amazon Connect, Genesys")
    http.add_argument("--host", help="bind address (PILLARWATCH_INGEST_HOST, 127.0.0.1)")
    http.add_argument("--port", type=int, help="port (PILLARWATCH_INGEST_PORT, 8090)")
    qlog = sub.add_parser("queue-log", help="follow an Asterisk queue_log file")
    qlog.add_argument("path", type=Path, help="e.g. /var/log/asterisk/queue_log")
    qlog.add_argument(
        "--position-file",
        type=Path,
        help="where the read position is kept (PILLARWATCH_INGEST_POSITION_FILE, "
        "default PATH.pillarwatch-position)",
    )
    qlog.add_argument(
        "--metrics-port",
        type=int,
        help="serve the follower's counters on HOST:PORT/metrics (HOST from "
        "PILLARWATCH_INGEST_HOST); default: not served",
    )
    replay_cmd = sub.add_parser(
        "replay", help="map a platform export, print what comes out; --produce sends it"
    )
    replay_cmd.add_argument("--source", required=True, choices=sorted(MAPPERS))
    replay_cmd.add_argument("file", type=Path, help="JSON lines / array / back-to-back objects")
    replay_cmd.add_argument(
        "--produce", action="store_true", help="also produce the events to PILLARWATCH_BROKER"
    )
    for cmd in (qlog, replay_cmd):
        cmd.add_argument(
            "--time-zone",
            help=f"zone of queue_log date-time rows ({TZ_VARIABLE}; default: this machine's)",
        )
    return parser


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _serve_http(settings: IngestSettings) -> None:
    metrics = IngestMetrics()
    runner = web.AppRunner(make_app(settings, metrics=metrics))
    metrics_runner = web.AppRunner(make_metrics_app(metrics))
    await runner.setup()
    await metrics_runner.setup()
    try:
        # /metrics on its own port (loopback by default): the webhook port faces the platforms.
        await web.TCPSite(metrics_runner, settings.metrics_host, settings.metrics_port).start()
        await web.TCPSite(runner, settings.host, settings.port).start()
        print(
            f"pillarwatch ingest: listening on http://{settings.host}:{settings.port}; "
            f"metrics on http://{settings.metrics_host}:{settings.metrics_port}/metrics",
            flush=True,
        )
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await stop.wait()
    finally:
        await runner.cleanup()
        await metrics_runner.cleanup()


def _producer(settings: IngestSettings) -> EventProducer:
    return EventProducer(
        settings.bootstrap,
        settings.topic,
        settings.dlq_topic,
        settings.send_timeout_seconds,
        security=settings.kafka_options,
    )


async def _follow(
    settings: IngestSettings, path: Path, position_file: Path, metrics_port: int | None
) -> None:
    producer = _producer(settings)
    metrics = IngestMetrics()
    if metrics_port is not None:
        start_http_server(metrics_port, addr=settings.metrics_host, registry=metrics.registry)
    follower = QueueLogFollower(
        path,
        producer,
        position_file=position_file,
        options=settings.mapping,
        poll_seconds=settings.poll_seconds,
        metrics=metrics,
    )
    stop = asyncio.Event()
    _stop_on_signals(stop)
    task = asyncio.create_task(follower.run())
    print(f"pillarwatch ingest: following {path}", flush=True)
    await stop.wait()
    follower.stop()
    await task
    await producer.stop()


async def _produce(settings: IngestSettings, events: list[Event], dead: list[DeadLetter]) -> None:
    producer = _producer(settings)
    try:
        await produce(producer, events, dead)
    finally:
        await producer.stop()


def _replay(settings: IngestSettings, source: str, path: Path, send: bool) -> int:
    if not path.is_file():
        print(f"pillarwatch ingest replay: {path}: no such file", file=sys.stderr)
        return 2
    try:
        report, events, dead = replay(source, path, settings.mapping)
    except ReplayInputError as exc:
        print(f"pillarwatch ingest replay: {exc}", file=sys.stderr)
        return 2
    print(f"{source} {path}")
    print("\n".join(report.lines()))
    if send:
        try:
            asyncio.run(_produce(settings, events, dead))
        except BrokerUnavailable as exc:
            print(f"pillarwatch ingest replay: {exc} ({settings.broker})", file=sys.stderr)
            return 1
        print(f"produced: {len(events)} events to {settings.topic}, {len(dead)} dead letters")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = IngestSettings.from_env()
        if args.command == "http":
            overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
            settings = dataclasses.replace(settings, **overrides)
            settings.check_exposure()
    except IngestSettingsError as exc:
        print(f"pillarwatch ingest: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command in {"queue-log", "replay"}:
        zone = queue_log_zone(args.time_zone or os.environ.get(TZ_VARIABLE))
        mapping = dataclasses.replace(settings.mapping, naive_time_zone=zone)
        settings = dataclasses.replace(settings, mapping=mapping)
    if args.command == "replay":
        return _replay(settings, args.source, args.file, args.produce)
    if args.command == "http":
        for route in settings.unauthenticated():
            # Only reachable on loopback (check_exposure): a local test set-up.
            logging.getLogger(__name__).warning("no authentication for %s", route)
        try:
            asyncio.run(_serve_http(settings))
        except OSError as exc:
            print(f"pillarwatch ingest: cannot listen: {exc.strerror or exc}", file=sys.stderr)
            return 2
        return 0
    position = (
        args.position_file
        or settings.position_file
        or args.path.with_name(args.path.name + ".pillarwatch-position")
    )
    asyncio.run(_follow(settings, args.path, position, args.metrics_port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
