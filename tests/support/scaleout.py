"""Reading several workers of one app as Prometheus and the dashboards do: added up.

Series come in three shapes across workers:
- a queue's window measures, pillar scores and staffing gauges come from the measures Table,
  keyed by queue and channel: exactly one worker (the owner of that key's partition) may
  export each series, or `sum by (queue, channel)` on the dashboards counts it twice;
- live queue gauges come from the `waiting` Table, keyed by contact: every worker exports
  its share, summed (`max` for the longest wait);
- counters and histograms are per process: summed.
"""

from __future__ import annotations

import orjson

from models.catalogue import CATALOGUE
from models.events import parse_ts
from pillarwatch.produce import Record, encode
from pillarwatch.scrape import Labels, Samples
from tests.support.worker import value

__all__ = ["EXCLUSIVE", "active_partitions", "closing_contacts", "merge", "per_queue_series"]

_PER_CONTACT = {"pillarwatch_queue_waiting_contacts", "pillarwatch_queue_longest_wait_seconds"}
_MAXED = {"pillarwatch_queue_longest_wait_seconds"}

#: Gauge families one worker at most may export a given series of.
EXCLUSIVE = frozenset(
    m.name
    for m in CATALOGUE
    if m.kind == "gauge" and "queue" in m.labels and m.name not in _PER_CONTACT
)


def merge(per_worker: list[Samples]) -> tuple[Samples, list[str]]:
    """The workers' samples as one: exclusive series united, the rest summed (or maxed).

    Also returns the exclusive series found on more than one worker, as readable strings.
    """
    merged: Samples = {}
    owner: dict[tuple[str, Labels], int] = {}
    overlaps: list[str] = []
    for index, samples in enumerate(per_worker):
        for name, series in samples.items():
            if name.endswith("_created"):
                continue  # a timestamp, not a figure
            into = merged.setdefault(name, {})
            for labels, v in series.items():
                if name in EXCLUSIVE:
                    first = owner.setdefault((name, labels), index)
                    if first != index:
                        overlaps.append(f"{name}{dict(labels)} on workers {first} and {index}")
                    into[labels] = v
                elif name in _MAXED:
                    into[labels] = max(into.get(labels, v), v)
                else:
                    into[labels] = into.get(labels, 0.0) + v
    return merged, overlaps


def per_queue_series(samples: Samples) -> dict[tuple[str, Labels], float]:
    """Every exclusive series of `samples` (name and labels -> value)."""
    return {(name, labels): v for name in EXCLUSIVE for labels, v in samples.get(name, {}).items()}


def active_partitions(samples: Samples | None) -> float | None:
    """pillarwatch_partitions_assigned{state="active"}, or None without /metrics."""
    if samples is None:
        return None
    return value(samples, "pillarwatch_partitions_assigned", state="active")


def closing_contacts(records: list[Record]) -> list[Record]:
    """One abandoned contact for every queue and channel of `records`, all in one minute
    after their last event: every worker's newest minute is then that minute.

    A worker's windows end at the newest minute of the queues it owns (models/windows.py
    `evaluate`), so at the end of a finite stream two workers end them at different minutes
    and differ from one worker (tests/unit/test_windows_scale_out.py). Ending the stream with
    traffic on every queue in the same minute makes that end the same for every worker.
    """
    events = [orjson.loads(v) for _, v in records]
    pairs = sorted({(e["queue"], e["channel"]) for e in events if "contact_id" in e})
    last = max(parse_ts(e["ts"]) for e in events)
    at = (int(last // 60) + 2) * 60 + 30.0
    out: list[Record] = []
    for queue, channel in pairs:
        contact = f"closing-{int(at)}-{queue}-{channel}"
        for kind, ts in (("contact.queued", at - 20), ("contact.abandoned", at)):
            out.append(
                encode(
                    {
                        "event_id": f"{contact}-{kind}",
                        "type": kind,
                        "ts": ts,
                        "contact_id": contact,
                        "channel": channel,
                        "queue": queue,
                    }
                )
            )
    return out
