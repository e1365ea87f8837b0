"""The reference computation: every metric straight from a list of raw messages, no broker.

It runs the same pure code as the agents, in one process and in message order, so the
integration tests can say "what /metrics shows equals what the JSONL implies". Duplicates are
found with an exact set here (the worker's memory of ids is bounded; tests stay under it).
Contacts follow the worker's lifecycle: tombstones after the summary, and closure by the
contact timeout, checked on access and swept as event time passes (the worker sweeps each
partition on its own, so contacts expired in the last sweep interval may differ at the end).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pillarwatch.models.buckets import WIDTH, Item, increments, minute_of
from pillarwatch.models.config import Config
from pillarwatch.models.contact import (
    ContactState,
    Outcome,
    Summary,
    apply,
    expire,
    is_stale,
    needs_state,
    relevant_markers,
    survey,
)
from pillarwatch.models.events import Rejection, decode
from pillarwatch.models.journeys import JourneyState, add_contact, deltas, from_summary
from pillarwatch.models.pillars import Pillar, PillarResult, Signal, evaluate_signals
from pillarwatch.models.windows import WINDOW_MINUTES, WindowResult, evaluate

__all__ = ["Expected", "reference"]


@dataclass
class Expected:
    events: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    expired: int = 0
    contacts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    emitted: list[Item] = field(default_factory=list)
    windows: list[WindowResult] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    pillar_windows: list[PillarResult] = field(default_factory=list)


def reference(
    messages: Iterable[bytes], config: Config, pillars: Mapping[str, Pillar] | None = None
) -> Expected:
    """`pillars` are the signal pillars (models.pillars.signal_pillars()): their
    signals are computed from the same summaries, and their windows evaluated like the core."""
    out = Expected()
    pillars = pillars or {}
    pillar_states: dict[tuple[str, str], dict[str, Any] | None] = {}
    marks: dict[str, float] = {}

    def pillar_signals(summary: Summary) -> None:
        for name, pillar in pillars.items():
            if pillar.keyed_by == "queue":
                out.signals += pillar.signals(None, summary, config)[1]
            elif summary.customer_id:
                key = (name, summary.customer_id)
                pillar_states[key], emitted = pillar.signals(
                    pillar_states.get(key), summary, config
                )
                marks[name] = max(marks.get(name, 0.0), summary.ts)
                out.signals += emitted

    seen: set[str] = set()
    states: dict[str, ContactState] = {}
    buckets: dict[tuple[str, str, int], list[float]] = {}
    journeys: dict[str, JourneyState] = {}
    now = swept_at = float("-inf")
    sweep_every = max(60.0, config.contact_timeout_seconds / 8)

    def count(item: Item) -> None:
        out.emitted.append(item)
        key = (item.queue, item.channel, minute_of(item.ts))
        vector = buckets.setdefault(key, [0.0] * WIDTH)
        for index, amount in increments(item):
            vector[index] += amount

    def add(emitted: list[Outcome | Summary]) -> None:
        for item in emitted:
            count(item)
            if isinstance(item, Outcome):
                out.contacts[(item.queue, item.channel, item.outcome)] += 1
                continue
            pillar_signals(item)
            if item.customer_id:
                window = config.targets(item.queue, item.segment).repeat_window_seconds
                contact = from_summary(item, window)
                journeys[item.customer_id], corrections = add_contact(
                    journeys.get(item.customer_id), contact
                )
                for delta in deltas(corrections, contact.contact_id):
                    count(delta)

    def close(contact_id: str) -> None:
        state = states.pop(contact_id)
        if not state.summary_sent:
            out.expired += 1
        add(expire(state, config))

    for raw in messages:
        event = decode(raw)
        if isinstance(event, Rejection):
            out.rejected[event.reason] += 1
            continue
        if event.event_id in seen:
            out.duplicates += 1
            continue
        seen.add(event.event_id)
        out.events[event.type] += 1
        now = max(now, event.ts)
        if now >= swept_at + sweep_every:
            swept_at = now
            for cid in [c for c, st in states.items() if is_stale(st, now, config)]:
                close(cid)
        if event.type == "survey.answered":
            count(survey(event))
            continue
        markers = relevant_markers(event) if event.type == "contact.message" else 0
        if event.type == "contact.message" and not markers and not needs_state(event):
            continue
        found = states.get(event.contact_id)
        if found is not None and is_stale(found, event.ts, config):
            close(event.contact_id)
        state, emitted = apply(states.get(event.contact_id), event, markers, config)
        states[event.contact_id] = state
        add(emitted)
    # Windows end at the minute of the newest accepted event, as the worker's clock does
    # (streams/clock.py), not at the newest bucket: the last events may have counted nothing.
    end = minute_of(now) if now > float("-inf") else None
    out.windows = evaluate(((q, c, m, v) for (q, c, m), v in buckets.items()), config, end)
    for (name, _customer), st in sorted(pillar_states.items()):
        sweep = pillars[name].sweep
        if sweep is not None and st is not None:
            out.signals += sweep(st, marks.get(name, 0.0), config)[1]
    if buckets and end is not None:
        out.pillar_windows = _pillar_windows(out, pillars, end, config)
    return out


def _pillar_windows(
    out: Expected, pillars: Mapping[str, Pillar], end: int, config: Config
) -> list[PillarResult]:
    sums: dict[tuple[str, str, str, int], dict[str, float]] = {}
    for s in out.signals:
        row = sums.setdefault((s.pillar, s.queue, s.channel, minute_of(s.ts)), {})
        for k, v in s.values.items():
            row[k] = row.get(k, 0.0) + v
    offered = {(r.queue, r.channel, r.window): r.measures.offered for r in out.windows}
    rows = [(p, q, c, m, v) for (p, q, c, m), v in sums.items()]
    return evaluate_signals(rows, pillars, offered, end, WINDOW_MINUTES, config)
