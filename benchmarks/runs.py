"""The benchmark's throughput runs: bare client, bare Faust, the pipeline. Each on a fresh broker.

A fresh embedded broker per run keeps runs independent: `contact-summaries` has a fixed name,
so a second consumer group on the same broker would also read the first run's summaries.
The input stream is produced before a worker starts, so timing covers consuming only.
Latency and memory runs are in benchmarks/latency.py and benchmarks/memory.py.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from benchmarks.procs import (
    Proc,
    bench_settings,
    cpu_seconds,
    metric_total,
    overrides_arg,
    rss_bytes,
    with_port,
)
from pillarwatch.broker import EmbeddedBroker
from pillarwatch.models.events import decode, parse_ts
from pillarwatch.models.simulation import Simulation
from pillarwatch.produce import encode, produce
from pillarwatch.scrape import Samples
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import bootstrap_servers

__all__ = [
    "START",
    "BenchContext",
    "PipelineRun",
    "Record",
    "bare_consumer",
    "bare_faust",
    "fresh_broker",
    "pipeline",
    "poll",
    "processed_everything",
    "produce_all",
    "simulated_stream",
]

Record = tuple[bytes | None, bytes]
START = parse_ts("2026-03-02T00:00:00Z")
MB = 1024 * 1024
# How often a throughput run reads /metrics: each scrape costs the worker CPU (windows are
# computed at scrape time), so not faster than needed for a 1 % resolution on a 20 s run.
POLL_SECONDS = 0.2
# Longer than Faust's commit interval (2.8 s): by then the last commit has sent every held
# changelog write.
AFTER_COMMIT_SECONDS = 4.0
#: What `processed_everything` reads: each poll parses only these samples of the page (the
#: whole page took about 55 ms of the bench's CPU per read, beside the worker).
CAUGHT_UP_SERIES = frozenset(
    {
        "faust_messages_received_per_topic_total",
        "faust_topic_messages_sent_total",
        "faust_active_messages",
    }
)


@dataclass
class BenchContext:
    workdir: Path
    partitions: int
    overrides: dict[str, Any]
    timeout: float = 600.0
    #: The worker's table store: memory:// (the one-worker figures) or rocksdb:// (production,
    #: and always for the two-worker figure).
    store: str = "memory://"
    runs: int = 0
    #: py-spy's collapsed-stack output for the first one-worker pipeline run, when set.
    profile: Path | None = None

    def name(self, kind: str) -> str:
        self.runs += 1
        return f"{kind}-{self.runs}"


def simulated_stream(events: int, seed: int) -> list[Record]:
    """The first `events` events of a seeded simulation, keyed by contact id."""
    sim = Simulation(seed=seed)
    out: list[Record] = []
    hour = START
    while len(out) < events:
        for e in sim.events(hour, hour + 3600):
            out.append(encode(e))
        hour += 3600
    return out[:events]


@contextmanager
def fresh_broker(ctx: BenchContext, name: str) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=ctx.workdir / f"broker-{name}.log") as broker:
        yield broker


def produce_all(settings: Settings, records: list[Record]) -> None:
    sent = asyncio.run(produce(settings, records))
    assert sent == len(records)


def poll(
    probe: Callable[[], float | None], timeout: float, interval: float, procs: list[Proc]
) -> float:
    """Poll until probe() returns a time; raise with the log tail when a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        for p in procs:
            if not p.alive():
                raise RuntimeError(f"{p.module} exited: {p.tail()}")
        time.sleep(interval)
    raise TimeoutError(f"no result in {timeout}s; last log: {procs[0].tail() if procs else ''}")


def _by_topic(samples: list[Samples | None], name: str, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for s in samples:
        for labels, value in (s or {}).get(name, {}).items():
            topic = dict(labels).get("topic", "").removeprefix(prefix)
            out[topic] = out.get(topic, 0.0) + value
    return out


def processed_everything(
    samples: list[Samples | None], input_topic: str, expected: int, unread: set[str]
) -> bool:
    """Every hop has processed everything, from Faust's own sensor summed over the workers:
    the input topic's `expected` messages and every message any hop sent to a topic some hop
    reads were taken by a stream (`faust_messages_received_per_topic`), and no message is still
    in a stream (`faust_active_messages` is 0: a message leaves it when every stream reading it
    has acked it, after processing it). Changelogs and `unread` topics (the dead letters) are
    written but read by no agent."""
    if any(s is None for s in samples):
        return False
    received = _by_topic(samples, "faust_messages_received_per_topic_total")
    sent = _by_topic(samples, "faust_topic_messages_sent_total", prefix="topic.")
    if received.get(input_topic, 0.0) < expected:
        return False
    for topic, count in sent.items():
        if topic.endswith("-changelog") or topic in unread:
            continue
        if received.get(topic, 0.0) < count:
            return False
    return sum(metric_total(s, "faust_active_messages") for s in samples) <= 0


# 1 -------------------------------------------------------------------------------------------
def bare_consumer(ctx: BenchContext, records: list[Record]) -> float:
    """Events/s of a bare aiokafka consumer that reads and decodes every message."""
    name = ctx.name("consumer")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        produce_all(settings, records)
        return asyncio.run(_consume_all(settings, len(records)))


async def _consume_all(settings: Settings, expected: int) -> float:
    consumer = AIOKafkaConsumer(
        settings.topic,
        bootstrap_servers=bootstrap_servers(settings.broker),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        count = 0
        started = time.perf_counter()
        while count < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for messages in batches.values():
                for message in messages:
                    decode(message.value)
                count += len(messages)
        return count / (time.perf_counter() - started)
    finally:
        await consumer.stop()


# 2 -------------------------------------------------------------------------------------------
def bare_faust(ctx: BenchContext, records: list[Record], workers: int = 1) -> float:
    """Events/s of `workers` Faust agents in one group that only count, from the first
    message any of them took to the last (each writes its count and wall-clock times)."""
    name = ctx.name(f"faust{workers}")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        produce_all(settings, records)
        results = [ctx.workdir / f"{name}-w{i}.json" for i in range(workers)]
        procs = []
        for i, result in enumerate(results):
            result.unlink(missing_ok=True)
            procs.append(
                Proc(
                    "benchmarks.bare_faust",
                    settings if i == 0 else with_port(settings, i),
                    ctx.workdir / f"{name}-w{i}.log",
                    [str(result)],
                ).start()
            )
        docs: list[dict[str, float]] = []

        def counted_all() -> float | None:
            docs[:] = [orjson.loads(r.read_bytes()) for r in results if r.exists()]
            return 1.0 if sum(d["count"] for d in docs) >= len(records) else None

        try:
            poll(counted_all, ctx.timeout, 0.2, procs)
        finally:
            for p in procs:
                p.stop()
        first = min(d["first"] for d in docs if d["count"])
        last = max(d["last"] for d in docs if d["count"])
        return (len(records) - 1) / max(last - first, 1e-6)


# 3 and 6 -------------------------------------------------------------------------------------
@dataclass
class PipelineRun:
    events_per_s: float
    seconds: float
    peak_rss_bytes: int
    #: Worker CPU seconds (all workers) between the first poll that saw an event taken and
    #: the poll that saw every hop done: start-up excluded.
    cpu_seconds: float
    events_timed: int
    #: Messages the workers sent, by topic, over the whole run (changelogs included).
    sent_by_topic: dict[str, float]
    #: Median time of a /metrics fetch from the first worker once everything is processed:
    #: scrapes that follow no change (what the backtest's step scrapes mostly are).
    idle_scrape_seconds: float = 0.0


def pipeline(ctx: BenchContext, records: list[Record], workers: int = 1) -> PipelineRun:
    """Events/s of the full pipeline (`workers` real worker processes) until every hop has
    processed everything (`processed_everything`)."""
    name = ctx.name(f"pipeline{workers}-{ctx.store.rstrip(':/')}")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        produce_all(settings, records)
        procs = [
            Proc(
                "benchmarks.worker",
                settings if i == 0 else with_port(settings, i),
                ctx.workdir / f"{name}-w{i}.log",
                overrides_arg(ctx.overrides),
            ).start()
            for i in range(workers)
        ]
        spy = _profiler(ctx, procs[0]) if workers == 1 else None
        try:
            expected = len(records)
            first: list[tuple[float, float, float]] = []
            last: list[list[Samples | None]] = []

            def caught_up() -> float | None:
                samples = [p.samples(CAUGHT_UP_SERIES) for p in procs]
                last[:] = [samples]
                now = time.perf_counter()
                taken = sum(
                    metric_total(s, "faust_messages_received_per_topic_total", topic=settings.topic)
                    for s in samples
                )
                if taken and not first:
                    first.append((now, taken, sum(cpu_seconds(p.pid) for p in procs)))
                unread = {settings.dlq_topic}
                if processed_everything(samples, settings.topic, expected, unread):
                    return now
                return None

            done = poll(caught_up, ctx.timeout, POLL_SECONDS, procs)
            cpu_done = sum(cpu_seconds(p.pid) for p in procs)
            # Changelog writes wait for the worker's next commit (streams/changelog_buffer.py):
            # the messages sent are counted after one, not when processing is done (a short
            # run would otherwise count no changelog message at all).
            time.sleep(AFTER_COMMIT_SECONDS)
            last[:] = [[p.samples() for p in procs]]
            idle_scrape = procs[0].scrape_seconds()
            start, at_start, cpu_start = first[0]
            seconds = max(done - start, 1e-3)
            timed = int(expected - at_start)
            return PipelineRun(
                events_per_s=timed / seconds if done > start else 0.0,
                seconds=seconds,
                peak_rss_bytes=max(rss_bytes(p.pid, peak=True) for p in procs),
                cpu_seconds=cpu_done - cpu_start,
                events_timed=timed,
                sent_by_topic=_by_topic(last[0], "faust_topic_messages_sent_total", "topic."),
                idle_scrape_seconds=idle_scrape,
            )
        finally:
            for p in procs:
                p.stop()
            if spy is not None:
                spy.wait(60)  # py-spy writes its file when the worker exits


def _profiler(ctx: BenchContext, proc: Proc) -> subprocess.Popen[bytes] | None:
    """Attach py-spy (sampling, 100 Hz) to the worker of the first one-worker run."""
    if ctx.profile is None:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out, ctx.profile = ctx.profile, None
    with open(ctx.workdir / "py-spy.log", "ab") as log:
        return subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(proc.pid),
                "--rate",
                "100",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=log,
            stderr=log,
        )
