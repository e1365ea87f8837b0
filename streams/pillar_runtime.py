"""The one runtime for every signal pillar (models/pillars): pure calls, no agent per pillar.

Two agents carry all pillars: the by-queue agent (streams/agents/measures.py) reads each
message of `contact-summaries` once and calls every queue-keyed pillar with the summary; the
by-customer agent (streams/agents/customers.py) reads the one by-customer topic and calls
every customer-keyed pillar with the customer's stored state. Adding a pillar adds Python
calls here, not a consumer, a topic or a changelog.

Replays are harmless: a customer's stored state remembers the summaries it applied
(`summary_id`) and skips them again, and every signal of a summary or a sweep carries an id
(`<summary>:<n>`, `<sweep>:<n>`) that the measures buckets dedupe on
(tests/streams/test_signal_replay.py). `apply` and `sweep` return the states to store apart
(`Writes`): the agent sends the signals first and stores after, so a worker stopped between
the two replays the message and sends the same signals again, rather than finding them
applied and sending nothing (streams/acks.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.pillars import Pillar, Signal
from pillarwatch.models.summaries import SweepRequest

__all__ = [
    "SEEN",
    "SEEN_KEEP",
    "CustomerPillars",
    "Writes",
    "identified",
    "queue_signals",
    "split_seen",
    "summary_id",
    "sweep_id",
    "with_seen",
]

SEEN = "_seen"  # in a customer's stored state: the summaries (`summary_id`) it applied
SEEN_KEEP = 32  # per customer; a replay reaches back a few messages, not a customer's history


def summary_id(summary: Summary) -> str:
    """What tells one summary from a replay of it: its contact and time. Not the contact id
    alone: a re-opened contact (a ticket) legitimately sends a second, later summary."""
    return f"{summary.contact_id}@{summary.ts}" if summary.contact_id else ""


def sweep_id(request: SweepRequest) -> str:
    """What tells one sweep from a replay of it: its pillar, customer and watermark, as a
    digest (the id is kept in bucket rows; a customer id is not)."""
    text = f"{request.pillar}:{request.customer_id}@{request.watermark}"
    return "w:" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def identified(signals: list[Signal], source: str) -> list[Signal]:
    """Give each signal from one summary (`summary_id`) an id the measures buckets dedupe on;
    a sweep's signals (no summary) keep none and are deduped by source offset only."""
    if not source:
        return signals
    return [replace(sig, ident=f"{source}:{n}") for n, sig in enumerate(signals)]


def queue_signals(pillars: Sequence[Pillar], summary: Summary, config: Config) -> list[Signal]:
    """Every queue-keyed pillar's signals for one summary, identified. Stateless."""
    source = summary_id(summary)
    out: list[Signal] = []
    for pillar in pillars:
        _, signals = pillar.signals(None, summary, config)
        out += identified(signals, source)
    return out


def split_seen(stored: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[str]]:
    """The pillar's own state (what its code sees) and the summaries already applied."""
    if stored is None or SEEN not in stored:
        return stored, []
    state = {k: v for k, v in stored.items() if k != SEEN}
    return state, list(stored[SEEN])


def with_seen(state: dict[str, Any] | None, seen: list[str], source: str) -> dict[str, Any] | None:
    """The state to store: the pillar's, plus the newest applied summary ids. None (nothing
    to keep) stays None: a later replay of that summary then starts afresh."""
    if state is None:
        return None
    ids = [*seen, source][-SEEN_KEEP:] if source else seen
    return {**state, SEEN: ids} if ids else state


Store = MutableMapping[str, Any]


class CustomerPillars:
    """The customer-keyed pillars, each with its state Table (`pillar.table`).

    `apply` folds one summary into every pillar's state of that customer; `sweep` applies one
    sweep request; `due` lists the (pillar, customer) pairs a sweep would change now.
    """

    def __init__(self, pillars: Sequence[Pillar], tables: Mapping[str, Store], config: Config):
        self.pillars = {p.name: p for p in pillars}
        self.tables = tables
        self.config = config
        # Per pillar, event time of this worker's customers: the newest summary it applied
        # (a replay it skips does not move it). Process-local on purpose: after a rebalance
        # it restarts from the next summary, which only delays a sweep. Worker-wide, not per
        # partition: summaries reach a by-customer partition from every queue's partition, so
        # a partition's own newest time does not order them either, and at the end of a
        # stream it would leave due judgements unmade. The cost: after a fail-over a backlog
        # replayed behind the other partitions can have a callback judged broken before the
        # summary that kept it is read (test_two_workers.py).
        self.watermarks = dict.fromkeys(self.pillars, 0.0)
        self.pending: set[tuple[str, str]] = set()  # sweep requests on their way

    def apply(self, customer: str, summary: Summary) -> tuple[list[Signal], Writes]:
        """Every pillar's signals for one summary, and the states to store once they are sent
        (streams/agents/customers.py: send, then store)."""
        source = summary_id(summary)
        out: list[Signal] = []
        writes = Writes()
        for pillar in self.pillars.values():
            table = self.tables[pillar.name]
            state, seen = split_seen(table.get(customer))
            if source and source in seen:
                continue  # a summary processed before a crash or a partition move
            state, signals = pillar.signals(state, summary, self.config)
            self.watermarks[pillar.name] = max(self.watermarks[pillar.name], summary.ts)
            writes.add(table, customer, with_seen(state, seen, source))
            out += identified(signals, source)
        return out, writes

    def sweep(self, request: SweepRequest) -> tuple[list[Signal], Writes]:
        """The signals of one sweep request, and the state to store once they are sent. The
        signals carry ids from the request, so a replayed request (the same pillar, customer
        and watermark, on the same stored state) sends signals the buckets count once."""
        self.pending.discard((request.pillar, request.customer_id))
        writes = Writes()
        pillar = self.pillars.get(request.pillar)
        if pillar is None or pillar.sweep is None:
            return [], writes
        table = self.tables[pillar.name]
        state, seen = split_seen(table.get(request.customer_id))
        if state is None:
            return [], writes
        state, signals = pillar.sweep(state, request.watermark, self.config)
        writes.add(table, request.customer_id, with_seen(state, seen, ""))
        return identified(signals, sweep_id(request)), writes

    def due(self) -> Iterator[SweepRequest]:
        """Sweep requests to send now (each at most once until it has been applied)."""
        for pillar in self.pillars.values():
            if pillar.sweep is None:
                continue
            now = self.watermarks[pillar.name]
            for customer, stored in list(self.tables[pillar.name].items()):
                state = split_seen(stored)[0]
                key = (pillar.name, customer)
                if state is None or key in self.pending:
                    continue
                if pillar.sweep(state, now, self.config)[1]:
                    self.pending.add(key)
                    yield SweepRequest(pillar.name, customer, now)


@dataclass
class Writes:
    """States to store, in order, after the signals computed from them were sent."""

    pending: list[tuple[Store, str, dict[str, Any] | None]] = field(default_factory=list)

    def add(self, table: Store, key: str, state: dict[str, Any] | None) -> None:
        self.pending.append((table, key, state))

    def store(self) -> None:
        for table, key, state in self.pending:
            _store(table, key, state)
        self.pending.clear()


def _store(table: Store, key: str, state: dict[str, Any] | None) -> None:
    if state is None:
        if key in table:
            del table[key]
    else:
        table[key] = state
