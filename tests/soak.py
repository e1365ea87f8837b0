"""Soak: simulated days of traffic through the contacts and measures agents, as fast as possible.

Prints, per simulated hour, the Table sizes and the process memory, so one can see them
flatten instead of growing with time. The short form runs in `make test`
(tests/streams/test_soak.py); the long form is

    PYTHONPATH=. python -m tests.soak --days 7

It runs the real agents in memory (streams/testing.AgentHarness), not on the broker: what grows
or not is the agents' state, and the broker would only make a week take hours.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from pillarwatch.models.events import parse_ts
from pillarwatch.models.simulation import Simulation
from pillarwatch.models.windows import RETAIN_MINUTES
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.testing import AgentHarness

START = parse_ts("2026-03-02T00:00:00Z")
HOUR = 3600.0


@dataclass(frozen=True)
class Row:
    hour: int
    events: int  # fed so far
    contacts: int  # rows in the contacts Table (open contacts and tombstones)
    bound: int  # contacts with an event in the last timeout + sweep interval
    waiting: int
    buckets: int
    bucket_bound: int
    changelog: int  # table changelog messages written so far
    rss_mib: float
    seconds: float  # wall time so far


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _drain_changelog(h: AgentHarness) -> int:
    """Discard what only the in-memory harness keeps; return the changelog messages dropped.

    tracemalloc showed two harness artefacts as the only growth: with no producer, Table
    writes queue in the producer buffer forever (a worker sends them), and Faust's agent test
    wrapper keeps every processed message in `results`.
    """
    for wrapper in h._agents.values():
        wrapper.results.clear()
    pending = h.app.producer.buffer.pending
    count = 0
    while not pending.empty():
        pending.get_nowait()
        count += 1
    return count


async def _soak(
    days: float, seed: int, report: Callable[[Row], None], env: dict[str, str]
) -> list[Row]:
    rows: list[Row] = []
    sim = Simulation(seed=seed)
    async with AgentHarness(Settings.from_env(env)) as h:
        config = h.settings.config
        horizon = config.contact_timeout_seconds + max(60.0, config.contact_timeout_seconds / 8)
        recent: deque[tuple[float, str]] = deque()  # (event time, contact id), for the bound
        pairs: set[tuple[str, str]] = set()
        fed = changelog = 0
        started = time.monotonic()
        for hour in range(int(days * 24)):
            t0 = START + hour * HOUR
            batch = []
            for e in sim.events(t0, t0 + HOUR):
                if e["type"] == "agent.state":
                    continue  # keyed by agent, not contact: not part of the contact-state bound
                batch.append((e["contact_id"].encode(), orjson.dumps(e)))
                recent.append((parse_ts(e["ts"]), e["contact_id"]))
                pairs.add((e["queue"], e["channel"]))
            await h.feed("contacts", batch)
            fed += len(batch)
            out = [(s.key, s.value) for s in h.sent_to("contact-summaries")]
            h.sent.clear()  # the harness keeps what agents send: drop it, or it is the leak
            await h.feed("measures", out)
            changelog += _drain_changelog(h)
            newest = max((t for t, _ in recent), default=t0)
            while recent and recent[0][0] < newest - horizon:
                recent.popleft()
            row = Row(
                hour=hour + 1,
                events=fed,
                contacts=len(h.table("contacts")),
                bound=len({cid for _, cid in recent}),
                waiting=len(h.table("waiting")),
                buckets=len(h.table("minute-buckets")),
                bucket_bound=len(pairs) * (2 * RETAIN_MINUTES + 1),
                changelog=changelog,
                rss_mib=rss_mib(),
                seconds=time.monotonic() - started,
            )
            rows.append(row)
            report(row)
    return rows


def soak(
    days: float,
    seed: int = 7,
    report: Callable[[Row], None] = lambda r: None,
    env: dict[str, str] | None = None,
) -> list[Row]:
    """Run the soak; `env` holds PILLARWATCH_* settings (e.g. PILLARWATCH_DEDUPE_CAPACITY)."""
    return asyncio.run(_soak(days, seed, report, env or {}))


def print_row(r: Row) -> None:
    print(
        f"hour {r.hour:4d}  events {r.events:8d}  contacts {r.contacts:6d} (bound {r.bound:6d})  "
        f"changelog {r.changelog:8d}  waiting {r.waiting:4d}  "
        f"buckets {r.buckets:5d} (bound {r.bucket_bound})  "
        f"rss {r.rss_mib:7.1f} MiB  {r.seconds:7.1f} s",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--days", type=float, default=7.0, help="simulated days (default 7)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--dedupe-capacity",
        type=int,
        default=None,
        help="PILLARWATCH_DEDUPE_CAPACITY (default 200000: memory grows until it is full)",
    )
    args = parser.parse_args(argv)
    env = {}
    if args.dedupe_capacity is not None:
        env["PILLARWATCH_DEDUPE_CAPACITY"] = str(args.dedupe_capacity)
    rows = soak(args.days, args.seed, print_row, env)
    last_day = rows[-24:]
    print(
        f"\n{args.days:g} simulated days, {rows[-1].events} events in {rows[-1].seconds:.0f} s "
        f"({rows[-1].events / rows[-1].seconds:.0f} events/s); last day: contacts rows "
        f"max {max(r.contacts for r in last_day)}, rss {min(r.rss_mib for r in last_day):.1f}"
        f"..{max(r.rss_mib for r in last_day):.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
