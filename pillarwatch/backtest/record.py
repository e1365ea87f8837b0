"""Recorded events through the real pipeline, paused at every step of event time.

The worker's windows end at its event-time clock (the newest event accepted), not the wall
clock, so the figures at event time T are what /metrics shows once every event up to T has
been processed and nothing later has. The feed therefore pauses per step: send the events of
(T - step, T], wait until the worker has accounted for all of them and its later hops
(summaries, journeys, pillar agents) have settled, scrape, stamp the scrape with T. Pacing
the feed at a fixed speed instead would stamp scrapes with a guessed event time, and the
guess drifts whenever the machine is busy. Pausing costs a round trip per step (one request
that settles and scrapes); that and the worker's work per step set the backtest's speed
(docs/alerting.md).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder

from pillarwatch.backtest.openmetrics import OpenMetricsWriter, write_openmetrics
from pillarwatch.broker import EmbeddedBroker, free_port
from pillarwatch.models.events import parse_ts
from pillarwatch.scrape import fetch
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.topics import bootstrap_servers, ensure_topics

__all__ = [
    "MAX_STRETCH_EVENTS",
    "MAX_STRETCH_STEPS",
    "Event",
    "Recording",
    "load_events",
    "record",
    "recorded",
    "stretches",
]


_partitioner = DefaultPartitioner()


class BacktestError(RuntimeError):
    """The input or the pipeline cannot be backtested; the message says why."""


@dataclass(frozen=True)
class Recording:
    path: Path  # the OpenMetrics file
    start: float  # event time of the first step
    end: float  # event time of the last step
    step: float
    steps: int
    events: int
    samples: int
    series: int
    unsettled: int  # steps whose scrape was taken before two scrapes agreed
    seconds: float  # wall time of the recording


Event = tuple[float, bytes | None, bytes]  # (event time, key, value)

# The longest stretch one broker and worker replay (`stretches`). Measured on a simulated week
# at 60 s steps (docs/alerting.md, "Speed"): stretches of 1,683 steps slowed to a crawl
# before their end, stretches of 918 took about 2.5 minutes each, two side by side.
MAX_STRETCH_STEPS = 1000
# The same for the events fed: a week at 300 s steps in stretches of about 82,000 events
# slowed down again (docs/alerting.md, "Speed"); stretches of 22,500 at 60 s steps did not.
MAX_STRETCH_EVENTS = 25_000


def load_events(path: Path) -> list[Event]:
    """Every non-empty line of a JSONL file, in event-time order (stable). A line without a
    readable `ts` keeps the time of the line before it: it is sent, and dead-lettered, as a
    live stream would."""
    events: list[Event] = []
    last = None
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            value = line.rstrip(b"\r\n")
            if not value:
                continue
            key, ts = None, None
            try:
                doc = orjson.loads(value)
                if isinstance(doc, dict):
                    ident = doc.get("contact_id") or doc.get("agent_id")
                    key = ident.encode() if isinstance(ident, str) else None
                    ts = parse_ts(doc["ts"]) if isinstance(doc.get("ts"), str) else None
            except (orjson.JSONDecodeError, ValueError):
                pass
            if ts is None:
                ts = last
            if ts is None:
                raise BacktestError(f"{path}:{number}: no event time (`ts`) before this line")
            last = ts
            events.append((ts, key, value))
    if not events:
        raise BacktestError(f"{path}: no events")
    events.sort(key=lambda e: e[0])
    return events


@contextmanager
def _pipeline(work: Path, config: Path | None) -> Iterator[tuple[Settings, str]]:
    """An embedded broker and one worker process, both stopped on the way out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILLARWATCH_")}
    with EmbeddedBroker(log_path=work / "broker.log") as broker:
        env.update(
            PILLARWATCH_BROKER=broker.url,
            PILLARWATCH_WEB_PORT=str(free_port()),
            PILLARWATCH_DATA_DIR=str(work / "worker-data"),
            PILLARWATCH_PARTITIONS="4",
            PILLARWATCH_LOG_LEVEL="error",
            PILLARWATCH_APP_ID="pillarwatch-backtest",
        )
        if config is not None:
            env["PILLARWATCH_CONFIG"] = str(config)
        settings = Settings.from_env(env)
        asyncio.run(ensure_topics(settings))
        with open(work / "worker.log", "ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "pillarwatch.backtest.worker"],
                env=env,
                stdout=log,
                stderr=log,
            )
        url = f"http://127.0.0.1:{env['PILLARWATCH_WEB_PORT']}"
        try:
            _wait_ready(url, worker, work / "worker.log")
            yield settings, url
        finally:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(10)


def _wait_ready(url: str, worker: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise BacktestError(f"worker exited {worker.returncode}: {log.read_text()[-2000:]}")
        try:
            fetch(url + "/ready")
            return
        except OSError:
            time.sleep(0.2)
    raise BacktestError(f"worker not ready in 120 s: {log.read_text()[-2000:]}")


async def _step_scrape(session: aiohttp.ClientSession, url: str, sent: int) -> tuple[str, bool]:
    """The worker's `pillarwatch_*` figures once it has read all `sent` messages and nothing
    is in flight (pillarwatch/backtest/worker.py), in one request. A warm-up burst can take
    longer than one request waits: asked again while the worker still makes progress; False
    once it makes none."""
    progress = -1
    while True:
        async with session.get(f"{url}/backtest/step", params={"input": str(sent)}) as resp:
            resp.raise_for_status()
            text = await resp.text()
            if resp.headers.get("X-Settled") == "1":
                return text, True
            now = orjson.loads(resp.headers.get("X-Progress", "{}")).get("progress")
        if now == progress:
            return text, False
        progress = now


async def _send_step(
    producer: AIOKafkaProducer, topic: str, partitions: list[int], step: list[Event]
) -> None:
    """A step's events as one record batch per partition (more only when one is full), each
    partition chosen as the producer's default partitioner would (by key).

    The embedded broker keeps every batch as an object and lists a partition's objects on
    every fetch that returns data; past about 4,000 batches in a partition a fetch takes
    hundreds of milliseconds, past 10,000 tens of seconds (docs/alerting.md, "Speed"). One
    batch per step instead of one per event keeps a replay's partitions small. The batches
    are not awaited to delivery: the worker's count of input messages read, not the broker's
    acknowledgement, says when the step has arrived.
    """
    batches: dict[int, BatchBuilder] = {}
    for _, key, value in step:
        partition = _partitioner(key, partitions, partitions)
        batch = batches.get(partition)
        if batch is None:
            batch = batches[partition] = producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:
            await producer.send_batch(batch, topic, partition=partition)
            batch = batches[partition] = producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)
    for partition, batch in batches.items():
        await producer.send_batch(batch, topic, partition=partition)


async def _feed(
    settings: Settings,
    events: list[Event],
    grid: list[float],
    url: str,
    writer: OpenMetricsWriter,
    stop: threading.Event,
) -> int:
    """Send the events step by step; scrape at every step of `grid` (earlier events, the
    chunk's warm-up, go in the first step's batch). Returns the unsettled steps.

    A step is one produce and one request (settle and scrape together). Step T+1's events
    are sent only after the figures at T have arrived, so those include nothing after T;
    the scrape at T is parsed and spooled in a thread while the worker takes step T+1.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(settings.broker), linger_ms=0, acks=1
    )
    await producer.start()
    partitions = sorted(await producer.partitions_for(settings.topic))
    sent = unsettled = 0
    spool = ThreadPoolExecutor(1)  # one thread: the spool files are written in step order
    loop = asyncio.get_running_loop()
    written: asyncio.Future[None] | None = None
    timeout = aiohttp.ClientTimeout(total=120)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for t in grid:
                if stop.is_set():
                    raise BacktestError("interrupted")
                end = bisect.bisect_right(events, t, lo=sent, key=lambda e: e[0])
                await _send_step(producer, settings.topic, partitions, events[sent:end])
                sent = end
                text, settled = await _step_scrape(session, url, sent)
                unsettled += not settled
                if written is not None:
                    await written
                written = loop.run_in_executor(spool, writer.add, text, t)
            if written is not None:
                await written
    finally:
        spool.shutdown(wait=True)
        await producer.stop()
    return unsettled


def _chunk(
    events: list[Event],
    grid: list[float],
    warmup: float,
    work: Path,
    config: Path | None,
    stop: threading.Event,
) -> tuple[OpenMetricsWriter, int]:
    """One stretch of the grid on its own broker and worker, fed from `warmup` before it."""
    if stop.is_set():  # stopped while this stretch waited for its turn
        raise BacktestError("interrupted")
    first = bisect.bisect_left(events, grid[0] - warmup, key=lambda e: e[0])
    last = bisect.bisect_right(events, grid[-1], key=lambda e: e[0])
    writer = OpenMetricsWriter(work / "spool")
    with _pipeline(work, config) as (settings, url):
        unsettled = asyncio.run(_feed(settings, events[first:last], grid, url, writer, stop))
    writer.close()
    return writer, unsettled


def stretches(
    grid: list[float],
    parallel: int,
    max_steps: int,
    step_events: list[int] | None = None,
    max_events: int = 0,
) -> list[list[float]]:
    """The grid cut into at least `parallel` stretches, and into more where one would have
    more than `max_steps` steps or `max_events` events (`step_events`: the events each step
    feeds; 0: no limit). The embedded broker slows down as a partition's batches pile up
    (`_send_step`), and both the steps and the events make batches, so a replay must not run
    too long on one broker. Cuts fall at equal shares of that budget, so the stretches run
    about as long as each other; without limits, at equal numbers of steps."""
    n = len(grid)
    events = step_events if step_events is not None else [0] * n
    cost = [
        (1 / max_steps if max_steps > 0 else 0.0) + (e / max_events if max_events > 0 else 0.0)
        for e in events
    ]
    if sum(cost) == 0:
        cost = [1.0] * n
    total = sum(cost)
    needed = math.ceil(total - 1e-9) if max_steps > 0 or max_events > 0 else 1
    count = max(1, min(n, max(parallel, needed)))
    bounds, spent = [0], 0.0
    for i, c in enumerate(cost[:-1]):
        spent += c
        if len(bounds) < count and spent >= total * len(bounds) / count:
            bounds.append(i + 1)
    bounds.append(n)
    return [grid[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _step_events(events: list[Event], grid: list[float]) -> list[int]:
    """How many events each step of the grid feeds (the first step: all up to it)."""
    times = [e[0] for e in events]
    ends = [bisect.bisect_right(times, t) for t in grid]
    return [b - a for a, b in itertools.pairwise([0, *ends])]


def record(
    events_path: Path,
    out: Path,
    step: float,
    config: Path | None = None,
    parallel: int = 1,
    warmup: float = 7200.0,
    progress: bool = False,
    max_steps: int = MAX_STRETCH_STEPS,
    max_events: int = MAX_STRETCH_EVENTS,
) -> Recording:
    """Feed `events_path` through fresh brokers and workers; the OpenMetrics file at `out`.

    The period is cut into stretches (`stretches`), `parallel` of them replayed side by side,
    each on its own broker and worker fed from `warmup` seconds before its stretch. One
    stretch (parallel=1 and max_steps=0, or a short period) is exact; with more, figures that
    look back further than the warm-up (repeat contacts, first-contact resolution, journeys)
    start short at each cut.
    """
    events = load_events(events_path)
    first, last = events[0][0], events[-1][0]
    start = (first // step + 1) * step
    grid = [start + i * step for i in range(int((last - start) // step) + 1)]
    if not grid:
        raise BacktestError(f"{events_path}: the events span less than one step ({step:g} s)")
    chunks = stretches(grid, parallel, max_steps, _step_events(events, grid), max_events)
    parallel = min(parallel, len(chunks))
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pillarwatch-backtest-") as tmp:
        dirs = [Path(tmp) / f"chunk-{n}" for n in range(len(chunks))]
        for d in dirs:
            d.mkdir()
        if progress:
            print(
                f"feeding {len(events)} events over {len(grid)} steps: {len(chunks)} "
                f"stretch(es) of at most {max(map(len, chunks))} steps, {parallel} side by side",
                flush=True,
            )
        # Ctrl-C reaches this thread only: it tells the replays to stop at their next step,
        # and each stops its worker and broker on the way out.
        stop = threading.Event()
        pool = ThreadPoolExecutor(parallel)
        futures = [
            pool.submit(_chunk, events, chunk, warmup, d, config, stop)
            for chunk, d in zip(chunks, dirs, strict=True)
        ]
        try:
            done = [f.result() for f in futures]
        except BaseException:
            stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        writers = [w for w, _ in done]
        write_openmetrics(writers, out)
    return Recording(
        path=out,
        start=grid[0],
        end=grid[-1],
        step=step,
        steps=len(grid),
        events=len(events),
        samples=sum(w.samples for w in writers),
        series=len(set().union(*(w.series for w in writers))),
        unsettled=sum(u for _, u in done),
        seconds=time.monotonic() - began,
    )


def recorded(path: Path, step: float) -> Recording:
    """An earlier recording (OpenMetrics written by `record`), to evaluate other rules on it
    without replaying the events again: its period is read from the sample timestamps."""
    first, last, samples = float("inf"), float("-inf"), 0
    series: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            head, _, ts = line.rstrip("\n").rpartition(" ")
            t = float(ts)
            first, last = min(first, t), max(last, t)
            samples += 1
            series.add(head.rpartition(" ")[0])
    if not samples:
        raise BacktestError(f"--recorded {path}: no samples")
    return Recording(
        path=path,
        start=first,
        end=last,
        step=step,
        steps=round((last - first) / step) + 1,
        events=0,
        samples=samples,
        series=len(series),
        unsettled=0,
        seconds=0.0,
    )
