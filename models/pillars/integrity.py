"""integrity: promises kept. Callbacks made by the time promised; resolved contacts that stay
resolved.

A pillar (docs/adding-an-agent.md), keyed by customer: summaries with a customer id are
re-keyed by it, and the customer's open promises and recent contacts are kept in a Table.
- A contact wrapped up with `callback_due` promises a callback by then. A later contact of the
  same customer queued with `callback_for` = that contact's id is the callback. It is *kept*
  when the callback started by the due time: judged as soon as both are known. It is *broken*
  when it has not been kept once event time (the newest summary this worker saw) has passed
  the due time by JUDGE_AFTER_SECONDS: judged by a sweep, counted at due + JUDGE_AFTER_SECONDS.
- A contact *re-opened* after being marked resolved: a second summary with the same contact id
  (a ticket re-opened), of which the earlier one was resolved at wrap-up.
Contacts without a customer id cannot be followed and are not scored here.
"""

from __future__ import annotations

import itertools
from typing import Any, Final

from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.pillars._alerts import ratio_below_ticket
from pillarwatch.models.pillars._spec import Ratio, Signal, State, ratio_pillar

__all__ = ["JUDGE_AFTER_SECONDS", "PILLAR"]

NAME: Final = "integrity"
# How long after the due time a promise is judged broken: the callback's own summary arrives
# only when the callback contact ends, so a kept promise must not be judged before that.
JUDGE_AFTER_SECONDS: Final = 1800.0
FORGET_AFTER_SECONDS: Final = 2 * 86400.0  # an unmatched callback or a promise-less reopen
MAX_SEEN: Final = 50  # contacts remembered per customer for re-opens
WEIGHTS: Final = {"callbacks_kept": 0.6, "stays_resolved": 0.4}


def _empty() -> dict[str, Any]:
    # promises: contact id -> [due, queue, channel, ts]; callbacks: promised contact id ->
    # [start, ts]; seen: contact id -> [[start, resolved, ts, queue, channel, counted], ...]
    return {"promises": {}, "callbacks": {}, "seen": {}}


def _kept(state: dict[str, Any], cid: str) -> list[Signal]:
    promise, callback = state["promises"].get(cid), state["callbacks"].get(cid)
    if promise is None or callback is None or callback[0] > promise[0]:
        return []  # a late callback does not keep it: the sweep judges it broken
    del state["promises"][cid], state["callbacks"][cid]
    _due, queue, channel, ts = promise
    values = {"callbacks_due": 1.0, "callbacks_kept": 1.0}
    return [Signal(queue, channel, max(ts, callback[1]), NAME, values)]


def _reopens(state: dict[str, Any], cid: str) -> list[Signal]:
    entries = sorted(state["seen"][cid], key=lambda e: e[0])
    out = []
    for earlier, later in itertools.pairwise(entries):
        if earlier[1] and not later[5]:
            later[5] = True
            out.append(Signal(later[3], later[4], later[2], NAME, {"reopened": 1.0}))
    state["seen"][cid] = entries
    return out


def signals(state: State, summary: Summary, config: Config) -> tuple[State, list[Signal]]:
    st = state if state is not None else _empty()
    out = []
    cid = summary.contact_id or ""
    start = summary.start if summary.start is not None else summary.ts
    entries = st["seen"].setdefault(cid, [])
    if not any(e[0] == start for e in entries):  # the same summary again changes nothing
        if summary.resolved:
            values = {"resolved": 1.0}
            out.append(Signal(summary.queue, summary.channel, summary.ts, NAME, values))
        entries.append([start, bool(summary.resolved), summary.ts, summary.queue, summary.channel])
        entries[-1].append(False)
        out += _reopens(st, cid)
    if summary.callback_due is not None and cid not in st["promises"]:
        st["promises"][cid] = [summary.callback_due, summary.queue, summary.channel, summary.ts]
        out += _kept(st, cid)
    if summary.callback_for is not None and summary.callback_for not in st["callbacks"]:
        st["callbacks"][summary.callback_for] = [start, summary.ts]
        out += _kept(st, summary.callback_for)
    # Bound the memory of contacts: the newest MAX_SEEN, none older than FORGET_AFTER_SECONDS.
    newest = max(e[0] for es in st["seen"].values() for e in es)
    seen = {k: es for k, es in st["seen"].items() if es[-1][0] >= newest - FORGET_AFTER_SECONDS}
    st["seen"] = dict(sorted(seen.items(), key=lambda kv: kv[1][-1][0])[-MAX_SEEN:])
    return st, out


def sweep(state: State, watermark: float, config: Config) -> tuple[State, list[Signal]]:
    """Judge as broken the promises whose due time passed JUDGE_AFTER_SECONDS ago (pure: the
    state passed in is not changed; the worker also calls it to see whether a sweep is due)."""
    if state is None:
        return None, []
    out = []
    promises = dict(state["promises"])
    callbacks = dict(state["callbacks"])
    for cid, (due, queue, channel, _ts) in sorted(state["promises"].items()):
        if due + JUDGE_AFTER_SECONDS <= watermark:
            del promises[cid]
            callbacks.pop(cid, None)
            values = {"callbacks_due": 1.0}
            out.append(Signal(queue, channel, due + JUDGE_AFTER_SECONDS, NAME, values))
    callbacks = {k: v for k, v in callbacks.items() if v[0] >= watermark - FORGET_AFTER_SECONDS}
    new = {**state, "promises": promises, "callbacks": callbacks}
    return (new if promises or callbacks or new["seen"] else None), out


RATIOS: Final = (
    Ratio(
        "callbacks_kept",
        "callbacks_due",
        gauge="pillarwatch_callback_kept_ratio",
        component="callbacks_kept",
    ),
    Ratio(
        "reopened",
        "resolved",
        gauge="pillarwatch_reopened_ratio",
        component="stays_resolved",
        lower_is_better=True,
    ),
)


PILLAR: Final = ratio_pillar(
    NAME,
    WEIGHTS,
    signals,
    RATIOS,
    keyed_by="customer",
    sweep=sweep,
    state_bound=(
        "per customer: open promises (until judged), unmatched callbacks and contacts seen "
        f"(at most {MAX_SEEN}) for {FORGET_AFTER_SECONDS / 86400:.0f} days; a customer with "
        "none of them is deleted"
    ),
    panels=(
        {
            "title": "Callbacks made in time (1h)",
            "expr": 'pillarwatch_callback_kept_ratio{window="1h"}',
            "unit": "percentunit",
            "description": "Promised callbacks made by the promised time.",
        },
        {
            "title": "Re-opened after resolved (1h)",
            "expr": 'pillarwatch_reopened_ratio{window="1h"}',
            "unit": "percentunit",
        },
    ),
    alerts=(
        ratio_below_ticket(
            "PillarwatchCallbacksBroken",
            "pillarwatch_callback_kept_ratio",
            0.8,
            "30m",
            "{{ $labels.queue }} ({{ $labels.channel }}) misses promised callbacks",
            "the callbacks promised on {{ $labels.queue }} ({{ $labels.channel }}) were made by the"
            " promised time",
        ),
    ),
)
