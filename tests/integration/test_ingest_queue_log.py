"""The queue_log follower against a real embedded broker: growth, rotation, truncation, restart."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pillarwatch.broker import EmbeddedBroker
from pillarwatch.ingest.producer import EventProducer
from pillarwatch.ingest.queue_log_follower import Position, QueueLogFollower
from pillarwatch.models.sources.asterisk_queue_log import map_event
from tests.integration._ingest_support import read_topic, unique_topic
from tests.unit._fixtures import load_lines

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="function")]


@pytest.fixture(scope="module")
def ingest_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as broker:
        yield broker


def _call(callid: str, queue: str, start: int) -> list[str]:
    return [
        f"{start}|{callid}|{queue}|NONE|ENTERQUEUE||anonymous|1",
        f"{start + 7}|{callid}|{queue}|PJSIP/9001|CONNECT|7|{callid}9|3",
        f"{start + 90}|{callid}|{queue}|PJSIP/9001|COMPLETEAGENT|7|83|1",
    ]


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


async def _until(condition: Callable[[], bool], what: str, wait_seconds: float = 20.0) -> None:
    """Wait for the follower to catch up; the bound only stops a hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"follower did not reach: {what}")
        await asyncio.sleep(0.05)


def _caught_up(path: Path, position_file: Path) -> Callable[[], bool]:
    def check() -> bool:
        position = Position.load(position_file)
        stat = path.stat()
        return position == Position(stat.st_ino, stat.st_size)

    return check


async def test_growing_rotated_truncated_file_reaches_the_topic_once_across_a_restart(
    ingest_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    log = tmp_path / "queue_log"
    position_file = tmp_path / "queue_log.position"
    topic = unique_topic("events")
    producer = EventProducer(ingest_broker.bootstrap, topic, unique_topic("dlq"), 3.0)
    fixture = load_lines("asterisk", "queue_log")
    written: list[str] = []

    def write(path: Path, lines: list[str], partial: str = "") -> None:
        written.extend(lines)
        _append(path, "".join(line + "\n" for line in lines) + partial)

    follower = QueueLogFollower(log, producer, position_file, poll_seconds=0.05)
    task = asyncio.create_task(follower.run())
    # 1. The file appears later, grows, and ends with a half-written line.
    await asyncio.sleep(0.1)
    write(log, fixture[:6], partial=fixture[6][:12])
    await _until(
        lambda: (
            Position.load(position_file) is not None
            and Position.load(position_file).offset  # type: ignore[union-attr]
            == sum(len(x) + 1 for x in fixture[:6])
        ),
        "the six complete lines, not the partial one",
    )
    # 2. The half line is completed, more arrive.
    _append(log, fixture[6][12:] + "\n")
    written.append(fixture[6])
    write(log, fixture[7:])
    await _until(_caught_up(log, position_file), "end of the first file")
    # 3. Rotation: a last line lands in the old file after the rename, then a new file starts.
    rotated = tmp_path / "queue_log.1"
    os.rename(log, rotated)
    write(rotated, _call("1800000000.201", "support", 1800000000)[:1])
    write(log, _call("1800000000.201", "support", 1800000000)[1:])
    await _until(_caught_up(log, position_file), "end of the new file after rotation")
    # 4. Restart: a new follower resumes from the saved position, not from the start.
    follower.stop()
    await task
    write(log, _call("1800000100.202", "sales", 1800000100))
    follower = QueueLogFollower(log, producer, position_file, poll_seconds=0.05)
    task = asyncio.create_task(follower.run())
    await _until(_caught_up(log, position_file), "end of file after the restart")
    # 5. copytruncate: the same inode starts again from zero.
    inode = log.stat().st_ino
    log.write_text("")
    write(log, _call("1800000200.203", "support", 1800000200))
    assert log.stat().st_ino == inode
    await _until(_caught_up(log, position_file), "end of the truncated file")
    follower.stop()
    await task
    await producer.stop()

    expected = [e for line in written for e in map_event(line).events]
    records = await read_topic(ingest_broker.bootstrap, topic, len(expected))
    got = [r.event for r in records]
    # Exactly once here (the broker never failed), and in file order for each contact.
    assert sorted(str(e["event_id"]) for e in got) == sorted(str(e["event_id"]) for e in expected)
    for contact in {str(e["contact_id"]) for e in expected}:
        assert [e for e in got if e["contact_id"] == contact] == [
            e for e in expected if e["contact_id"] == contact
        ]
    assert all(r.key == str(r.event["contact_id"]).encode() for r in records)


async def test_broker_down_keeps_the_position_until_it_acknowledges(
    tmp_path: Path,
) -> None:
    log = tmp_path / "queue_log"
    position_file = tmp_path / "queue_log.position"
    lines = _call("1800000300.301", "support", 1800000300)
    log.write_text("".join(line + "\n" for line in lines))
    with EmbeddedBroker() as broker:
        topic = unique_topic("events")
        producer = EventProducer(broker.bootstrap, topic, unique_topic("dlq"), 1.0)
        follower = QueueLogFollower(log, producer, position_file, poll_seconds=0.05)
        broker.freeze()
        try:
            task = asyncio.create_task(follower.run())
            registry = follower.metrics.registry
            await _until(
                lambda: (
                    (
                        registry.get_sample_value(
                            "pillarwatch_ingest_requests_total", {"outcome": "unavailable"}
                        )
                        or 0
                    )
                    >= 2
                ),
                "two failed sends to the frozen broker",
            )
            assert Position.load(position_file) is None
        finally:
            broker.thaw()
        await _until(_caught_up(log, position_file), "end of file after the thaw")
        follower.stop()
        await task
        await producer.stop()
        records = await read_topic(broker.bootstrap, topic, 3)
        assert {r.event["event_id"] for r in records} == {
            str(e["event_id"]) for line in lines for e in map_event(line).events
        }


async def test_broken_line_is_dead_lettered_and_the_rest_flows(
    ingest_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    log = tmp_path / "queue_log"
    position_file = tmp_path / "queue_log.position"
    good = _call("1800000400.401", "support", 1800000400)
    log.write_text("".join(line + "\n" for line in [good[0], "not|a queue_log line", *good[1:]]))
    topic, dlq = unique_topic("events"), unique_topic("dlq")
    producer = EventProducer(ingest_broker.bootstrap, topic, dlq, 3.0)
    follower = QueueLogFollower(log, producer, position_file, poll_seconds=0.05)
    task = asyncio.create_task(follower.run())
    await _until(_caught_up(log, position_file), "end of file")
    follower.stop()
    await task
    await producer.stop()
    letters = await read_topic(ingest_broker.bootstrap, dlq, 1)
    assert [(r.value, r.headers["pillarwatch.reason"]) for r in letters] == [
        (b"not|a queue_log line\n", b"too_few_fields")
    ]
    events = await read_topic(ingest_broker.bootstrap, topic, 3)
    assert [r.event["type"] for r in events] == [
        "contact.queued",
        "contact.answered",
        "contact.ended",
    ]
