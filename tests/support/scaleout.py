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
from aiokafka.partitioner import murmur2

from pillarwatch.models.catalogue import CATALOGUE
from pillarwatch.models.events import parse_ts
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


def closing_contacts(records: list[Record], partitions: int = 4) -> list[Record]:
    """Contacts all in one minute after the last event of `records`: one abandoned contact for
    every queue and channel, and one per partition whose contact id and customer id both hash
    to that partition (input and by-customer topics alike). Windows end at the worker's
    event-time clock, the newest event of its input partitions (streams/clock.py): without
    these, a worker whose partitions saw the end of the stream earlier than another's would
    end its windows a minute earlier.
    """
    events = [orjson.loads(v) for _, v in records]
    pairs = sorted({(e["queue"], e["channel"]) for e in events if "contact_id" in e})
    last = max(parse_ts(e["ts"]) for e in events)
    at = (int(last // 60) + 2) * 60 + 30.0
    contacts = [(f"closing-{int(at)}-{q}-{c}", q, c, None) for q, c in pairs]
    queue, channel = pairs[0]
    for p in range(partitions):
        contact = _hashing_to(p, partitions, f"closing-{int(at)}-tick")
        customer = _hashing_to(p, partitions, f"closing-{int(at)}-customer")
        contacts.append((contact, queue, channel, customer))
    out: list[Record] = []
    abandoned = (("contact.queued", at - 20), ("contact.abandoned", at))
    # Answered and wrapped up: its summary goes to the customer's by-customer partition.
    handled = (
        ("contact.queued", at - 40),
        ("contact.answered", at - 30),
        ("contact.ended", at - 5),
        ("contact.wrapped", at),
    )
    for contact, queue, channel, customer in contacts:
        for kind, ts in handled if customer else abandoned:
            event: dict[str, object] = {
                "event_id": f"{contact}-{kind}",
                "type": kind,
                "ts": ts,
                "contact_id": contact,
                "channel": channel,
                "queue": queue,
            }
            if customer:
                event["customer_id"] = customer
            if kind == "contact.wrapped":
                event["resolved"] = True
            out.append(encode(event))
    return out


def _hashing_to(partition: int, partitions: int, stem: str) -> str:
    """A key that Kafka's default partitioner (murmur2, as aiokafka and Faust send) puts on
    `partition`."""
    for n in range(10_000):
        key = f"{stem}-{n}"
        if (murmur2(key.encode()) & 0x7FFFFFFF) % partitions == partition:
            return key
    raise AssertionError("no key found")
