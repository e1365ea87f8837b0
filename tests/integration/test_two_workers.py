"""Scale-out: two workers of one app on the embedded broker, with the production store.

Both workers run `rocksdb://` (standby replicas on) with their own data directory and web
port, in one consumer group. The tests check that

- both workers own partitions (pillarwatch_partitions_assigned, and which input partitions
  each one received messages on: disjoint, all of them together);
- the two workers' /metrics, added up as the dashboards do, equal one worker's on the same
  seeded stream and the reference, signal pillars included: counters summed, and
  each queue's window measures, pillar scores and staffing gauges on exactly one worker (a
  series on both would count twice in `sum by (queue, channel)`);
- when one worker stops mid-stream (SIGTERM, or SIGKILL), the other takes all partitions
  and, as the rest of the stream is produced, its core windows (volumes, measures, Time &
  Effort and Resolution) equal the reference of the whole stream exactly: the table state
  moved with the partitions.

Three things in the setup, each for a reason found here:

1. Every worker runs with Faust's `producer_max_batch_size=1`. The embedded broker's
   ListOffsets reports the start of the last record batch + 1 as a partition's end offset
   (a property of the embedded broker, pillarwatch/broker.py). Without this, the survivor
   of a SIGTERM crashed while promoting its standby:
   `ConsistencyError: The persisted offset for changelog topic partition
   TP(topic='pw-two-minute-buckets-changelog', partition=0) is higher than the last offset in
   that topic (highwater) (1689 > 1687)` (the standby had read records past the end offset
   the broker reported). aiokafka always puts a first record into a batch and no second one
   over the size, so every record is a batch of its own and the end offset is the true one.
   Apache Kafka, which production runs, reports the true end offset. Set
   PILLARWATCH_TEST_MULTI_RECORD_BATCHES=1 to run without the workaround.
2. Every stream part ends with contacts in one minute, on every queue and on every
   partition (tests/support/scaleout.py `closing_contacts`), so that every worker's
   event-time clock (streams/clock.py: the newest event of its input partitions, where
   windows end) reaches the stream's last minute. Before the clock,
   windows ended at the newest minute of the queues a worker owned, and two workers showed
   other figures than one (billing/chat: 9 contacts in 5m and 66 in 1h, against 8 and 65);
   tests/streams/test_stream_clock.py.
3. After the fail-over the signal pillars (empathy, expectations, integrity,
   personalisation) must equal the reference too. This test found their signals counted
   twice after a partition moved (12 to 21 series off per run); signals now carry ids and
   the customer-keyed pillars skip summaries they applied (tests/streams/test_signal_replay.py).
   One difference is allowed, and printed: whether a promised callback was kept. The
   integrity sweep judges a promise broken once the worker's event time is 30 minutes past
   its due time; the survivor replays the stopped worker's backlog behind its own partitions
   (here, at hours of event time per second), so a callback kept in time can be judged
   broken before its summary is read. The reference judges once, at the end. Only the
   callbacks-kept ratio, its component and the integrity score of the same queue and window
   may differ; anything else fails.

The memory store test is a strict xfail: it shows a worker keeping, after a rebalance, the
series of the queues it lost (faust/stores/memory.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip(
    "rocksdict", reason="needs the rocksdb extra: pip install 'pillarwatch[rocksdb]'"
)

from pillarwatch.broker import EmbeddedBroker, free_port
from pillarwatch.models.config import Config
from pillarwatch.models.pillars import signal_pillars as pillars
from pillarwatch.produce import Record, produce
from pillarwatch.scrape import Samples
from tests.support.brokers import private_broker
from tests.support.expected import converge_samples, counter_mismatches, mismatches, stream
from tests.support.reference import reference
from tests.support.scaleout import active_partitions, closing_contacts, merge, per_queue_series
from tests.support.worker import WorkerProcess, total, wait_for, worker_env

# Each step waits for its own condition with its own bound (120-180 s); this cap is for a test
# that hangs. At 300 s it ended the fail-over test at load 15-17 while it was still converging
# (docs/performance.md, "Session 5"): the steps' bounds add up to far more.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

#: One record per producer batch: the workaround for the broker's end offsets (docstring).
#: PILLARWATCH_TEST_MULTI_RECORD_BATCHES=1 runs without it, to see the fault.
ONE_RECORD_BATCHES: dict[str, object] = (
    {}
    if os.environ.get("PILLARWATCH_TEST_MULTI_RECORD_BATCHES")
    else {"producer_max_batch_size": 1}
)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    with private_broker(tmp_path) as b:
        yield b


def rocksdb_worker(env: dict[str, str], tmp: Path, name: str) -> WorkerProcess:
    """A worker of the app in `env`, with its own web port and data directory."""
    own = {
        **env,
        "PILLARWATCH_STORE": "rocksdb://",
        "PILLARWATCH_WEB_PORT": str(free_port()),
        "PILLARWATCH_DATA_DIR": str(tmp / f"data-{name}"),
    }
    worker = WorkerProcess(own, tmp / f"{name}.log")
    worker.faust_overrides = dict(ONE_RECORD_BATCHES)
    return worker


@dataclass
class Pair:
    """Two workers of one app, read together."""

    a: WorkerProcess
    b: WorkerProcess

    def both(self) -> list[Samples] | None:
        sa, sb = self.a.samples(), self.b.samples()
        return None if sa is None or sb is None else [sa, sb]

    def merged(self) -> Samples | None:
        both = self.both()
        return merge(both)[0] if both else None

    def stop(self) -> None:
        """Stop both; each must exit cleanly. b, when the test has stopped it already, was
        checked then (a SIGKILLed worker exits -9)."""
        b_running = self.b.proc is not None and self.b.proc.poll() is None
        stop_all(self.a, *([self.b] if b_running else []))

    def logs(self) -> str:
        return "".join(
            f"\n--- {w.log.name}\n" + w.log.read_text()[-1500:] for w in (self.a, self.b)
        )


def counted(samples: Samples | None) -> float:
    return total(samples, "pillarwatch_events_total") if samples else 0.0


def settled(pair: Pair, all_active: float) -> bool:
    """Both workers hold active partitions, and together all of them (the rebalance is done)."""
    both = pair.both()
    if both is None:
        return False
    actives = [active_partitions(s) or 0.0 for s in both]
    return min(actives) > 0 and sum(actives) == all_active


def input_partitions(samples: Samples, topic: str) -> set[str]:
    """Partitions of `topic` this worker received messages from (Faust's own sensor)."""
    series = samples.get("faust_messages_received_per_topics_partition", {})
    return {dict(labels)["partition"] for labels in series if dict(labels)["topic"] == topic}


def float_differences(
    got: dict[tuple[str, object], float], want: dict[tuple[str, object], float]
) -> list[str]:
    out = [f"{k}: only in one worker's result" for k in got.keys() ^ want.keys()]
    out += [
        f"{k}: {got[k]} != {want[k]}"
        for k in got.keys() & want.keys()
        if abs(got[k] - want[k]) > 1e-9 * max(1.0, abs(want[k]))
    ]
    return out


def stop_all(*workers: WorkerProcess) -> None:
    codes = {w.log.name: w.stop() for w in workers}
    assert all(c in (0, None) for c in codes.values()), codes


def start_pair(broker: EmbeddedBroker, tmp: Path, name: str) -> tuple[Pair, float]:
    """Two workers of one app, and how many partitions they hold together: a alone first
    (one member holds them all), then b, until the rebalance has given both a share."""
    env = worker_env(broker, tmp, name)
    pair = Pair(rocksdb_worker(env, tmp, f"{name}-a"), rocksdb_worker(env, tmp, f"{name}-b"))
    pair.a.start()
    all_active = wait_for(lambda: active_partitions(pair.a.samples()), timeout=120)
    assert all_active, "the first worker never got its partitions" + pair.logs()
    pair.b.start()
    ok = wait_for(lambda: settled(pair, all_active), timeout=120, interval=0.5)
    assert ok, f"the two workers never shared the {all_active} partitions" + pair.logs()
    return pair, all_active


def fail_over(
    pair: Pair, rest: list[Record], whole: list[Record], sig: int, all_active: float
) -> None:
    """Stop b with `sig` halfway through `rest`; a must end with all partitions and the state
    of the whole stream."""
    half = len(rest) // 2
    before = counted(pair.merged())
    asyncio.run(produce(pair.a.settings, rest[:half]))
    # Let b take part: wait until both have counted the new events between them.
    ok = wait_for(lambda: counted(pair.merged()) >= before + half, timeout=120, interval=0.2)
    assert ok, "the first half of the rest was not processed" + pair.logs()
    code = pair.b.stop(sig, timeout=60)
    assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL), pair.logs()
    asyncio.run(produce(pair.a.settings, rest[half:]))
    ok = wait_for(lambda: active_partitions(pair.a.samples()) == all_active, timeout=120)
    assert ok, "the survivor did not take every partition" + pair.logs()
    values = [v for _, v in whole]
    # The core windows (volumes, measures, Time & Effort and Resolution): exact.
    converge_samples(pair.a.samples, reference(values, Config()), 180, pair.logs)
    samples = pair.a.samples() or {}
    assert active_partitions(samples) == all_active
    assert samples["pillarwatch_partitions_assigned"][(("state", "standby"),)] == 0
    # The signal pillars too, but for the callback judgement (docstring, item 3).
    full = reference(values, Config(), pillars())
    wait_for(lambda: not mismatches(pair.a.samples(), full), timeout=30)
    differ = mismatches(pair.a.samples(), full)
    judged = callback_judgements(differ)
    assert not [d for d in differ if d not in judged], "\n".join(differ)
    if judged:
        print(
            f"\ncallback judgements differ after the fail-over ({len(judged)}):\n"
            + "\n".join(judged)
        )


def callback_judgements(differences: list[str]) -> list[str]:
    """The differences explained by a callback judged broken early (docstring, item 3): the
    callbacks-kept ratio and component, and the integrity score of a queue and window whose
    component differs too."""
    kept = [d for d in differences if "callback_kept_ratio" in d or "'callbacks_kept'" in d]
    places = {
        re.search(r"'queue': '[^']*', 'channel': '[^']*', 'window': '[^']*'", d) for d in kept
    }
    where = {m.group(0) for m in places if m}
    scores = [
        d
        for d in differences
        if d.startswith("pillarwatch_pillar_score{'pillar': 'integrity'")
        and any(w in d for w in where)
    ]
    return kept + scores


def test_two_workers_add_up_to_one_and_one_takes_over(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    base = stream(seed=51, hours=2.0)
    first, rest = base[: len(base) * 3 // 5], base[len(base) * 3 // 5 :]
    first += closing_contacts(first)
    rest += closing_contacts(rest)
    whole = first + rest
    expected = reference([v for _, v in first], Config(), pillars())

    # One worker: the figures two must add up to.
    single = rocksdb_worker(worker_env(broker, tmp_path, "one"), tmp_path, "one")
    asyncio.run(produce(single.settings, first))
    single.start()
    try:
        one = converge_samples(single.samples, expected, 150, lambda: single.log.read_text())
        assert wait_for(lambda: not counter_mismatches(single.samples() or {}, expected), 30)
        one = single.samples() or one
    finally:
        stop_all(single)
    all_active = active_partitions(one)
    assert all_active, "one worker must hold every partition"

    # Two workers of a second app on the same stream, both in the group before it arrives.
    pair, pair_active = start_pair(broker, tmp_path, "two")
    try:
        assert pair_active == all_active
        asyncio.run(produce(pair.a.settings, first))
        converge_samples(pair.merged, expected, 150, pair.logs)
        assert wait_for(lambda: not counter_mismatches(pair.merged() or {}, expected), 30)
        both = pair.both()
        assert both is not None
        merged, overlaps = merge(both)
        assert overlaps == [], "a queue's series on both workers would count twice"
        assert not counter_mismatches(merged, expected)
        assert not mismatches(merged, expected)
        # Everything one worker exported per queue, the two export between them, same values.
        assert not float_differences(per_queue_series(merged), per_queue_series(one))
        counters = ("pillarwatch_events_total", "pillarwatch_contacts_total")
        assert {n: merged[n] for n in counters} == {n: one[n] for n in counters}
        assert all(per_queue_series(s) for s in both), "each worker serves some queues"
        topic = pair.a.settings.topic
        got = [input_partitions(s, topic) for s in both]
        assert got[0] and got[1] and not got[0] & got[1], got
        assert len(got[0] | got[1]) == pair.a.settings.partitions
        actives = [active_partitions(s) for s in both]
        print(f"\nactive partitions one worker: {all_active}; two: {actives}; input {got}")

        fail_over(pair, rest, whole, signal.SIGTERM, all_active)
    finally:
        pair.stop()


def test_sigkill_one_of_two_the_other_takes_over(broker: EmbeddedBroker, tmp_path: Path) -> None:
    base = stream(seed=52, hours=1.5)
    whole = base + closing_contacts(base)
    pair, all_active = start_pair(broker, tmp_path, "kill")
    try:
        fail_over(pair, whole, whole, signal.SIGKILL, all_active)
    finally:
        pair.stop()


@pytest.mark.xfail(
    strict=True,
    reason="memory:// keeps the rows of revoked partitions that the worker wrote itself: "
    "faust/stores/memory.py forgets on rebalance only the keys it learned from changelog "
    "recovery (_key_partition), so the worker still serves the series of queues it lost",
)
def test_memory_store_serves_no_series_of_revoked_partitions(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    base = stream(seed=53, hours=0.75)
    messages = base + closing_contacts(base)
    env = worker_env(broker, tmp_path, "mem", PILLARWATCH_STORE="memory://")
    a = WorkerProcess(env, tmp_path / "mem-a.log")
    b_env = {
        **env,
        "PILLARWATCH_WEB_PORT": str(free_port()),
        "PILLARWATCH_DATA_DIR": str(tmp_path / "data-mem-b"),
    }
    pair = Pair(a, WorkerProcess(b_env, tmp_path / "mem-b.log"))
    pair.a.start()
    try:
        all_active = wait_for(lambda: active_partitions(pair.a.samples()), timeout=120)
        assert all_active, pair.logs()
        asyncio.run(produce(pair.a.settings, messages))
        # a alone holds every queue and has the reference figures.
        converge_samples(
            pair.a.samples, reference([v for _, v in messages], Config()), 150, pair.logs
        )
        pair.b.start()
        assert wait_for(lambda: settled(pair, all_active), timeout=120), pair.logs()
        # b recovers its partitions from the changelogs and serves their queues.
        assert wait_for(lambda: per_queue_series(pair.b.samples() or {}), timeout=120), pair.logs()
        both = pair.both()
        assert both is not None
        overlaps = merge(both)[1]
        print(f"\n{len(overlaps)} series on both workers after the rebalance, e.g. {overlaps[:3]}")
        assert overlaps == []
    finally:
        pair.stop()
