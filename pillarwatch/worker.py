"""Running a stream worker: topics first, then the Faust worker with its web server."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from faust.worker import Worker

from pillarwatch.streams.app import create_app
from pillarwatch.streams.settings import Settings, ensure_data_dir
from pillarwatch.streams.topics import ensure_topics

__all__ = ["run_worker"]


def run_worker(settings: Settings, overrides: Mapping[str, Any] | None = None) -> int:
    """Run until SIGINT/SIGTERM (Faust's worker handles both and shuts down cleanly).

    `overrides` are extra Faust settings, for the benchmark's lever runs.
    """
    ensure_data_dir(settings.data_dir)
    # Where state lives, before Faust's own logging starts: the first thing to know when a
    # worker is moved, cleaned up or restored.
    print(
        f"pillarwatch worker: state in {settings.data_dir} (PILLARWATCH_DATA_DIR, store "
        f"{settings.store}); metrics on http://{settings.web_host}:{settings.web_port}/metrics",
        flush=True,
    )
    asyncio.run(ensure_topics(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = create_app(settings, overrides=overrides)
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.spinner = None  # its cursor escapes garble demo output and log files
    worker.execute_from_commandline()  # exits the process when the worker stops
    return 0
