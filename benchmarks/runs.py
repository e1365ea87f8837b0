"""The benchmark's measurements, one function per figure. Each starts from a fresh broker.

A fresh embedded broker per run keeps runs independent: `contact-summaries` has a fixed name,
so a second consumer group on the same broker would also read the first run's summaries.
The input stream is produced before a worker starts, so timing covers consuming only.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

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
from pillarwatch.models.simulation import Simulation, iso
from pillarwatch.produce import encode, produce
from pillarwatch.scrape import Samples
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import bootstrap_servers

__all__ = [
    "BenchContext",
    "Record",
    "bare_consumer",
    "bare_faust",
    "latency",
    "memory",
    "pipeline",
    "simulated_stream",
]

Record = tuple[bytes | None, bytes]
START = parse_ts("2026-03-02T00:00:00Z")
SUMMARIES = "contact-summaries"
MB = 1024 * 1024
# How often a throughput run reads /metrics: each scrape costs the worker CPU (windows are
# computed at scrape time), so not faster than needed for a 1 % resolution on a 20 s run.
POLL_SECONDS = 0.2


@dataclass
class BenchContext:
    workdir: Path
    partitions: int
    overrides: dict[str, Any]
    timeout: float = 600.0
    #: The worker's table store: memory:// (the figures in docs/performance.md) or rocksdb://
    #: (production; the events/s per worker in docs/deploy.md).
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


def _produce(settings: Settings, records: list[Record]) -> None:
    sent = asyncio.run(produce(settings, records))
    assert sent == len(records)


def _poll(
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


def _consumed(samples: Samples | None) -> float:
    return (
        metric_total(samples, "pillarwatch_events_total")
        + metric_total(samples, "pillarwatch_events_rejected_total")
        + metric_total(samples, "pillarwatch_events_duplicate_total")
    )


def _summaries_backlog(samples: list[Samples | None]) -> float:
    """Summaries sent by the contacts agents and not yet received by the measures agents."""
    sent = sum(metric_total(s, "faust_topic_messages_sent_total", topic=SUMMARIES) for s in samples)
    got = sum(
        metric_total(s, "faust_messages_received_per_topic_total", topic=SUMMARIES) for s in samples
    )
    return sent - got


# 1 -------------------------------------------------------------------------------------------
def bare_consumer(ctx: BenchContext, records: list[Record]) -> float:
    """Events/s of a bare aiokafka consumer that reads and decodes every message."""
    name = ctx.name("consumer")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        _produce(settings, records)
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
def bare_faust(ctx: BenchContext, records: list[Record]) -> float:
    """Events/s of a Faust agent that only counts (first to last message)."""
    name = ctx.name("faust")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        _produce(settings, records)
        result = ctx.workdir / f"{name}.json"
        result.unlink(missing_ok=True)
        proc = Proc(
            "benchmarks.bare_faust",
            settings,
            ctx.workdir / f"{name}.log",
            [str(len(records)), str(result)],
        ).start()
        try:
            _poll(
                lambda: 1.0 if result.exists() and result.stat().st_size else None,
                ctx.timeout,
                0.2,
                [proc],
            )
        finally:
            proc.stop()
        doc = orjson.loads(result.read_bytes())
        return float(doc["count"] - 1) / float(doc["seconds"])


# 3 and 6 -------------------------------------------------------------------------------------
@dataclass
class PipelineRun:
    events_per_s: float
    seconds: float
    peak_rss_bytes: int
    cpu_seconds: float


def pipeline(ctx: BenchContext, records: list[Record], workers: int = 1) -> PipelineRun:
    """Events/s of the full pipeline (`workers` real worker processes) until all caught up.

    Caught up: every input event counted at /metrics, and every summary the contacts agents
    sent received by the measures agents (summed over the workers).
    """
    name = ctx.name(f"pipeline{workers}")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        _produce(settings, records)
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
            first: list[tuple[float, float]] = []

            def caught_up() -> float | None:
                samples = [p.samples() for p in procs]
                now = time.perf_counter()
                seen = sum(_consumed(s) for s in samples)
                if seen and not first:
                    first.append((now, seen))
                if seen >= expected and _summaries_backlog(samples) <= 0:
                    return now
                return None

            done = _poll(caught_up, ctx.timeout, POLL_SECONDS, procs)
            start, at_start = first[0]
            seconds = max(done - start, 1e-3)
            return PipelineRun(
                events_per_s=(expected - at_start) / seconds if done > start else 0.0,
                seconds=seconds,
                peak_rss_bytes=max(rss_bytes(p.pid, peak=True) for p in procs),
                cpu_seconds=sum(cpu_seconds(p.pid) for p in procs),
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


# 4 -------------------------------------------------------------------------------------------
def _probe_events(i: int) -> list[Record]:
    """A marker contact, queued then answered: its outcome increments contacts_total."""
    cid = f"bench-probe-{i}"
    base = {"contact_id": cid, "channel": "voice", "queue": "bench-probe", "schema": 1}
    ts = START + 10 * i
    return [
        (
            cid.encode(),
            orjson.dumps({**base, "event_id": f"{cid}-q", "type": "contact.queued", "ts": iso(ts)}),
        ),
        (
            cid.encode(),
            orjson.dumps(
                {
                    **base,
                    "event_id": f"{cid}-a",
                    "type": "contact.answered",
                    "ts": iso(ts + 1),
                    "agent_id": "bench-agent",
                }
            ),
        ),
    ]


def _probes_seen(samples: Samples | None) -> float:
    return metric_total(samples, "pillarwatch_contacts_total", queue="bench-probe")


@dataclass
class LatencyRun:
    p50: float
    p99: float
    probes: int
    rate: float


def latency(
    ctx: BenchContext, records: list[Record], rate: float, seconds: float, gap: float = 0.1
) -> LatencyRun:
    """Production-to-/metrics latency of marker contacts while the stream runs at `rate`."""
    name = ctx.name("latency")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        _produce(settings, [])  # creates the topics before the worker subscribes
        proc = Proc(
            "benchmarks.worker",
            settings,
            ctx.workdir / f"{name}.log",
            overrides_arg(ctx.overrides),
        ).start()
        try:
            return asyncio.run(_paced(ctx, settings, proc, records, rate, seconds, gap))
        finally:
            proc.stop()


async def _paced(
    ctx: BenchContext,
    settings: Settings,
    proc: Proc,
    records: list[Record],
    rate: float,
    seconds: float,
    gap: float,
) -> LatencyRun:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(settings.broker), linger_ms=5, acks="all"
    )
    await producer.start()
    try:
        # Warm-up probe: the worker has joined and is serving /metrics when it shows.
        for key, value in _probe_events(0):
            await producer.send_and_wait(settings.topic, value, key=key)
        await asyncio.to_thread(
            _poll,
            lambda: 1.0 if _probes_seen(proc.samples()) >= 1 else None,
            ctx.timeout,
            0.1,
            [proc],
        )
        paced = records[: max(1, int(rate * seconds))]
        background = asyncio.create_task(produce(settings, paced, rate=rate, producer=producer))
        delays: list[float] = []
        i = 0
        while not background.done():
            i += 1
            started = time.perf_counter()
            for key, value in _probe_events(i):
                await producer.send(settings.topic, value, key=key)
            while _probes_seen(await asyncio.to_thread(proc.samples)) < i + 1:
                if time.perf_counter() - started > ctx.timeout:
                    raise TimeoutError("a latency probe never became visible")
                await asyncio.sleep(0.05)  # 20 Hz
            delays.append(time.perf_counter() - started)
            await asyncio.sleep(gap)
        await background
    finally:
        await producer.stop()
    q = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else delays * 99
    return LatencyRun(p50=statistics.median(delays), p99=q[98], probes=len(delays), rate=rate)


# 5 -------------------------------------------------------------------------------------------
@dataclass
class MemoryRun:
    baseline_bytes: int
    per_10k_open_bytes: float
    per_queue_bytes: float
    peak_bytes: int
    open_contacts: int
    queues: int


def _open_contacts(n: int) -> list[Record]:
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


def _queue_contacts(queues: int) -> list[Record]:
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


def memory(ctx: BenchContext, open_contacts: int, queues: int) -> MemoryRun:
    """RSS of a worker: idle, with `open_contacts` open, then with `queues` more queues."""
    name = ctx.name("memory")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        warmup = _probe_events(0)
        _produce(settings, warmup)
        proc = Proc(
            "benchmarks.worker",
            settings,
            ctx.workdir / f"{name}.log",
            overrides_arg(ctx.overrides),
        ).start()
        try:

            def settled(count: int) -> Callable[[], float | None]:
                def probe() -> float | None:
                    s = proc.samples()
                    ok = _consumed(s) >= count and s is not None and _summaries_backlog([s]) <= 0
                    return 1.0 if ok else None

                return probe

            _poll(settled(len(warmup)), ctx.timeout, 0.2, [proc])
            baseline = rss_bytes(proc.pid)
            _produce(settings, _open_contacts(open_contacts))
            _poll(settled(len(warmup) + open_contacts), ctx.timeout, 0.2, [proc])
            with_open = rss_bytes(proc.pid)
            extra = _queue_contacts(queues)
            _produce(settings, extra)
            _poll(settled(len(warmup) + open_contacts + len(extra)), ctx.timeout, 0.2, [proc])
            proc.samples()  # one scrape: the window collectors build their series for every queue
            with_queues = rss_bytes(proc.pid)
            return MemoryRun(
                baseline_bytes=baseline,
                per_10k_open_bytes=(with_open - baseline) * 10_000 / max(open_contacts, 1),
                per_queue_bytes=(with_queues - with_open) / max(queues, 1),
                peak_bytes=rss_bytes(proc.pid, peak=True),
                open_contacts=open_contacts,
                queues=queues,
            )
        finally:
            proc.stop()
