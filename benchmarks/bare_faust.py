"""The benchmark's bare Faust agent: it only counts. Run as a subprocess by benchmarks.pipeline.

`python -m benchmarks.bare_faust EXPECTED RESULT_FILE` with PILLARWATCH_* set like a worker.
It uses the same broker options as the real app (streams.app.broker_options), raw serializers,
no tables and no web server, and writes {"count", "seconds"} (first to last message) when it
has seen EXPECTED messages; the bench then stops it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import faust
from faust.types import StreamT
from faust.worker import Worker

from pillarwatch.streams.app import broker_options
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import ensure_topics

__all__ = ["build_app", "main"]


def build_app(settings: Settings, expected: int, result: Path) -> faust.App:
    app = faust.App(
        f"{settings.app_id}-bare",
        **broker_options(settings),
        datadir=str(settings.data_dir),
        web_enabled=False,
        autodiscover=False,
        logging_config=None,
    )
    topic = app.topic(
        settings.topic, key_serializer="raw", value_serializer="raw", partitions=settings.partitions
    )
    seen = {"count": 0, "first": 0.0}

    @app.agent(topic, name="count")
    async def count(stream: StreamT[Any]) -> None:
        async for _ in stream:
            seen["count"] += 1
            if seen["count"] == 1:
                seen["first"] = time.perf_counter()
            if seen["count"] == expected:
                elapsed = time.perf_counter() - seen["first"]
                result.write_text(json.dumps({"count": expected, "seconds": elapsed}))

    return app


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    asyncio.run(ensure_topics(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = build_app(settings, int(args[0]), Path(args[1]))
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.spinner = None
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
