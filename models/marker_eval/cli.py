"""`pillarwatch markers eval` and `train`: precision and recall per language and marker, and speed.

    pillarwatch markers eval                      # the stream's detector on the test split
    pillarwatch markers eval --split dev --errors # what it gets wrong on dev (tune on this)
    pillarwatch markers eval --option all         # every option compared
    pillarwatch markers eval --bench              # µs per message on one core (dev split)
    pillarwatch markers cv --option all           # 5-fold cross-validation on dev: choose here
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
from pillarwatch.models.marker_eval.classifier import QUESTION_CHOICES
from pillarwatch.models.marker_eval.crossval import FOLDS, cross_validate, merge
from pillarwatch.models.marker_eval.gates import GOAL, below_gate
from pillarwatch.models.marker_eval.options import NAMES, OPTIONS
from pillarwatch.models.marker_eval.scoring import Counts, Detector, score
from pillarwatch.models.marker_eval.sets import DEFAULT_DATA, Example, load_split

__all__ = ["main"]


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def _print_cells(name: str, cells: dict[str, dict[str, Counts]], errors: bool, gate: bool) -> int:
    """Print one option's table of (language, marker) cells; return how many miss their gate."""
    print(f"\n{name}\n{'lang':4} {'marker':9} {'pos':>3} {'P':>5} {'R':>5}")
    failing = 0
    for lang, counts in cells.items():
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
    _print_summary(cells)
    return failing


def _print_summary(cells: dict[str, dict[str, Counts]]) -> None:
    """Cells meeting the goal, and the mean precision and recall over cells."""
    flat = [c for counts in cells.values() for c in counts.values()]
    met = sum(
        c.precision is not None and c.recall is not None and min(c.precision, c.recall) >= GOAL
        for c in flat
    )
    precisions = [c.precision for c in flat if c.precision is not None]
    recalls = [c.recall for c in flat if c.recall is not None]
    mean_p = sum(precisions) / len(precisions) if precisions else None
    mean_r = sum(recalls) / len(recalls) if recalls else None
    means = f"mean P {_fmt(mean_p)} R {_fmt(mean_r)}"
    print(f"cells with P and R >= {GOAL}: {met} of {len(flat)}; {means}")


def _print_kinds(name: str, sets: dict[str, list[Example]], detector: Detector) -> None:
    """P/R per row kind (all languages together), when rows carry a `kind`."""
    kinds = sorted({ex.kind for rows in sets.values() for ex in rows if ex.kind})
    if not kinds:
        return
    header = f"{'kind':24} {'marker':9} {'pos':>3} {'FP':>3} {'P':>5} {'R':>5}"
    print(f"\n{name}, per kind (all languages)\n{header}")
    for kind in kinds:
        totals: dict[str, Counts] = {}
        merge(
            totals,
            score([ex for rows in sets.values() for ex in rows if ex.kind == kind], detector),
        )
        for marker, c in totals.items():
            if c.tp + c.fn + c.fp:
                print(
                    f"{kind:24} {marker:9} {c.tp + c.fn:3} {c.fp:3} "
                    f"{_fmt(c.precision)}  {_fmt(c.recall)}"
                )


# The option the stream runs: the gate applies to it.
_STREAM = "combined"


def _eval(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="pillarwatch markers eval", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of dev/, test/")
    parser.add_argument("--split", choices=("dev", "test"), help="default: test; dev with --bench")
    parser.add_argument("--option", choices=(*NAMES, "all"), default=_STREAM)
    parser.add_argument("--errors", action="store_true", help="list mistakes (dev split only)")
    parser.add_argument("--bench", action="store_true", help="µs per message on one core")
    parser.add_argument("--repeats", type=int, default=20, help="benchmark calls per message")
    args = parser.parse_args(list(argv))
    split = args.split or ("dev" if args.bench else "test")
    if args.errors and split != "dev":
        parser.error("--errors lists dev mistakes only: tune on dev, report on test")
    sets = load_split(split, args.data)
    if not sets:
        print(f"no {split} split: {args.data / split}/ is empty", file=sys.stderr)
        return 2
    names = list(NAMES) if args.option == "all" else [args.option]
    detectors = {name: OPTIONS[name] for name in names}
    if args.bench:
        bench(sets, detectors, max(1, args.repeats))
        return 0
    failing = 0
    for name, detector in detectors.items():
        gate = name == _STREAM and split == "test"
        cells = {lang: score(rows, detector) for lang, rows in sets.items()}
        failing += _print_cells(name, cells, args.errors, gate)
        _print_kinds(name, sets, detector)
    if split == "test" and _STREAM in detectors:
        print(f"\n{failing} cell(s) of the stream's detector below their gate (gates.py)")
    return 1 if failing else 0


def _veto(raw: str) -> float | list[float | None]:
    """--veto: a probability, or three (complaint, apology, empathy) where 'none' never vetoes."""
    parts = raw.split(",")
    if len(parts) == 1:
        return float(raw)
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("give one probability or three: complaint,apology,empathy")
    return [None if part.strip() == "none" else float(part) for part in parts]


def _cv(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="pillarwatch markers cv",
        description="k-fold cross-validation on dev, the classifier retrained per fold "
        "(needs scikit-learn). Choose options and settings here, never on the test split.",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of dev/")
    parser.add_argument("--option", choices=(*NAMES, "all"), default=_STREAM)
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--threshold", type=float, help="classifier probability threshold")
    parser.add_argument(
        "--veto",
        type=_veto,
        help="a lexicon find counts when the classifier gives it this probability: one for "
        "every marker, or complaint,apology,empathy with 'none' for no veto (none,0.05,0.05)",
    )
    parser.add_argument(
        "--batches",
        help="comma-separated sources: leave each batch out in turn instead of k folds "
        "(e.g. retired-test-2026-12,dev-2026-12h: batches no lexicon entry was written from)",
    )
    parser.add_argument("--errors", action="store_true", help="list held-out mistakes")
    parser.add_argument("--pairs", action=argparse.BooleanOptionalAction, help="word-pair features")
    parser.add_argument(
        "--openers",
        action=argparse.BooleanOptionalAction,
        help="the question word also for a message that starts with a question word",
    )
    parser.add_argument(
        "--pair-min", type=float, help="with --pairs: keep pairs weighing at least this"
    )
    parser.add_argument(
        "--question",
        choices=QUESTION_CHOICES,
        help="which markers get the question pseudo-word (a message with a question mark)",
    )
    parser.add_argument(
        "--source",
        help="count only held-out rows of this source (e.g. retired-test: rows no lexicon "
        "entry was written from)",
    )
    args = parser.parse_args(list(argv))
    sets = load_split("dev", args.data)
    if not sets:
        print(f"no labelled sets in {args.data / 'dev'}", file=sys.stderr)
        return 2
    names = list(NAMES) if args.option == "all" else [args.option]
    source = args.source
    batches = tuple(args.batches.split(",")) if args.batches else ()
    totals = cross_validate(
        sets,
        names,
        max(2, args.folds),
        args.threshold,
        scored=lambda ex: source is None or ex.source == source,
        pairs=args.pairs,
        question=args.question,
        pair_min=args.pair_min,
        veto=args.veto,
        batches=batches,
        openers=args.openers,
    )
    rows = "" if source is None else f", rows of source {source}"
    how = f"batches {', '.join(batches)} each held out" if batches else f"{args.folds}-fold CV"
    for name in names:
        title = f"{name} ({how} on dev{rows})"
        _print_cells(title, totals[name], args.errors, False)
    return 0


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


_USAGE = "usage: pillarwatch markers eval [--split dev|test] [--option ...] [--bench] | cv | train"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {"eval": _eval, "cv": _cv, "train": _train}
    if not args or args[0] not in commands:
        print(_USAGE, file=sys.stderr)
        return 2
    return commands[args[0]](args[1:])
