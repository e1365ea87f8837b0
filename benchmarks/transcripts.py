"""Benchmark: the call directory's memory when full, and Contact Lens segment mapping speed.

    python -m benchmarks.transcripts [--calls N] [--segments M]

Fills a CallDirectory with N calls (UUID-like leg and contact ids, a queue, an answer time,
as the Connect contact events teach it) and prints the memory it holds (tracemalloc), then
maps M Contact Lens SEGMENTS events of two final transcripts each and prints the rate.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

from pillarwatch.models.sources.contact_lens import map_event
from pillarwatch.models.sources.transcripts import DEFAULT_CAPACITY, CallDirectory


def _fill(calls: int) -> CallDirectory:
    directory = CallDirectory(capacity=calls)
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    for i in range(calls):
        leg = str(uuid.UUID(int=i))
        directory.note(leg, leg, queue=f"q-{i % 40}", answered_at=start + timedelta(seconds=i))
    return directory


def _segments(contact: str, i: int) -> dict[str, object]:
    def transcript(n: int, role: str, text: str) -> dict[str, object]:
        begin = 1000 * n
        return {"Transcript": {"Id": f"t-{i}-{n}", "ParticipantId": role,
                               "ParticipantRole": role, "Content": text,
                               "BeginOffsetMillis": begin, "EndOffsetMillis": begin + 900,
                               "Sentiment": "NEUTRAL"}}  # fmt: skip

    return {"Version": "1.0.0", "Channel": "VOICE", "ContactId": contact, "EventType": "SEGMENTS",
            "LanguageCode": "en-US",
            "Segments": [transcript(1, "CUSTOMER", "I want to complain."),
                         transcript(2, "AGENT", "I'm so sorry about that.")]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=DEFAULT_CAPACITY)
    parser.add_argument("--segments", type=int, default=50_000)
    args = parser.parse_args()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    directory = _fill(args.calls)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"call directory: {len(directory)} calls hold {held / 1e6:.1f} MB "
          f"({held / max(1, len(directory)):.0f} bytes per call)")  # fmt: skip
    contacts = [str(uuid.UUID(int=i)) for i in range(min(args.calls, args.segments))]
    payloads = [_segments(contacts[i % len(contacts)], i) for i in range(args.segments)]
    began = time.perf_counter()
    events = sum(len(map_event(p, directory=directory).events) for p in payloads)
    elapsed = time.perf_counter() - began
    print(f"Contact Lens SEGMENTS events: {args.segments / elapsed:,.0f} /s "
          f"({events / elapsed:,.0f} messages/s)")  # fmt: skip


if __name__ == "__main__":
    main()
