"""`python -m benchmarks.worker [JSON]`: the real worker, with extra Faust settings.

Without an argument it is `pillarwatch worker`; the benchmark passes a JSON object of Faust
settings (e.g. {"stream_buffer_maxsize": 16384}) to measure one lever at a time.
"""

from __future__ import annotations

import json
import sys

from pillarwatch.streams.settings import Settings
from pillarwatch.worker import run_worker


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    overrides = json.loads(args[0]) if args else {}
    if not isinstance(overrides, dict):
        raise SystemExit("bench_worker: the argument must be a JSON object of Faust settings")
    return run_worker(Settings.from_env(), overrides)


if __name__ == "__main__":
    sys.exit(main())
