"""`pillarwatch ingest http|queue-log ...`: the transports' command line.

`main` takes the arguments after `ingest`; settings come from PILLARWATCH_* and
PILLARWATCH_INGEST_* variables (docs/sources.md), flags override them.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from pillarwatch.ingest.http import make_app, make_metrics_app
from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.ingest.producer import EventProducer
from pillarwatch.ingest.queue_log_follower import QueueLogFollower
from pillarwatch.ingest.settings import IngestSettings, IngestSettingsError

__all__ = ["main"]


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


async def _follow(settings: IngestSettings, path: Path, position_file: Path) -> None:
    producer = EventProducer(
        settings.bootstrap,
        settings.topic,
        settings.dlq_topic,
        settings.send_timeout_seconds,
        security=settings.kafka_options,
    )
    follower = QueueLogFollower(
        path,
        producer,
        position_file=position_file,
        options=settings.mapping,
        poll_seconds=settings.poll_seconds,
        metrics=IngestMetrics(),
    )
    stop = asyncio.Event()
    _stop_on_signals(stop)
    task = asyncio.create_task(follower.run())
    print(f"pillarwatch ingest: following {path}", flush=True)
    await stop.wait()
    follower.stop()
    await task
    await producer.stop()


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
    asyncio.run(_follow(settings, args.path, position))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
