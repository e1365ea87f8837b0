"""The embedded broker's cost of a fetch at the end of a growing log.

A long backtest on the embedded broker slows down as it goes (docs/alerting.md, "Evaluation
set"). This fills one partition in steps and, after each, times one message produced and
then fetched by a consumer waiting at the end of the log (the backtest worker's 5 ms fetch
wait), and the same produce alone, with the broker's CPU time for each (from /proc).

    python -m benchmarks.broker_tail_fetch [--steps 5] [--fill 60000]

What the cost follows is the number of record batches in the partition (the broker keeps each
batch as an object and lists them on every fetch that returns data), not the messages:

    python -m benchmarks.broker_tail_fetch --batches 1000,2000,4000,6000,8000,10000

fills the partition one message per batch (a produce awaited each time, as a producer with no
linger sends a trickle) and times a fetch of its last three messages at each count.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from benchmarks.procs import cpu_seconds, load
from pillarwatch.broker import EmbeddedBroker

TOPIC = "tail"
PAYLOAD = b"x" * 300  # about a contact event's size
ROUND_TRIPS = 200
FETCHES = 10


async def round_trips(producer: AIOKafkaProducer, consumer: AIOKafkaConsumer) -> None:
    """ROUND_TRIPS times: produce one message and wait until the consumer has it."""
    for _ in range(ROUND_TRIPS):
        await producer.send_and_wait(TOPIC, PAYLOAD, partition=0)
        got = 0
        while not got:
            batch = await consumer.getmany(timeout_ms=100)
            got = sum(len(records) for records in batch.values())


async def produce_only(producer: AIOKafkaProducer) -> None:
    for _ in range(ROUND_TRIPS):
        await producer.send_and_wait(TOPIC, PAYLOAD, partition=0)


async def measure(steps: int, fill: int) -> None:
    with EmbeddedBroker() as broker:
        assert broker._proc is not None
        pid = broker._proc.pid
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=5)
        await producer.start()
        await producer.send_and_wait(TOPIC, PAYLOAD, partition=0)
        in_log = 1
        print("messages in log  broker ms per produce+fetch  produce alone  round trip ms  load")
        for step in range(steps):
            if step:
                for _ in range(fill):
                    await producer.send(TOPIC, PAYLOAD, partition=0)
                await producer.flush()
                in_log += fill
            tp = TopicPartition(TOPIC, 0)
            consumer = AIOKafkaConsumer(
                bootstrap_servers=broker.bootstrap, fetch_max_wait_ms=5, enable_auto_commit=False
            )
            await consumer.start()
            consumer.assign([tp])
            await consumer.seek_to_end(tp)
            cpu0, wall0 = cpu_seconds(pid), time.monotonic()
            await round_trips(producer, consumer)
            cpu1, wall1 = cpu_seconds(pid), time.monotonic()
            await produce_only(producer)
            cpu2 = cpu_seconds(pid)
            await consumer.stop()
            print(
                f"{in_log:15,d}  {(cpu1 - cpu0) / ROUND_TRIPS * 1000:26.2f}"
                f"  {(cpu2 - cpu1) / ROUND_TRIPS * 1000:13.2f}"
                f"  {(wall1 - wall0) / ROUND_TRIPS * 1000:13.1f}  {load()}",
                flush=True,
            )
            in_log += 2 * ROUND_TRIPS
        await producer.stop()


async def by_batches(counts: list[int]) -> None:
    with EmbeddedBroker() as broker:
        assert broker._proc is not None
        pid = broker._proc.pid
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=0)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=broker.bootstrap, fetch_max_wait_ms=5, enable_auto_commit=False
        )
        await producer.start()
        await consumer.start()
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        batches = 0
        print("batches in partition  fetch ms  broker CPU ms per fetch  load")
        for count in counts:
            while batches < count:
                await producer.send_and_wait(TOPIC, PAYLOAD, partition=0)
                batches += 1
            cpu0, wall0 = cpu_seconds(pid), time.monotonic()
            for _ in range(FETCHES):
                consumer.seek(tp, batches - 3)
                await consumer.getmany(tp, timeout_ms=120_000)
            cpu1, wall1 = cpu_seconds(pid), time.monotonic()
            print(
                f"{batches:20,d}  {(wall1 - wall0) / FETCHES * 1000:8.1f}"
                f"  {(cpu1 - cpu0) / FETCHES * 1000:23.1f}  {load()}",
                flush=True,
            )
        await consumer.stop()
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="fills of the log, the first empty")
    parser.add_argument("--fill", type=int, default=60_000, help="messages added per step")
    parser.add_argument(
        "--batches", help="comma-separated batch counts: time a fetch at each (see above)"
    )
    args = parser.parse_args()
    if args.batches:
        asyncio.run(by_batches([int(n) for n in args.batches.split(",")]))
    else:
        asyncio.run(measure(args.steps, args.fill))


if __name__ == "__main__":
    main()
