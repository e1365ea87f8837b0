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
from pillarwatch.models.summaries import SweepRequest, from_wire, to_wire

__all__ = [
    "SEEN",
    "SEEN_KEEP",
    "SENT",
    "SENT_KEEP",
    "CustomerPillars",
    "Writes",
    "from_outbox",
    "identified",
    "outbox",
    "queue_signals",
    "split_seen",
    "split_stored",
    "summary_id",
    "sweep_id",
    "with_seen",
]

SEEN = "_seen"  # in a customer's stored state: the summaries (`summary_id`) it applied
SEEN_KEEP = 32  # per customer; a replay reaches back a few messages, not a customer's history
SENT = "_sent"  # in a customer's stored state: the signals its newest sources sent (outbox)
SENT_KEEP = 4  # sources per customer and pillar: a replay reaches back a few messages


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
    """Give each signal from one source (`summary_id`, `sweep_id`) an id the measures buckets
    dedupe on; a source without an id leaves them without (deduped by source offset only)."""
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
    state, seen, _ = split_stored(stored)
    return state, seen


def split_stored(
    stored: dict[str, Any] | None,
) -> tuple[dict[str, Any] | None, list[str], dict[str, list[Any]]]:
    """The pillar's own state, the summaries already applied, and the outbox: the signals
    the newest sources (summaries and sweeps) sent, by source id."""
    if stored is None or (SEEN not in stored and SENT not in stored):
        return stored, [], {}
    state = {k: v for k, v in stored.items() if k not in (SEEN, SENT)}
    return state, list(stored.get(SEEN, [])), dict(stored.get(SENT, {}))


def with_seen(
    state: dict[str, Any] | None,
    seen: list[str],
    source: str,
    sent: dict[str, list[Any]] | None = None,
) -> dict[str, Any] | None:
    """The state to store: the pillar's, plus the newest applied summary ids and the outbox.
    None (nothing to keep) stays None: a later replay of that summary then starts afresh."""
    if state is None:
        return None
    ids = [*seen, source][-SEEN_KEEP:] if source else seen
    stored = {**state, SEEN: ids} if ids else dict(state)
    if sent:
        stored[SENT] = sent
    return stored


def outbox(sent: dict[str, list[Any]], source: str, signals: list[Signal]) -> dict[str, list[Any]]:
    """The outbox with `source`'s signals added (the newest SENT_KEEP sources that sent any)."""
    if not signals:
        return sent
    added = {**sent, source: [to_wire(sig) for sig in signals]}
    return dict(list(added.items())[-SENT_KEEP:])


def from_outbox(sent: dict[str, list[Any]], source: str) -> list[Signal]:
    """What `source` sent the first time (a replay sends it again; the buckets dedupe it)."""
    return [sig for doc in sent.get(source, []) if isinstance(sig := from_wire(doc), Signal)]


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
        (streams/agents/customers.py: send, then store). A summary a pillar applied already
        (a replay) sends again what it sent the first time, from the outbox."""
        source = summary_id(summary)
        out: list[Signal] = []
        writes = Writes()
        for pillar in self.pillars.values():
            table = self.tables[pillar.name]
            state, seen, sent = split_stored(table.get(customer))
            if source and source in seen:
                out += from_outbox(sent, source)  # processed before a crash or a move
                continue
            state, signals = pillar.signals(state, summary, self.config)
            self.watermarks[pillar.name] = max(self.watermarks[pillar.name], summary.ts)
            signals = identified(signals, source)
            box = outbox(sent, source, signals) if source else sent
            writes.add(table, customer, with_seen(state, seen, source, box))
            out += signals
        return out, writes

    def sweep(self, request: SweepRequest) -> tuple[list[Signal], Writes]:
        """The signals of one sweep request, and the state to store once they are sent. The
        signals carry ids from the request; a replayed request whose signals are in the
        outbox sends them again, one that changed nothing sends nothing."""
        self.pending.discard((request.pillar, request.customer_id))
        writes = Writes()
        pillar = self.pillars.get(request.pillar)
        if pillar is None or pillar.sweep is None:
            return [], writes
        table = self.tables[pillar.name]
        state, seen, sent = split_stored(table.get(request.customer_id))
        if state is None:
            return [], writes
        source = sweep_id(request)
        if source in sent:
            return from_outbox(sent, source), writes
        state, signals = pillar.sweep(state, request.watermark, self.config)
        signals = identified(signals, source)
        writes.add(
            table, request.customer_id, with_seen(state, seen, "", outbox(sent, source, signals))
        )
        return signals, writes

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
