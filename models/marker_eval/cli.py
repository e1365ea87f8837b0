"""`pillarwatch markers eval` and `train`: precision and recall per language and marker, and speed.

    pillarwatch markers eval                      # the stream's detector on the test split
    pillarwatch markers eval --split dev --errors # what it gets wrong on dev (tune on this)
    pillarwatch markers eval --option all         # every option compared
    pillarwatch markers eval --bench              # µs per message on one core
    pillarwatch markers train                     # retrain the n-gram model on dev

A marker is scored only where it counts: complaint on customer messages, apology and empathy on
agent messages. Errors are listed for the dev split only: the test split is for reporting, and
looking at its mistakes while tuning would make its figures meaningless. The exit status is 1
when a cell of the stream's detector falls below its gate (gates.py), so it can gate CI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pillarwatch.models.marker_eval.bench import bench
from pillarwatch.models.marker_eval.gates import below_gate
from pillarwatch.models.marker_eval.options import OPTIONS
from pillarwatch.models.marker_eval.scoring import Counts, Detector, score
from pillarwatch.models.marker_eval.sets import DEFAULT_DATA, Example, load_split

__all__ = ["main"]


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def _table(
    name: str, sets: dict[str, list[Example]], detector: Detector, errors: bool, gate: bool
) -> int:
    """Print one option's table; return how many cells are below their gate."""
    print(f"\n{name}\n{'lang':4} {'marker':9} {'pos':>3} {'P':>5} {'R':>5}")
    failing = 0
    for lang, rows in sets.items():
        counts: dict[str, Counts] = score(rows, detector)
        for marker, c in counts.items():
            flag = ""
            if gate and below_gate(lang, marker, c):
                failing += 1
                flag = "  < gate"
            print(
                f"{lang:4} {marker:9} {c.tp + c.fn:3} {_fmt(c.precision)}  {_fmt(c.recall)}{flag}"
            )
            if errors:
                for miss in c.misses:
                    print(f"       {miss}")
    return failing


_OPTIONS = ("lexicon", "classifier", "combined", "untagged")
# The option the stream runs: the gate applies to it.
_STREAM = "combined"


def _eval(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="pillarwatch markers eval", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of dev/, test/")
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--option", choices=(*_OPTIONS, "all"), default=_STREAM)
    parser.add_argument("--errors", action="store_true", help="list mistakes (dev split only)")
    parser.add_argument("--bench", action="store_true", help="µs per message on one core")
    parser.add_argument("--repeats", type=int, default=20, help="benchmark calls per message")
    args = parser.parse_args(list(argv))
    if args.errors and args.split != "dev":
        parser.error("--errors lists dev mistakes only: tune on dev, report on test")
    sets = load_split(args.split, args.data)
    if not sets:
        print(f"no labelled sets in {args.data / args.split}", file=sys.stderr)
        return 2
    names = list(_OPTIONS) if args.option == "all" else [args.option]
    detectors = {name: OPTIONS[name] for name in names}
    if args.bench:
        bench(sets, detectors, max(1, args.repeats))
        return 0
    failing = 0
    for name, detector in detectors.items():
        gate = name == _STREAM and args.split == "test"
        failing += _table(name, sets, detector, args.errors, gate)
    if args.split == "test" and _STREAM in detectors:
        print(f"\n{failing} cell(s) of the stream's detector below their gate (gates.py)")
    return 1 if failing else 0


def _train(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pillarwatch markers train",
        description="Train the n-gram classifier on the dev split (needs scikit-learn).",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of dev/, test/")
    args = parser.parse_args(list(argv))
    from pillarwatch.models.marker_eval.classifier import write_model

    path = write_model(args.data)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


_USAGE = "usage: pillarwatch markers eval [--split dev|test] [--option ...] [--bench] | train"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {"eval": _eval, "train": _train}
    if not args or args[0] not in commands:
        print(_USAGE, file=sys.stderr)
        return 2
    return commands[args[0]](args[1:])
