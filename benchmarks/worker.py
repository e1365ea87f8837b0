"""`python -m benchmarks.worker [JSON]`: the real worker, with extra Faust settings.

Without an argument it is `pillarwatch worker`; the benchmark passes a JSON object of Faust
settings (e.g. {"stream_buffer_maxsize": 16384}) to measure one lever at a time. The code
levers of the first hop can be turned off for a before/after in the same tree with
BENCH_LEVERS_OFF (comma-separated, `pillarwatch bench --levers-off`):
- `batching`: one event per batch, so one row write per event (streams/batching.py);
- `sensor`: Faust's full Prometheus sensor with `_created` samples (streams/sensor.py);
- `fetch_wait`: Faust's own 1.5 s consumer fetch wait (streams/transport.py);
- `changelog_cache`: one changelog message per Table write, none coalesced until the commit
  (streams/changelog_buffer.py);
- `json_trim`: Faust's own json codec, whose values keep orjson's 4 KB+ buffer
  (streams/codecs.py);
- `changelog_batches`: a commit's held changelog writes sent one by one through Faust's
  publish path instead of one record batch per partition (streams/changelog_batches.py).
- `end_offsets`: table recovery trusts the broker's ListOffsets answer instead of reading each
  changelog's end from its records (streams/end_offsets.py).

BENCH_CHANGELOG_CACHE_KEYS=N sets the worker's PILLARWATCH_CHANGELOG_CACHE_KEYS (the bench
passes no PILLARWATCH_* variable of its own environment to a worker): the memory and
throughput of one bound against another, e.g.
`BENCH_CHANGELOG_CACHE_KEYS=10000 python -m benchmarks.pipeline --only memory --repeat 1`.

SIGUSR2 makes it collect its garbage and hand freed heap back to the OS (`compact`), so that
the memory run reads what the worker holds, not when Python last happened to collect
(benchmarks/memory.py). Faust's worker keeps SIGUSR1 for its own use (stack traces).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import signal
import sys
from types import FrameType

from pillarwatch.streams.settings import Settings
from pillarwatch.worker import run_worker

LEVERS = (
    "batching",
    "sensor",
    "fetch_wait",
    "changelog_cache",
    "json_trim",
    "changelog_batches",
    "end_offsets",
)


def levers_off(names: str) -> None:
    """Undo the named levers in this process, before the app is built."""
    for name in filter(None, names.split(",")):
        if name == "batching":
            from pillarwatch.streams import batching

            batching.BATCH_MAX = 1
        elif name == "sensor":
            from faust.sensors.prometheus import setup_prometheus_sensors

            from pillarwatch.streams import app

            def full_sensor(faust_app: object, registry: object, prefix: str) -> None:
                setup_prometheus_sensors(
                    faust_app,  # type: ignore[arg-type]
                    pattern="/metrics",
                    registry=registry,  # type: ignore[arg-type]
                    name_prefix=prefix,
                )

            setattr(app, "setup_sensor", full_sensor)  # noqa: B010 (replaced for a measurement)
        elif name == "fetch_wait":
            from pillarwatch.streams import transport

            transport.FETCH_MAX_WAIT_MS = 1500
        elif name == "json_trim":
            from pillarwatch.streams import codecs

            setattr(codecs, "install", lambda: None)  # noqa: B010 (undone for a measurement)
        elif name == "changelog_batches":
            from pillarwatch.streams import transport

            transport.BATCH_CHANGELOGS = False
        elif name == "end_offsets":
            from pillarwatch.streams import transport

            transport.READ_END_OFFSETS = False
        elif name == "changelog_cache":
            os.environ["PILLARWATCH_CHANGELOG_CACHE_KEYS"] = "0"
        else:
            raise SystemExit(f"BENCH_LEVERS_OFF: unknown lever {name!r}; {LEVERS}")


def compact(signum: int = 0, frame: FrameType | None = None) -> None:
    """Collect every generation, then return freed heap pages to the OS (glibc only)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the collection alone
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    overrides = json.loads(args[0]) if args else {}
    if not isinstance(overrides, dict):
        raise SystemExit("bench_worker: the argument must be a JSON object of Faust settings")
    levers_off(os.environ.get("BENCH_LEVERS_OFF", ""))
    if "BENCH_CHANGELOG_CACHE_KEYS" in os.environ:  # the bench passes no PILLARWATCH_* through
        os.environ["PILLARWATCH_CHANGELOG_CACHE_KEYS"] = os.environ["BENCH_CHANGELOG_CACHE_KEYS"]
    signal.signal(signal.SIGUSR2, compact)
    return run_worker(Settings.from_env(), overrides)


if __name__ == "__main__":
    sys.exit(main())
