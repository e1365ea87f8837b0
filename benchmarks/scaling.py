"""The two-worker figures (`make bench`, item 6), from interleaved rounds.

Each round runs, back to back: bare Faust with one worker, bare Faust with two, the pipeline
on rocksdb:// with one worker, the pipeline with two. The speed-ups are the medians of two
workers over the medians of one, each pair measured within the same minutes. Until session
16 bare Faust's one-worker figure came from the bench's first item, ten minutes before its
two-worker runs, and each setting ran its repeats in a block: a machine whose speed drifted
in between moved the speed-up by more than the goal's margin (docs/performance.md, "Session
16": the same code gave 0.686 to 1.032). Every round's own ratio is kept in the JSON, so a
run shows its spread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from statistics import median
from typing import Any

from benchmarks import runs as runs
from benchmarks.procs import load

__all__ = ["Round", "figures", "scaling"]


@dataclass(frozen=True)
class Round:
    """One round's four throughputs, events/s."""

    faust_one: float
    faust_two: float
    pipeline_one: float
    pipeline_two: float

    @property
    def speedup_vs_faust(self) -> float:
        """This round's pipeline speed-up as a fraction of bare Faust's."""
        return (self.pipeline_two / self.pipeline_one) / (self.faust_two / self.faust_one)


def figures(rounds: Sequence[Round]) -> dict[str, float]:
    """The bench's two-worker figures: medians over the rounds, and the rounds' spread."""
    if not rounds:
        raise ValueError("no scaling rounds")

    def mid(field: Callable[[Round], float]) -> float:
        return float(median(field(r) for r in rounds))

    f1, f2 = mid(lambda r: r.faust_one), mid(lambda r: r.faust_two)
    p1, p2 = mid(lambda r: r.pipeline_one), mid(lambda r: r.pipeline_two)
    per_round = [r.speedup_vs_faust for r in rounds]
    return {
        "bare_faust_scaling_one_worker_events_per_s": f1,
        "bare_faust_two_workers_events_per_s": f2,
        "bare_faust_two_worker_speedup": f2 / f1,
        "pipeline_rocksdb_events_per_s": p1,
        "two_workers_rocksdb_events_per_s": p2,
        "two_worker_speedup": p2 / p1,
        "two_worker_speedup_vs_faust": (p2 / p1) / (f2 / f1),
        # The rounds' own fractions: their median, and their spread. The median of ratios and
        # the ratio of medians above differ when the rounds spread (session 17: 0.94 and 1.11).
        "two_worker_speedup_vs_faust_median_round": float(median(per_round)),
        "two_worker_speedup_vs_faust_lowest_round": min(per_round),
        "two_worker_speedup_vs_faust_highest_round": max(per_round),
    }


def scaling(
    ctx: runs.BenchContext, records: list[Any], repeat: int
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Run `repeat` interleaved rounds; return the figures and each round's throughputs."""
    store = ctx.store
    done: list[Round] = []
    try:
        for i in range(repeat):
            faust_one = runs.bare_faust(ctx, records)
            faust_two = runs.bare_faust(ctx, records, workers=2)
            # On rocksdb://, the store the docs say to use with more than one worker.
            ctx.store = "rocksdb://"
            pipeline_one = runs.pipeline(ctx, records, workers=1).events_per_s
            pipeline_two = runs.pipeline(ctx, records, workers=2).events_per_s
            ctx.store = store
            r = Round(faust_one, faust_two, pipeline_one, pipeline_two)
            done.append(r)
            print(
                f"  scaling round {i + 1}/{repeat}: bare Faust {faust_one:,.1f} / "
                f"{faust_two:,.1f}, pipeline rocksdb:// {pipeline_one:,.1f} / "
                f"{pipeline_two:,.1f} (1 / 2 workers); speed-up vs bare Faust's "
                f"{r.speedup_vs_faust:.3f}  load {load()}",
                flush=True,
            )
    finally:
        ctx.store = store
    return figures(done), [asdict(r) for r in done]
