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
    "markers": ("pillarwatch.models.marker_eval", "marker lexicons: precision/recall per language"),
    "top": ("pillarwatch.top", "a live wallboard in the terminal"),
    "ingest": ("pillarwatch.ingest.cli", "receive events from contact-centre platforms"),
    "new-agent": ("pillarwatch.new_agent", "write a skeleton stream agent and its test"),
    "backtest": (
        "pillarwatch.backtest.cli",
        "when would the alert rules have fired on recorded events",
    ),
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pillarwatch", description="Streaming quality monitor for contact centres."
    )
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
        module = importlib.import_module(_DELEGATED[argv[0]][0])
        return int(module.main(argv[1:]))
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except SettingsError as exc:
        print(f"pillarwatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from pillarwatch.demo import run_demo

        return run_demo(args.duration, args.seed, args.backfill_minutes, args.plain)
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


def _simulate(settings: Settings, args: argparse.Namespace) -> int:
    from pillarwatch.models.events import parse_ts
    from pillarwatch.produce import Traffic, produce

    end = time.time()
    start = parse_ts(args.start) if args.start else end - args.minutes * 60
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

    async def run() -> int:
        traffic = Traffic(sim, start)
        sent = await produce(settings, traffic.due(end), args.rate)
        print(f"produced {sent} events to {settings.topic}", flush=True)
        if args.live:
            sent += await produce(settings, traffic.live())
        return sent

    asyncio.run(run())
    return 0
