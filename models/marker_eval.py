"""Precision and recall of models.markers on the labelled sets, and a speed benchmark.

    pillarwatch markers# table per language and marker, all and holdout
    pillarwatch markers--errors --split dev   # what the dev split gets wrong
    pillarwatch markers--bench         # ns per message of detect()

A marker is scored only where it counts: complaint on customer messages, apology and empathy on
agent messages (the stream applies the same rule). The exit status is 1 when any language and
marker falls below the target on its whole set, so the command can gate CI.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pillarwatch.models.markers import APOLOGY, COMPLAINT, EMPATHY, detect

__all__ = ["DEFAULT_DATA", "TARGET", "Counts", "Example", "load_sets", "main", "score"]

TARGET: Final = 0.9
DEFAULT_DATA: Final = Path(__file__).resolve().parent.parent / "tests" / "data" / "markers"
BITS: Final[dict[str, int]] = {"complaint": COMPLAINT, "apology": APOLOGY, "empathy": EMPATHY}
# Which markers count for which speaker.
ROLE_MASK: Final[dict[str, int]] = {"customer": COMPLAINT, "agent": APOLOGY | EMPATHY}


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled sentence."""

    lang: str
    text: str
    role: str
    labels: int
    holdout: bool


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives of one marker."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def load_sets(folder: Path = DEFAULT_DATA) -> dict[str, list[Example]]:
    """Read every <lang>.jsonl in `folder`; a malformed row is an error naming file and line."""
    sets: dict[str, list[Example]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        lang = path.stem
        rows = []
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                role = raw["role"]
                if role not in ROLE_MASK:
                    raise ValueError(f"role {role!r}")
                labels = 0
                for name in raw["labels"]:
                    labels |= BITS[name]
                rows.append(Example(lang, raw["text"], role, labels, raw.get("split") == "holdout"))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: bad row: {exc}") from exc
        sets[lang] = rows
    return sets


def score(examples: Iterable[Example]) -> dict[str, Counts]:
    """Counts per marker, each marker judged only on the role it counts for."""
    counts = {name: Counts() for name in BITS}
    for ex in examples:
        mask = ROLE_MASK[ex.role]
        found = detect(ex.text, ex.lang) & mask
        expected = ex.labels & mask
        for name, bit in BITS.items():
            if not bit & mask:
                continue
            got, want = bool(found & bit), bool(expected & bit)
            if got and want:
                counts[name].tp += 1
            elif got:
                counts[name].fp += 1
                counts[name].misses.append(f"FP {name}: {ex.text}")
            elif want:
                counts[name].fn += 1
                counts[name].misses.append(f"FN {name}: {ex.text}")
    return counts


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def _below(value: float | None) -> bool:
    return value is not None and value < TARGET


def _table(sets: dict[str, list[Example]], split: str, errors: bool) -> int:
    """Print the table; return how many language/marker cells miss the target overall."""
    print(f"{'lang':4} {'marker':9} {'pos':>3} {'P':>5} {'R':>5}   {'hold':>4} {'P':>5} {'R':>5}")
    failing = 0
    for lang, rows in sets.items():
        chosen = [r for r in rows if split == "all" or r.holdout == (split == "holdout")]
        overall = score(chosen)
        holdout = score(r for r in rows if r.holdout) if split == "all" else None
        for name, c in overall.items():
            flag = ""
            if _below(c.precision) or _below(c.recall) or c.tp + c.fn == 0:
                failing += 1
                flag = "  < target"
            hold = ""
            if holdout is not None:
                h = holdout[name]
                hold = f"   {h.tp + h.fn:4} {_fmt(h.precision)}  {_fmt(h.recall)}"
            print(
                f"{lang:4} {name:9} {c.tp + c.fn:3} {_fmt(c.precision)}  {_fmt(c.recall)}"
                f"{hold}{flag}"
            )
            if errors:
                for miss in c.misses:
                    print(f"       {miss}")
    return failing


def _bench(sets: dict[str, list[Example]], repeats: int) -> None:
    messages = [(ex.text, ex.lang) for rows in sets.values() for ex in rows]
    for label, with_lang in (("lang given", True), ("lang unknown", False)):
        runs = []
        for _ in range(repeats):
            start = time.perf_counter_ns()
            for text, lang in messages:
                detect(text, lang if with_lang else None)
            runs.append((time.perf_counter_ns() - start) / len(messages))
        print(
            f"detect ({label}): median {statistics.median(runs):,.0f} ns/message, "
            f"min {min(runs):,.0f}, max {max(runs):,.0f} "
            f"({len(messages)} messages x {repeats} repeats)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pillarwatch.models.marker_eval", description=__doc__
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of <lang>.jsonl")
    parser.add_argument("--split", choices=("all", "dev", "holdout"), default="all")
    parser.add_argument("--errors", action="store_true", help="list false positives/negatives")
    parser.add_argument("--bench", action="store_true", help="measure ns per message instead")
    parser.add_argument("--repeats", type=int, default=21, help="benchmark repeats")
    args = parser.parse_args(list(argv) if argv is not None else None)
    sets = load_sets(args.data)
    if not sets:
        print(f"no labelled sets in {args.data}", file=sys.stderr)
        return 2
    if args.bench:
        _bench(sets, max(1, args.repeats))
        return 0
    failing = _table(sets, args.split, args.errors)
    print(
        f"target: precision and recall >= {TARGET} per language and marker; {failing} cell(s) below"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
