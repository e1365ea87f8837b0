"""`make bench`: the figures of issues 7 and 18, as a table and a JSON file.

For one seeded stream (models/simulation.py), each on a fresh embedded broker with the stream
produced before timing starts:
1. a bare aiokafka consumer that reads and decodes every message (the practical limit);
2. a bare Faust agent that only counts (Faust's own cost), one worker and two;
3. the full pipeline, a real worker process, until every hop has processed everything;
   ratios 3/1, 3/2; worker CPU per event between the first and the last event;
4. latency p50/p99 from producing a probe contact to its 5m window gauge at /metrics, at half
   the rate of 3 (benchmarks/latency.py);
5. worker memory: peak RSS, per 10k open contacts and per active queue (benchmarks/memory.py);
6. bare Faust and the pipeline on rocksdb://, one worker and two, in interleaved rounds
   (benchmarks/scaling.py): the pipeline's two-worker speed-up as a fraction of bare Faust's.
Every throughput figure is the median of `--repeat` runs. `--quick` is a shorter version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import runs as runs
from benchmarks.latency import latency
from benchmarks.memory import memory
from benchmarks.procs import load, measure_and_write
from benchmarks.scaling import scaling

__all__ = ["GOALS", "main"]

T = TypeVar("T")
ITEMS = ("consumer", "faust", "pipeline", "latency", "memory", "scaling")
MB = 1024 * 1024

# Issue 18's goals: figure -> (comparison, target).
GOALS: dict[str, tuple[str, float]] = {
    "ratio_pipeline_to_faust": (">=", 0.8),
    "latency_p50_s": ("<=", 0.3),
    "latency_p99_s": ("<=", 1.0),
    "two_worker_speedup_vs_faust": (">=", 0.9),
    "peak_rss_mb_open_contacts": ("<=", 200.0),
}
# --quick: the same figures from a shorter run (about a quarter of the time; noisier).
QUICK = {
    "events": 10_000,
    "repeat": 1,
    "latency_seconds": 15.0,
    "open_contacts": 20_000,
    "queues": 50,
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pillarwatch bench", description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=50_000, help="events in the seeded stream")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=3, help="runs per throughput figure (median)")
    p.add_argument("--partitions", type=int, default=8)
    p.add_argument("--latency-seconds", type=float, default=20.0, help="length of the paced run")
    p.add_argument("--open-contacts", type=int, default=100_000)
    p.add_argument("--queues", type=int, default=200, help="new queues for the per-queue figure")
    p.add_argument(
        "--store",
        default="memory://",
        choices=("memory://", "rocksdb://"),
        help="the workers' table store (production runs rocksdb://, with standbys)",
    )
    p.add_argument("--only", default=",".join(ITEMS), help=f"comma-separated subset of {ITEMS}")
    p.add_argument(
        "--faust",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="extra Faust setting for the pipeline workers (a lever), e.g. producer_linger=0.05",
    )
    p.add_argument(
        "--levers-off",
        default="",
        metavar="LEVERS",
        help="levers to turn off in the workers, for a before/after: batching,sensor,"
        "fetch_wait,changelog_cache,json_trim,changelog_batches,end_offsets",
    )
    p.add_argument(
        "--profile",
        type=Path,
        help="py-spy collapsed stacks of the first one-worker pipeline run (needs py-spy)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a shorter run: " + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in QUICK.items()),
    )
    p.add_argument("--out", type=Path, default=Path("var/bench.json"))
    p.add_argument("--workdir", type=Path, default=Path("var/bench"), help="logs and state")
    p.add_argument("--timeout", type=float, default=600.0, help="per wait, seconds")
    return p


def _setting(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise SystemExit(f"--faust {text!r}: expected SETTING=VALUE")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def _median(label: str, repeat: int, run: Callable[[], T], figure: Callable[[T], float]) -> T:
    """Run `repeat` times; return the run with the median figure; print each."""
    done: list[T] = []
    for i in range(repeat):
        result = run()
        print(f"  {label} run {i + 1}/{repeat}: {figure(result):,.1f}  load {load()}", flush=True)
        done.append(result)
    ordered = sorted(done, key=figure)
    return ordered[(len(ordered) - 1) // 2]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    only = set(args.only.split(","))
    unknown = only - set(ITEMS)
    if unknown:
        raise SystemExit(f"--only: unknown {sorted(unknown)}; choose from {ITEMS}")
    overrides = dict(_setting(s) for s in args.faust)
    os.environ["BENCH_LEVERS_OFF"] = args.levers_off  # read by benchmarks.worker
    args.workdir.mkdir(parents=True, exist_ok=True)
    ctx = runs.BenchContext(args.workdir.resolve(), args.partitions, overrides, args.timeout)
    # Each run starts a fresh broker; RocksDB state left by an earlier bench under the same
    # run name would hold offsets that broker never had (Faust stops with ConsistencyError).
    for stale in sorted(ctx.workdir.glob("data-*")):
        shutil.rmtree(stale, ignore_errors=True)
    ctx.profile = args.profile.resolve() if args.profile else None
    ctx.store = args.store
    records = runs.simulated_stream(args.events, args.seed)
    figures: dict[str, float] = {}
    detail: dict[str, Any] = {}
    rate: float | None = None
    print(f"bench: {len(records)} events, seed {args.seed}, load {load()}", flush=True)

    if "consumer" in only:
        figures["bare_consumer_events_per_s"] = _median(
            "bare aiokafka consumer", args.repeat, lambda: runs.bare_consumer(ctx, records), float
        )
    if "faust" in only:
        figures["bare_faust_events_per_s"] = _median(
            "bare Faust agent, 1 worker", args.repeat, lambda: runs.bare_faust(ctx, records), float
        )
    if "pipeline" in only or "latency" in only:
        one = _median(
            f"full pipeline, 1 worker, {ctx.store}",
            args.repeat,
            lambda: runs.pipeline(ctx, records),
            lambda r: r.events_per_s,
        )
        rate = one.events_per_s
        figures["pipeline_events_per_s"] = rate
        figures["worker_peak_rss_mb"] = one.peak_rss_bytes / MB
        figures["worker_cpu_ms_per_event"] = 1000 * one.cpu_seconds / max(one.events_timed, 1)
        figures["idle_scrape_ms"] = 1000 * one.idle_scrape_seconds
        detail["pipeline_seconds"] = one.seconds
        detail["messages_sent_by_topic"] = one.sent_by_topic
        changelog = sum(n for t, n in one.sent_by_topic.items() if t.endswith("-changelog"))
        figures["changelog_messages_per_event"] = changelog / len(records)
        figures["first_hop_changelog_messages_per_event"] = sum(
            n
            for t, n in one.sent_by_topic.items()
            if t.endswith(("-contacts-changelog", "-waiting-changelog"))
        ) / len(records)
        figures["messages_produced_per_event"] = sum(one.sent_by_topic.values()) / len(records)
        detail["messages_per_event_by_topic"] = {
            re.sub(r"^bench-pipeline\d+-[a-z]+-\d+-", "", t): round(n / len(records), 4)
            for t, n in sorted(one.sent_by_topic.items(), key=lambda kv: -kv[1])
        }
        if "bare_consumer_events_per_s" in figures:
            figures["ratio_pipeline_to_consumer"] = rate / figures["bare_consumer_events_per_s"]
        if "bare_faust_events_per_s" in figures:
            figures["ratio_pipeline_to_faust"] = rate / figures["bare_faust_events_per_s"]
    if "latency" in only and rate:
        lat = latency(ctx, records, rate / 2, args.latency_seconds)
        print(f"  latency at {lat.rate:,.0f} events/s: {lat.probes} probes", flush=True)
        figures["latency_rate_events_per_s"] = lat.rate
        figures["latency_p50_s"] = lat.p50
        figures["latency_p99_s"] = lat.p99
        figures["latency_first_hop_p50_s"] = lat.first_hop_p50
        figures["latency_first_hop_p99_s"] = lat.first_hop_p99
        figures["latency_probes"] = lat.probes
        figures["latency_read_ms"] = 1000 * lat.read_seconds
        figures["latency_read_pause_ms"] = 1000 * lat.pause_seconds
    if "memory" in only:
        mem = memory(ctx, args.open_contacts, args.queues)
        figures["idle_rss_mb"] = mem.baseline_bytes / MB
        figures["rss_mb_per_10k_open_contacts"] = mem.per_10k_open_bytes / MB
        figures["rss_kb_per_active_queue"] = mem.per_queue_bytes / 1024
        figures["peak_rss_mb_open_contacts"] = mem.peak_bytes / MB
        detail["open_contacts"] = mem.open_contacts
        detail["queues"] = mem.queues
    if "scaling" in only:
        # Two workers share the two cores with the broker: the ceiling is bare Faust's own
        # two-worker speed-up, measured in the same rounds (benchmarks/scaling.py), not 2x.
        scaled, detail["two_worker_rounds"] = scaling(ctx, records, args.repeat)
        figures.update(scaled)

    goals = {}
    for name, (op, target) in GOALS.items():
        if name in figures:
            got = figures[name]
            met = got >= target if op == ">=" else got <= target
            goals[name] = {"target": f"{op} {target}", "value": got, "met": met}
    return {
        "figures": figures,
        "goals": goals,
        "detail": detail,
        "params": {
            "events": len(records),
            "seed": args.seed,
            "repeat": args.repeat,
            "partitions": args.partitions,
            "store": args.store,
            "quick": args.quick,
            "open_contacts": args.open_contacts,
            "queues": args.queues,
            "faust_overrides": overrides,
            "levers_off": args.levers_off,
        },
    }


def table(result: dict[str, Any]) -> str:
    figures: dict[str, float] = result["figures"]
    width = max(len(k) for k in figures) if figures else 10
    lines = [f"{'figure':<{width}}  {'value':>12}  goal"]
    for key, value in figures.items():
        goal = result["goals"].get(key)
        mark = f"{goal['target']}: {'met' if goal['met'] else 'MISSED'}" if goal else ""
        lines.append(f"{key:<{width}}  {value:>12,.3f}  {mark}")
    machine = result["machine"]
    lines.append(
        f"machine: {machine['cpus']} CPUs, {machine['platform']}, load {machine['load_before']}"
        f" -> {machine['load_after']}, {machine['seconds']:.0f}s"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    return measure_and_write(lambda: measure(args), table, args.out)


if __name__ == "__main__":
    sys.exit(main())
