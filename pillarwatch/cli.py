"""The `pillarwatch` command line."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from pathlib import Path

from pillarwatch.models.simulation import Simulation, iso
from pillarwatch.streams.settings import Settings, SettingsError

__all__ = ["main"]

# Subcommands that hand their arguments to another module's main(argv).
_DELEGATED = {
    "dashboards": ("pillarwatch.dashboards.cli", "build or push the Grafana dashboards"),
    "markers": (
        "pillarwatch.models.marker_eval",
        "markers: eval (P/R per language on the test split, --bench) or train",
    ),
    "top": ("pillarwatch.top", "a live wallboard in the terminal"),
    "ingest": ("pillarwatch.ingest.cli", "receive events from contact-centre platforms"),
    "new-agent": ("pillarwatch.new_agent", "write a skeleton pillar module and its test"),
    "backtest": (
        "pillarwatch.backtest.cli",
        "when would the alert rules have fired on recorded events",
    ),
}


class UsageError(ValueError):
    """A bad command-line value; the message names the option and the fix."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pillarwatch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


# Optional dependencies, by top-level module, and the extra that installs them.
_EXTRAS = {
    "grafana_foundation_sdk": "dashboards",
    "grafana_client": "dashboards",
    "niquests": "dashboards",
    "matplotlib": "backtest",
    "yaml": "backtest",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pillarwatch", description="Streaming quality monitor for contact centres."
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="embedded broker + worker + simulator, /metrics live")
    demo.add_argument("--duration", type=float, help="stop after this many seconds")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--backfill-minutes", type=float, default=60.0)
    demo.add_argument(
        "--plain", action="store_true", help="summary lines instead of the live wallboard"
    )
    sub.add_parser("worker", help="run a stream worker against PILLARWATCH_BROKER")
    sim = sub.add_parser("simulate", help="produce seeded simulated traffic")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--minutes", type=float, default=60.0, help="simulated minutes of arrivals")
    sim.add_argument("--start", help="RFC 3339 start of simulated time (default: now - minutes)")
    sim.add_argument("--out", type=Path, help="write JSONL here instead of producing")
    sim.add_argument("--rate", type=float, help="events/s cap (default: as fast as possible)")
    sim.add_argument("--live", action="store_true", help="after the backfill, continue live")
    rep = sub.add_parser("replay", help="produce a recorded JSONL file to the input topic")
    rep.add_argument("file", type=Path)
    rep.add_argument("--rate", type=float, help="events/s cap (default: as fast as possible)")
    for name, (_, text) in _DELEGATED.items():
        sub.add_parser(name, help=text, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in _DELEGATED:
        try:
            module = importlib.import_module(_DELEGATED[argv[0]][0])
        except ModuleNotFoundError as exc:
            extra = _EXTRAS.get((exc.name or "").split(".")[0])
            if extra is None:
                raise
            print(
                f"pillarwatch {argv[0]} needs the '{extra}' extra: "
                f"pip install 'pillarwatch[{extra}]'",
                file=sys.stderr,
            )
            return 2
        return int(module.main(argv[1:]))
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except SettingsError as exc:
        print(f"pillarwatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"pillarwatch {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from pillarwatch.demo import run_demo

        return run_demo(args.duration, args.seed, args.backfill_minutes, args.plain)
    if args.command == "simulate" and args.out:
        return _simulate(None, args)  # writing a file needs no broker settings
    settings = Settings.from_env()
    if args.command == "worker":
        from pillarwatch.worker import run_worker

        return run_worker(settings)
    if args.command == "simulate":
        return _simulate(settings, args)
    if args.command == "replay":
        from pillarwatch.produce import jsonl_records, produce

        sent = asyncio.run(produce(settings, jsonl_records(args.file), args.rate))
        print(f"replayed {sent} events from {args.file} to {settings.topic}")
        return 0
    raise AssertionError(args.command)


def _start_time(text: str) -> float:
    """--start as epoch seconds; a UsageError naming the option for anything else."""
    from datetime import datetime

    hint = "expected an RFC 3339 time with an offset, e.g. 2026-01-05T09:00:00Z"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--start {text!r}: {hint}") from None
    if parsed.tzinfo is None:
        raise UsageError(f"--start {text!r} has no offset: {hint}")
    return parsed.timestamp()


def _simulate(settings: Settings | None, args: argparse.Namespace) -> int:
    from pillarwatch.produce import Traffic, produce

    end = time.time()
    if not 0 < args.minutes < 525_600:  # also refuses nan and inf
        raise UsageError(f"--minutes {args.minutes}: expected minutes above 0 (under a year)")
    start = _start_time(args.start) if args.start else end - args.minutes * 60
    if args.start:
        end = start + args.minutes * 60
    sim = Simulation(seed=args.seed)
    if args.out:
        import orjson

        n = 0
        with open(args.out, "wb") as fh:
            for event in sim.events(start, end):
                fh.write(orjson.dumps(event) + b"\n")
                n += 1
        print(f"wrote {n} events ({iso(start)} .. {iso(end)}) to {args.out}")
        return 0

    if settings is None:
        raise AssertionError("producing needs the broker settings")

    async def run() -> int:
        traffic = Traffic(sim, start)
        sent = await produce(settings, traffic.due(end), args.rate)
        print(f"produced {sent} events to {settings.topic}", flush=True)
        if args.live:
            sent += await produce(settings, traffic.live())
        return sent

    asyncio.run(run())
    return 0
