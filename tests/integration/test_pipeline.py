"""End to end on the real embedded broker: /metrics equals the reference computed from the JSONL."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.models.config import Config
from pillarwatch.models.events import parse_ts
from pillarwatch.models.pillars import signal_pillars as pillars
from pillarwatch.models.simulation import Simulation
from pillarwatch.produce import jsonl_records, produce
from pillarwatch.scrape import Samples, fetch, parse
from pillarwatch.streams.window_export import MEASURE_GAUGES
from tests.support.reference import Expected, reference
from tests.support.worker import WorkerProcess, total, value, wait_for, worker_env

pytestmark = pytest.mark.integration

MALFORMED = b'{"event_id": "broken-1", "type": "contact.queued", "ts": '
START = parse_ts("2026-03-02T09:30:00Z")


def _write_stream(path: Path) -> list[bytes]:
    lines = [orjson.dumps(e) for e in Simulation(seed=11).events(START, START + 2.5 * 3600)]
    lines.insert(100, MALFORMED)
    lines.insert(300, lines[200])  # a duplicate (same event_id), as a producer retry makes
    path.write_bytes(b"\n".join(lines) + b"\n")
    return lines


def _module_gauges(pillar: str) -> set[str]:
    return set(pillars()[pillar].metrics)


def _mismatches(samples: dict, exp: Expected) -> list[str]:  # type: ignore[type-arg]
    bad = []

    def check(name: str, want: float | None, tol: float = 1e-9, **labels: str) -> None:
        got = value(samples, name, **labels)
        if want is None:
            if got is not None:
                bad.append(f"{name}{labels}: got {got}, want absent")
        elif got is None or abs(got - want) > tol:
            bad.append(f"{name}{labels}: got {got}, want {want}")

    for etype, n in exp.events.items():
        check("pillarwatch_events_total", n, 0, type=etype)
    for reason, n in exp.rejected.items():
        check("pillarwatch_events_rejected_total", n, 0, reason=reason)
    check("pillarwatch_events_duplicate_total", exp.duplicates, 0)
    for (q, c, outcome), n in exp.contacts.items():
        check("pillarwatch_contacts_total", n, 0, queue=q, channel=c, outcome=outcome)
    for r in exp.windows:
        labels = {"queue": r.queue, "channel": r.channel, "window": r.window}
        check("pillarwatch_window_contacts", r.measures.offered, 0, **labels)
        for name, attr in MEASURE_GAUGES.items():
            check(name, getattr(r.measures, attr), **labels)
        for pillar, ps in r.pillars.items():
            check("pillarwatch_pillar_score", ps.score, pillar=pillar, **labels)
            for comp, v in ps.components.items():
                check(
                    "pillarwatch_pillar_component_score", v, pillar=pillar, component=comp, **labels
                )
    for p in exp.pillar_windows:  # the signal pillars
        labels = {"queue": p.queue, "channel": p.channel, "window": p.window}
        check("pillarwatch_pillar_score", p.score, pillar=p.pillar, **labels)
        for comp, v in p.components.items():
            check(
                "pillarwatch_pillar_component_score", v, pillar=p.pillar, component=comp, **labels
            )
        for name, v in p.gauges.items():
            check(name, v, **labels)
    return bad


async def _dead_letters(broker: EmbeddedBroker, topic: str) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        return [(msg.value, dict(msg.headers)) for msgs in batches.values() for msg in msgs]
    finally:
        await consumer.stop()


def test_metrics_equal_reference(broker: EmbeddedBroker, tmp_path: Path) -> None:
    jsonl = tmp_path / "stream.jsonl"
    lines = _write_stream(jsonl)
    assert len(lines) >= 5000
    worker = WorkerProcess(worker_env(broker, tmp_path, "e2e"), tmp_path / "worker.log")
    settings = worker.settings
    sent = asyncio.run(produce(settings, jsonl_records(jsonl)))
    assert sent == len(lines)
    expected = reference(lines, Config(), pillars())
    assert expected.rejected == {"not_json": 1} and expected.duplicates == 1
    hour = [r.measures for r in expected.windows if r.window == "1h"]
    # the stream exercises every measure the test compares, journeys and surveys included
    for attr in (
        "repeat_ratio",
        "first_contact_resolution",
        "journey_contacts",
        "csat",
        "apology_coverage",
        "transfer_ratio",
    ):
        assert any(getattr(m, attr) for m in hour), attr
    # ... and every contributed pillar, with a score and each of its own gauges
    scored = {p.pillar for p in expected.pillar_windows if p.window == "1h" and p.score}
    assert scored == set(pillars())
    gauges = {g for p in expected.pillar_windows for g in p.gauges}
    assert gauges == {m for pl in pillars() for m in _module_gauges(pl)}
    consumed = sum(expected.events.values()) + 1 + 1

    worker.start()
    try:
        first = wait_for(
            lambda: (
                (s := worker.samples())
                and total(s, "pillarwatch_events_total")
                and time.monotonic()
            ),
            timeout=120,
            interval=0.1,
        )
        assert first, f"worker never counted an event; log: {worker.log.read_text()[-2000:]}"

        def all_consumed() -> float | None:
            s = worker.samples()
            seen = s and (
                total(s, "pillarwatch_events_total")
                + total(s, "pillarwatch_events_rejected_total")
                + total(s, "pillarwatch_events_duplicate_total")
            )
            return time.monotonic() if seen == consumed else None

        done = wait_for(all_consumed, timeout=300, interval=0.1)
        assert done, "the worker did not consume every message"
        rate = consumed / max(done - first, 1e-3)
        print(
            f"\nintegration run: {consumed} messages in {done - first:.2f}s = {rate:.0f} events/s"
        )
        # Summaries reach the measures agent a little after the events: wait for agreement.
        problems = wait_for(
            lambda: (s := worker.samples()) is not None and not _mismatches(s, expected),
            timeout=120,
        )
        agreed = time.monotonic()
        print(f"all metrics equal the reference {agreed - first:.2f}s after the first event")
        samples = worker.samples()
        assert samples is not None
        assert problems, "\n".join(_mismatches(samples, expected)[:30])
        assert total(samples, "pillarwatch_pillar_score") > 0  # scores exist, not only equal
        _assert_the_name_filter_gives_those_samples(worker.url, samples)
        letters = asyncio.run(_dead_letters(broker, settings.dlq_topic))
        assert [(v, h["pillarwatch.reason"]) for v, h in letters] == [(MALFORMED, b"not_json")]
    finally:
        assert worker.stop() == 0, worker.log.read_text()[-3000:]


def _assert_the_name_filter_gives_those_samples(url: str, whole: Samples) -> None:
    """/metrics?name[]=... (streams/sensor.py): only the named samples, a counter and a
    scrape-time window gauge among them, with the values of the whole page."""
    names = {"pillarwatch_contacts_total", "pillarwatch_window_contacts"}
    text = fetch(url, names=names)
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert {line.split("{")[0].split(" ")[0] for line in lines} == names, lines[:5]
    assert len(lines) < sum(len(v) for v in whole.values()) / 4
    for name, series in parse(text).items():
        for labels, number in series.items():  # the counters stood still since `whole`
            if name == "pillarwatch_contacts_total":
                assert whole[name][labels] == number
