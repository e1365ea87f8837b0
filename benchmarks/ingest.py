"""Benchmark: mapping speed per source and webhook-to-broker throughput. Prints figures.

    python -m benchmarks.ingest [--mappings N] [--requests M] [--concurrency C]

The webhook part starts an embedded broker (needs the `broker` extra) and a receiver on
127.0.0.1, and posts Genesys acd.start events; each answer waits for acks=all.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import orjson
from aiohttp import ClientSession, web

from pillarwatch.broker import EmbeddedBroker, free_port
from pillarwatch.ingest.http import make_app
from pillarwatch.ingest.settings import IngestSettings
from pillarwatch.models.sources import amazon_connect, asterisk_queue_log


def _queue_log_lines(n: int) -> list[str]:
    return [f"{1763629212 + i}|{i}.1|support|NONE|ENTERQUEUE||anonymous|1\n" for i in range(n)]


def _connect_events(n: int) -> list[dict[str, object]]:
    arn = "arn:aws:connect:eu-west-1:111122223333:instance/i-1"
    return [
        {
            "detail-type": "Amazon Connect Contact Event",
            "time": "2026-11-20T09:00:12Z",
            "detail": {
                "eventType": "QUEUED",
                "contactId": f"c-{i}",
                "initialContactId": f"c-{i}",
                "channel": "VOICE",
                "initiationMethod": "INBOUND",
                "queueInfo": {
                    "queueArn": f"{arn}/queue/q-1",
                    "enqueueTimestamp": "2026-11-20T09:00:12.000Z",
                },
            },
        }
        for i in range(n)
    ]


def bench_mappings(n: int) -> None:
    for name, payloads, mapper in (
        ("asterisk queue_log", _queue_log_lines(n), asterisk_queue_log.map_event),
        ("amazon connect", _connect_events(n), amazon_connect.map_event),
    ):
        start = time.perf_counter()
        produced = sum(len(mapper(p).events) for p in payloads)
        elapsed = time.perf_counter() - start
        print(f"map {name}: {n} payloads -> {produced} events in {elapsed:.3f}s "
              f"= {n / elapsed:,.0f} payloads/s")  # fmt: skip


async def bench_webhook(requests: int, concurrency: int) -> None:
    body = {
        "topicName": "v2.detail.events.conversation.x.acd.start",
        "eventBody": {"eventTime": 1763629212000, "conversationId": "", "participantId": "p",
                      "mediaType": "VOICE", "queueId": "q-1"},
    }  # fmt: skip
    with EmbeddedBroker() as broker:
        settings = IngestSettings(broker=broker.url, topic="bench-events", port=free_port())
        runner = web.AppRunner(make_app(settings))
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        url = f"http://{settings.host}:{settings.port}/genesys"
        statuses: list[int] = []
        async with ClientSession() as session:
            # Warm-up: the producer connects lazily on the first request.
            await session.post(url, data=orjson.dumps(body))
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(requests):
                queue.put_nowait(i)

            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    body["eventBody"]["conversationId"] = f"c-{i}"  # type: ignore[index]
                    async with session.post(url, data=orjson.dumps(body)) as response:
                        statuses.append(response.status)

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - start
        await runner.cleanup()
    ok = statuses.count(200)
    print(f"webhook -> broker (acks=all): {ok}/{requests} answered 200 in {elapsed:.2f}s "
          f"= {requests / elapsed:,.0f} requests/s at concurrency {concurrency}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mappings", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    bench_mappings(args.mappings)
    asyncio.run(bench_webhook(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
