"""`python -m benchmarks.recovery_worker [JSON]`: the real worker, counting changelog replays.

It is `pillarwatch worker` (or `benchmarks.worker` with Faust settings as a JSON object)
plus one observer: every Table is given Faust's own `on_changelog_event` callback, which Faust's
recovery calls for each changelog record it applies to a table (`faust/tables/recovery.py`,
`_slurp_changelogs`: records at or below the offset already in the store are skipped and not
passed on). The count is served on the worker's /metrics as
`pillarwatch_bench_changelog_records_applied_total`: a restart from complete local state
applies none; a restart on an empty data dir applies the whole changelog. Standby partitions
go through the same callback; a single worker has none.

Bench-only (benchmarks.recovery, tests/integration/test_rocksdb_restart.py): the metric is
not part of the public contract.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from prometheus_client import Counter

from pillarwatch.streams.app import PillarwatchApp
from pillarwatch.streams.settings import Settings
from pillarwatch.worker import run_worker

__all__ = ["APPLIED_METRIC", "main"]

APPLIED_METRIC = "pillarwatch_bench_changelog_records_applied"


def _observe_changelogs() -> None:
    """Make every Table of every PillarwatchApp in this process count its changelog records."""
    plain_table = PillarwatchApp.Table
    counters: dict[int, Counter] = {}

    def counting_table(app: PillarwatchApp, name: str, **kwargs: Any) -> Any:
        counter = counters.get(id(app))
        if counter is None:
            counter = counters[id(app)] = Counter(
                APPLIED_METRIC,
                "changelog records Faust's recovery applied to the tables (bench only)",
                registry=app.registry,
            )
        applied = counter

        async def on_changelog_event(event: Any) -> None:
            applied.inc()

        kwargs.setdefault("on_changelog_event", on_changelog_event)
        return plain_table(app, name, **kwargs)

    PillarwatchApp.Table = counting_table  # type: ignore[method-assign,assignment]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    overrides = json.loads(args[0]) if args else {}
    if not isinstance(overrides, dict):
        raise SystemExit("recovery_worker: the argument must be a JSON object of Faust settings")
    _observe_changelogs()
    return run_worker(Settings.from_env(), overrides)


if __name__ == "__main__":
    sys.exit(main())
