"""The latency run: from producing a probe contact to the figure a supervisor sees at /metrics.

The stream is produced at a fixed rate with its timestamps moved to the wall clock (event i at
start + i / rate), so event time runs like live traffic and a 5-minute window means five
minutes. Every `seconds / PROBES` a probe contact (queued, then answered one second later by
event time) is sent in a queue of its own, without waiting for the previous one. A probe is
visible when `pillarwatch_window_contacts{queue=<its queue>, window="5m"}` shows it: the
summary has gone through every hop to the measures buckets and the scrape-time window gauges.
The first hop's own `pillarwatch_contacts_total` for the probe's queue is timed as well.
/metrics is read again after a pause of `PAUSE_PER_READ` times the last read's time; a probe's
latency is from sending it to the end of the first read that shows it. Each read costs the
worker a scrape (the window gauges are computed then), so the pause follows what a read costs:
a fixed 20 Hz needed the worker's whole core for the reads once a scrape took 50 ms, and the
latency measured the reads. The watcher asks for the two series it reads (`PROBE_SERIES`, as
`/metrics?name[]=...`, streams/sensor.py), so the worker writes out those samples and not the
whole page of about a thousand lines (session 13), and parses only them: the whole page took
about 55 ms of the bench's CPU per read, on the two cores the worker and the broker use.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaProducer

from benchmarks.procs import Proc, bench_settings, metric_total, overrides_arg
from benchmarks.runs import BenchContext, Record, fresh_broker, poll, produce_all
from pillarwatch.models.simulation import iso
from pillarwatch.produce import produce
from pillarwatch.scrape import Samples
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import bootstrap_servers

__all__ = ["PROBES", "LatencyRun", "latency", "probe_events"]

#: Probes per run, at least: enough that the p99 is not simply the maximum of a handful.
PROBES = 60
#: The watcher's pause between reads, as a multiple of an idle read's time: the reads then take
#: at most about a fifth of the worker's core, and a cheaper scrape gives a finer reading.
PAUSE_PER_READ = 4.0
MIN_PAUSE_SECONDS = 0.02
#: The samples the watcher reads from each scrape.
PROBE_SERIES = frozenset({"pillarwatch_contacts_total", "pillarwatch_window_contacts"})
WINDOW = "5m"


def probe_queue(i: int) -> str:
    return f"bench-probe-{i}"


def probe_events(i: int, ts: float) -> list[Record]:
    """Probe contact `i`, queued at `ts` and answered at `ts + 1`, in its own queue."""
    cid = f"bench-probe-{i}"
    base = {"contact_id": cid, "channel": "voice", "queue": probe_queue(i), "schema": 1}
    queued = {**base, "event_id": f"{cid}-q", "type": "contact.queued", "ts": iso(ts)}
    answered = {
        **base,
        "event_id": f"{cid}-a",
        "type": "contact.answered",
        "ts": iso(ts + 1),
        "agent_id": "bench-agent",
    }
    return [(cid.encode(), orjson.dumps(queued)), (cid.encode(), orjson.dumps(answered))]


def _in_window(samples: Samples | None, i: int) -> bool:
    return (
        metric_total(samples, "pillarwatch_window_contacts", queue=probe_queue(i), window=WINDOW)
        > 0
    )


def _counted(samples: Samples | None, i: int) -> bool:
    return metric_total(samples, "pillarwatch_contacts_total", queue=probe_queue(i)) > 0


def _retimed(records: list[Record], start: float, rate: float) -> list[Record]:
    """The records with event i at `start + i / rate` (their order is kept)."""
    out: list[Record] = []
    for i, (key, value) in enumerate(records):
        doc = orjson.loads(value)
        doc["ts"] = iso(start + i / rate)
        out.append((key, orjson.dumps(doc)))
    return out


@dataclass
class LatencyRun:
    p50: float
    p99: float
    probes: int
    rate: float
    #: The same probes to the first hop's counter only (pillarwatch_contacts_total).
    first_hop_p50: float
    first_hop_p99: float
    #: The median read of /metrics (fetch and parse) during the run, and the pause after it.
    read_seconds: float = 0.0
    pause_seconds: float = 0.0


def _quantiles(delays: list[float]) -> tuple[float, float]:
    if len(delays) < 2:
        return (delays[0], delays[0]) if delays else (0.0, 0.0)
    q = statistics.quantiles(delays, n=100, method="inclusive")
    return statistics.median(delays), q[98]


def latency(ctx: BenchContext, records: list[Record], rate: float, seconds: float) -> LatencyRun:
    """Latency of probe contacts to the 5m window gauge while the stream runs at `rate`."""
    name = ctx.name("latency")
    with fresh_broker(ctx, name) as broker:
        settings = bench_settings(broker, ctx.workdir, name, ctx.partitions, ctx.store)
        produce_all(settings, [])  # creates the topics before the worker subscribes
        proc = Proc(
            "benchmarks.worker",
            settings,
            ctx.workdir / f"{name}.log",
            overrides_arg(ctx.overrides),
        ).start()
        try:
            return asyncio.run(_paced(ctx, settings, proc, records, rate, seconds))
        finally:
            proc.stop()


async def _paced(
    ctx: BenchContext,
    settings: Settings,
    proc: Proc,
    records: list[Record],
    rate: float,
    seconds: float,
) -> LatencyRun:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(settings.broker), linger_ms=5, acks="all"
    )
    await producer.start()
    try:
        # Warm-up probe (number 0): the worker has joined and serves /metrics when it shows.
        for key, value in probe_events(0, time.time()):
            await producer.send_and_wait(settings.topic, value, key=key)
        await asyncio.to_thread(
            poll,
            lambda: 1.0 if _in_window(proc.samples(PROBE_SERIES), 0) else None,
            ctx.timeout,
            0.1,
            [proc],
        )
        start = time.time()
        paced = _retimed(records[: max(1, int(rate * seconds))], start, rate)
        background = asyncio.create_task(produce(settings, paced, rate=rate, producer=producer))
        sent: dict[int, float] = {}
        window: dict[int, float] = {}
        first_hop: dict[int, float] = {}
        gap = seconds / PROBES
        reads: list[float] = []
        watcher = asyncio.create_task(_watch(proc, sent, window, first_hop, reads))
        for i in range(1, PROBES + 1):
            sent[i] = time.perf_counter()
            for key, value in probe_events(i, time.time()):
                await producer.send(settings.topic, value, key=key)
            await asyncio.sleep(gap)
        await background
        deadline = time.perf_counter() + ctx.timeout
        while len(window) < len(sent) and time.perf_counter() < deadline and not watcher.done():
            await asyncio.sleep(0.1)
        watcher.cancel()
        if len(window) < len(sent):
            raise TimeoutError(f"{len(sent) - len(window)} latency probes never became visible")
    finally:
        await producer.stop()
    p50, p99 = _quantiles(list(window.values()))
    hop50, hop99 = _quantiles(list(first_hop.values()))
    read = statistics.median(reads) if reads else 0.0
    return LatencyRun(p50, p99, len(window), rate, hop50, hop99, read, _pause(read))


def _pause(read_seconds: float) -> float:
    return max(MIN_PAUSE_SECONDS, PAUSE_PER_READ * read_seconds)


async def _watch(
    proc: Proc,
    sent: dict[int, float],
    window: dict[int, float],
    first_hop: dict[int, float],
    reads: list[float],
) -> None:
    """Read /metrics, pausing `PAUSE_PER_READ` times each read's time before the next; note
    when each sent probe first shows in each figure and how long each read took."""
    while True:
        started = time.perf_counter()
        samples = await asyncio.to_thread(proc.samples, PROBE_SERIES)
        now = time.perf_counter()
        reads.append(now - started)
        for i, at in list(sent.items()):
            if i not in first_hop and _counted(samples, i):
                first_hop[i] = now - at
            if i not in window and _in_window(samples, i):
                window[i] = now - at
        await asyncio.sleep(_pause(now - started))
