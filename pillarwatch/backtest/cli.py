"""`pillarwatch backtest EVENTS.jsonl [--rules DIR [--rules DIR]] [--config FILE] [--step 15s]
[--out DIR]`: when would these rules have fired on this recorded traffic?

Writes to --out: metrics.om (the recording, OpenMetrics), firings.json, one PNG per alert
(report-<rules dir name>/), and with two --rules, comparison.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pillarwatch.backtest.alerts import Firing, alert_rules, duration_seconds, evaluate_alerts, iso
from pillarwatch.backtest.compare import compare, describe
from pillarwatch.backtest.prometheus import (
    PrometheusError,
    backfill_rules,
    create_blocks,
    load_rules,
    serving,
)
from pillarwatch.backtest.record import (
    MAX_STRETCH_EVENTS,
    MAX_STRETCH_STEPS,
    BacktestError,
    record,
    recorded,
)

__all__ = ["main"]

DEFAULT_RULES = Path("alerts/rules")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pillarwatch backtest",
        description="Replay recorded events through the pipeline and report when alerts fire.",
    )
    p.add_argument(
        "events", type=Path, help="JSONL of schema-v1 events (pillarwatch simulate --out)"
    )
    p.add_argument(
        "--rules",
        type=Path,
        action="append",
        help="rule directory (default alerts/rules); give it twice: current, then proposed",
    )
    p.add_argument("--config", type=Path, help="the worker's TOML config (PILLARWATCH_CONFIG)")
    p.add_argument("--step", default="15s", help="event-time step of the recording (default 15s)")
    p.add_argument("--out", type=Path, default=Path("backtest-out"), help="output directory")
    p.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="replay N stretches of the period side by side (faster; see docs/alerting.md)",
    )
    p.add_argument(
        "--stretch-steps",
        type=int,
        default=MAX_STRETCH_STEPS,
        help=f"cut the period into stretches of at most N steps, each replayed on its own "
        f"broker (default {MAX_STRETCH_STEPS}; 0: no limit, one stretch per --parallel)",
    )
    p.add_argument(
        "--stretch-events",
        type=int,
        default=MAX_STRETCH_EVENTS,
        help=f"and of at most N events (default {MAX_STRETCH_EVENTS}; 0: no limit)",
    )
    p.add_argument("--warmup", default="2h", help="events fed before each stretch")
    p.add_argument("--no-report", action="store_true", help="skip the PNG reports")
    p.add_argument(
        "--report-from",
        help="draw the reports from this event time on (ISO 8601, e.g. 2026-11-29T08:00Z); "
        "alerts are still evaluated over the whole period",
    )
    p.add_argument("--report-to", help="draw the reports up to this event time (ISO 8601)")
    p.add_argument(
        "--recorded",
        type=Path,
        help="evaluate this earlier recording (OUT/metrics.om) instead of replaying EVENTS "
        "again; --step must be the recording's",
    )
    return p


def _check(args: argparse.Namespace) -> tuple[list[Path], float]:
    if args.recorded is None and not args.events.is_file():
        raise BacktestError(f"EVENTS {args.events}: no such file")
    if args.recorded is not None and not args.recorded.is_file():
        raise BacktestError(f"--recorded {args.recorded}: no such file")
    rules = args.rules or [DEFAULT_RULES]
    if len(rules) > 2:
        raise BacktestError("--rules: give one directory, or two (current, then proposed)")
    for d in rules:
        if not d.is_dir():
            raise BacktestError(f"--rules {d}: not a directory of *.yml rule files")
        load_rules(d)  # before the long recording: a bad rule directory fails now
    if args.config is not None and not args.config.is_file():
        raise BacktestError(f"--config {args.config}: no such file")
    try:
        step = duration_seconds(args.step)
    except ValueError as exc:
        raise BacktestError(f"--step: {exc}") from exc
    if step < 1:
        raise BacktestError("--step: at least 1s")
    if args.parallel < 1:
        raise BacktestError("--parallel: at least 1")
    if args.stretch_steps < 0:
        raise BacktestError("--stretch-steps: 0 (no limit) or more")
    if args.stretch_events < 0:
        raise BacktestError("--stretch-events: 0 (no limit) or more")
    try:
        duration_seconds(args.warmup)
    except ValueError as exc:
        raise BacktestError(f"--warmup: {exc}") from exc
    for name in ("report_from", "report_to"):
        event_time(getattr(args, name), f"--{name.replace('_', '-')}")
    return rules, step


def event_time(text: str | None, option: str) -> float | None:
    """An ISO 8601 event time as epoch seconds (UTC unless it says otherwise), or None."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BacktestError(
            f"{option}: {text!r} is not an ISO 8601 time such as 2026-11-29T08:00Z"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def report_span(
    start: float, end: float, report_from: float | None, report_to: float | None
) -> tuple[float, float]:
    """The part of the period [start, end] the reports draw."""
    lo = start if report_from is None else max(start, report_from)
    hi = end if report_to is None else min(end, report_to)
    if lo >= hi:
        raise BacktestError(
            f"--report-from/--report-to: nothing of the period {iso(start)} .. {iso(end)} "
            "lies between them"
        )
    return lo, hi


def _print_firings(title: str, firings: list[Firing]) -> None:
    print(f"\n{title}: {len(firings)} firing interval(s)")
    for f in firings:
        print(
            f"  {f.alert:<28} {f.queue or '-':<14} {f.channel or '-':<6} "
            f"{iso(f.start)} .. {iso(f.end)}  value {f.value:.4g}"
        )


def _evaluate(
    rules_dir: Path,
    blocks: Path,
    work: Path,
    start: float,
    end: float,
    step: float,
    out: Path,
    report: tuple[float, float] | None,
) -> list[Firing]:
    """A copy of the recorded blocks, the rules of `rules_dir` backfilled into it, and its
    alerts evaluated (and drawn)."""
    rules = load_rules(rules_dir)
    tsdb = work / f"tsdb-{len(list(work.iterdir()))}" / "data"
    tsdb.parent.mkdir()
    # Hard links: each rule set gets its own TSDB without copying the recorded blocks.
    subprocess.run(["cp", "-al", str(blocks), str(tsdb)], check=True)
    with serving(tsdb, lookback=2 * step) as server:
        for record in sorted(backfill_rules(server, rules, start, end, step)):
            print(
                f"note: {rules_dir}: more than one rule records {record} with the same labels; "
                "the first in file order is kept (a live Prometheus would store both, "
                "interleaved)"
            )
        firings = evaluate_alerts(server, rules, start, end, step)
        if report is not None:
            from pillarwatch.backtest.report import draw_reports

            draw_reports(
                server,
                alert_rules(rules),
                firings,
                report[0],
                report[1],
                step,
                out / f"report-{rules_dir.resolve().name}",
            )
    return firings


def run(args: argparse.Namespace) -> int:
    rules_dirs, step = _check(args)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    began = time.monotonic()
    if args.recorded is not None:
        rec = recorded(args.recorded, step)
        print(f"evaluating {rec.path}: {rec.samples} samples")
    else:
        rec = record(
            args.events,
            out / "metrics.om",
            step,
            args.config,
            parallel=args.parallel,
            warmup=duration_seconds(args.warmup),
            progress=True,
            max_steps=args.stretch_steps,
            max_events=args.stretch_events,
        )
        print(
            f"recorded {rec.events} events, {iso(rec.start)} .. {iso(rec.end)}: {rec.steps} "
            f"steps of {step:g} s, {rec.series} series, {rec.samples} samples in "
            f"{rec.seconds:.0f} s"
            + (f" ({rec.unsettled} steps scraped unsettled)" if rec.unsettled else "")
        )
    span = report_span(
        rec.start,
        rec.end,
        event_time(args.report_from, "--report-from"),
        event_time(args.report_to, "--report-to"),
    )
    results: dict[str, list[Firing]] = {}
    with tempfile.TemporaryDirectory(prefix="pillarwatch-tsdb-") as tmp:
        work = Path(tmp)
        blocks = work / "recorded"
        create_blocks(rec.path, blocks)
        for rules_dir in rules_dirs:
            firings = _evaluate(
                rules_dir,
                blocks,
                work,
                rec.start,
                rec.end,
                step,
                out,
                None if args.no_report else span,
            )
            results[str(rules_dir)] = firings
            _print_firings(f"{rules_dir}", firings)
    document: dict[str, Any] = {
        "events": str(args.events),
        "start": iso(rec.start),
        "end": iso(rec.end),
        "step_seconds": step,
        "rules": {name: [f.to_json() for f in fs] for name, fs in results.items()},
    }
    if len(rules_dirs) == 2:
        changes = compare(results[str(rules_dirs[0])], results[str(rules_dirs[1])])
        print(f"\n{rules_dirs[0]} -> {rules_dirs[1]}:")
        for change in changes:
            print("  " + describe(change))
        document["comparison"] = [c.to_json() for c in changes]
    (out / "firings.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    load = os.getloadavg()
    print(
        f"\nwrote {out}/firings.json; total {time.monotonic() - began:.0f} s "
        f"(load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if shutil.which("promtool") is None or shutil.which("prometheus") is None:
        print("pillarwatch backtest: needs prometheus and promtool on PATH", file=sys.stderr)
        return 2
    # SIGTERM (a `timeout`, a supervisor, a CI job's end) stops the replay as Ctrl-C does: each
    # replay stops at its next step and takes its worker and broker down with it. The default
    # SIGTERM action would end this process at once and leave them running.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run(args)
    except (BacktestError, PrometheusError) as exc:
        print(f"pillarwatch backtest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pillarwatch backtest: stopped; its workers and brokers are stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
