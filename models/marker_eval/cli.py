"""`pillarwatch markers eval`: precision and recall per language and marker, and speed.

    pillarwatch markers eval                      # the stream's detector on the test split
    pillarwatch markers eval --split dev --errors # what it gets wrong on dev (tune on this)
    pillarwatch markers eval --option all         # every option compared (needs scikit-learn)
    pillarwatch markers eval --bench              # µs per message on one core

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

from pillarwatch.models.marker_eval import options
from pillarwatch.models.marker_eval.bench import bench
from pillarwatch.models.marker_eval.gates import below_gate
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


def _detectors(names: list[str], dev: dict[str, list[Example]]) -> dict[str, Detector]:
    chosen: dict[str, Detector] = {"lexicon": options.lexicon, "untagged": options.untagged}
    if {"classifier", "either"} & set(names):
        from pillarwatch.models.marker_eval.classifier import train

        model = train(ex for rows in dev.values() for ex in rows)
        chosen["classifier"] = options.make_classifier(model)
        chosen["either"] = options.either(model)
    return {name: chosen[name] for name in names}


_OPTIONS = ("lexicon", "untagged", "classifier", "either")


def _eval(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="pillarwatch markers eval", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of dev/, test/")
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--option", choices=(*_OPTIONS, "all"), default="lexicon")
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
    detectors = _detectors(names, load_split("dev", args.data))
    if args.bench:
        bench(sets, detectors, max(1, args.repeats))
        return 0
    failing = 0
    for name, detector in detectors.items():
        gate = name == "lexicon" and args.split == "test"
        failing += _table(name, sets, detector, args.errors, gate)
    if args.split == "test" and "lexicon" in detectors:
        print(f"\n{failing} cell(s) of the stream's detector below their gate (gates.py)")
    return 1 if failing else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "eval":
        print("usage: pillarwatch markers eval [--split dev|test] [--option ...] [--bench]")
        return 2
    return _eval(args[1:])
