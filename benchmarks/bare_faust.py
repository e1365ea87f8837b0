"""The benchmark's bare Faust agent: it only counts. Run as a subprocess by benchmarks.runs.

`python -m benchmarks.bare_faust RESULT_FILE` with PILLARWATCH_* set like a worker. It uses
the same broker options as the real app (streams.app.broker_options), raw serializers, no
tables and no web server. Every 0.2 s, when its count changed, it rewrites RESULT_FILE with
{"count", "first", "last"}: messages counted and the wall-clock times of the first and the
last, so the bench can add up two of them in one consumer group; the bench then stops it.
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


def build_app(settings: Settings, result: Path) -> faust.App:
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
    seen = {"count": 0, "first": 0.0, "last": 0.0}
    written = {"count": -1}

    @app.agent(topic, name="count")
    async def count(stream: StreamT[Any]) -> None:
        async for _ in stream:
            now = time.time()
            if not seen["count"]:
                seen["first"] = now
            seen["count"] += 1
            seen["last"] = now

    @app.timer(0.2)  # type: ignore[untyped-decorator]
    async def write() -> None:
        if seen["count"] != written["count"]:
            written["count"] = int(seen["count"])
            tmp = result.with_suffix(".tmp")
            tmp.write_text(json.dumps(seen))
            tmp.replace(result)  # the bench never reads a half-written file

    return app


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    asyncio.run(ensure_topics(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = build_app(settings, Path(args[0]))
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.spinner = None
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
