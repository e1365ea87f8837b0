"""The memory run: worker RSS idle, with open contacts, and per active queue."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from benchmarks.latency import probe_events
from benchmarks.procs import Proc, bench_settings, metric_total, overrides_arg, rss_bytes
from benchmarks.runs import START, BenchContext, Record, fresh_broker, poll, produce_all
from pillarwatch.models.simulation import iso
from pillarwatch.scrape import Samples

__all__ = ["MemoryRun", "consumed", "memory", "open_contacts", "queue_contacts", "settled"]


def consumed(samples: Samples | None) -> float:
    return (
        metric_total(samples, "pillarwatch_events_total")
        + metric_total(samples, "pillarwatch_events_rejected_total")
        + metric_total(samples, "pillarwatch_events_duplicate_total")
    )


def settled(samples: Samples | None, count: int) -> bool:
    """`count` input events counted and no message left in any stream."""
    return (
        samples is not None
        and consumed(samples) >= count
        and metric_total(samples, "faust_active_messages") <= 0
    )


@dataclass
class MemoryRun:
    baseline_bytes: int
    per_10k_open_bytes: float
    per_queue_bytes: float
    peak_bytes: int
    open_contacts: int
    queues: int


def open_contacts(n: int) -> list[Record]:
    """Contacts that are queued and nothing more: each stays open in the state tables."""
    queues = ("billing", "tech-support", "sales", "retention")
    out: list[Record] = []
    for i in range(n):
        cid = f"open-{i}"
        doc = {
            "event_id": cid,
            "type": "contact.queued",
            "ts": iso(START + i * 0.01),
            "contact_id": cid,
            "channel": "voice",
            "queue": queues[i % len(queues)],
            "customer_id": f"cust-{i % 5000}",
            "schema": 1,
        }
        out.append((cid.encode(), orjson.dumps(doc)))
    return out


def queue_contacts(queues: int) -> list[Record]:
    """One complete contact in each of `queues` new queues: series, buckets and summaries."""
    out: list[Record] = []
    for q in range(queues):
        cid = f"queue-{q}"
        base = {"contact_id": cid, "channel": "chat", "queue": f"bench-q{q}", "schema": 1}
        ts = START + 3600 + q
        for n, (etype, at) in enumerate(
            (
                ("contact.queued", 0),
                ("contact.answered", 5),
                ("contact.ended", 60),
                ("contact.wrapped", 70),
            )
        ):
            doc = {**base, "event_id": f"{cid}-{n}", "type": etype, "ts": iso(ts + at)}
            if etype == "contact.wrapped":
                doc["resolved"] = True
            out.append((cid.encode(), orjson.dumps(doc)))
    return out


def compacted_rss(pid: int) -> int:
    """RSS once the worker has collected its garbage (SIGUSR2, benchmarks/worker.py): a
    figure of what it holds. Without it the per-queue figure of a small run swung from +11 to
    -57 KB, as a collection after the open contacts freed megabytes."""
    os.kill(pid, signal.SIGUSR2)
    time.sleep(0.5)  # the handler runs between two steps of the worker's loop
    return rss_bytes(pid)


def memory(ctx: BenchContext, n_open: int, queues: int) -> MemoryRun:
    """RSS of a worker: idle, with `n_open` contacts open, then with `queues` more queues."""
    name = ctx.name("memory")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        warmup = probe_events(0, START)
        produce_all(settings, warmup)
        proc = Proc(
            "benchmarks.worker",
            settings,
            ctx.workdir / f"{name}.log",
            overrides_arg(ctx.overrides),
        ).start()
        try:

            def until(count: int) -> Callable[[], float | None]:
                def probe() -> float | None:
                    return 1.0 if settled(proc.samples(), count) else None

                return probe

            poll(until(len(warmup)), ctx.timeout, 0.2, [proc])
            baseline = compacted_rss(proc.pid)
            produce_all(settings, open_contacts(n_open))
            poll(until(len(warmup) + n_open), ctx.timeout, 0.2, [proc])
            with_open = compacted_rss(proc.pid)
            extra = queue_contacts(queues)
            produce_all(settings, extra)
            poll(until(len(warmup) + n_open + len(extra)), ctx.timeout, 0.2, [proc])
            proc.samples()  # one scrape: the window collectors build their series for every queue
            with_queues = compacted_rss(proc.pid)
            return MemoryRun(
                baseline_bytes=baseline,
                per_10k_open_bytes=(with_open - baseline) * 10_000 / max(n_open, 1),
                per_queue_bytes=(with_queues - with_open) / max(queues, 1),
                peak_bytes=rss_bytes(proc.pid, peak=True),
                open_contacts=n_open,
                queues=queues,
            )
        finally:
            proc.stop()
