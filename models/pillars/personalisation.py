"""personalisation: the agent uses what is known about the customer; a repeat contact reaches
the agent who handled the previous one.

A pillar (docs/adding-an-agent.md), keyed by customer. Two signals:
- per answered contact with a customer id: whether an agent message was flagged
  `personalised` by upstream NLP (the customer's name or earlier context was used; the name
  itself never reaches pillarwatch);
- per answered repeat contact (it started within the repeat window of the customer's previous
  answered contact): whether the same agent answered it. The previous contact is found in the
  set of the customer's stored contacts, so a summary that arrives late corrects the figures
  it changes (additive corrections, as the journeys do): any arrival order gives the
  same sums.
"""

from __future__ import annotations

from typing import Any, Final

from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.pillars._spec import Ratio, Signal, State, ratio_pillar

__all__ = ["PILLAR"]

NAME: Final = "personalisation"
MAX_CONTACTS: Final = 20  # answered contacts remembered per customer
WEIGHTS: Final = {"personal_touch": 0.5, "same_agent_repeat": 0.5}

# A stored contact: [contact_id, start, agent_id, window, queue, channel, ts, emitted]
ID, START, AGENT, WINDOW, QUEUE, CHANNEL, TS, EMITTED = range(8)


def _figures(contacts: list[list[Any]]) -> list[dict[str, float]]:
    """Per contact (sorted by start): repeat_handled and same_agent, from the whole set."""
    out: list[dict[str, float]] = []
    for j, c in enumerate(contacts):
        prev = None
        for p in contacts[:j]:
            if p[START] < c[START] <= p[START] + p[WINDOW]:
                prev = p  # the latest earlier contact it repeats
        if prev is None:
            out.append({})
        else:
            out.append({"repeat_handled": 1.0, "same_agent": float(prev[AGENT] == c[AGENT])})
    return out


def signals(state: State, summary: Summary, config: Config) -> tuple[State, list[Signal]]:
    if not summary.answered or summary.agent_id is None:
        return state, []
    contacts: list[list[Any]] = [list(c) for c in (state or {}).get("contacts", [])]
    cid = summary.contact_id or ""
    start = summary.start if summary.start is not None else summary.ts
    if any(c[ID] == cid and c[START] == start for c in contacts):
        return state, []  # the same summary again
    touch = {"handled": 1.0, "personalised": 1.0 if summary.personalised else 0.0}
    out = [Signal(summary.queue, summary.channel, summary.ts, NAME, touch)]
    window = config.targets(summary.queue, summary.segment).repeat_window_seconds
    contacts.append(
        [cid, start, summary.agent_id, window, summary.queue, summary.channel, summary.ts, {}]
    )
    newest = max(c[START] for c in contacts)
    contacts = [c for c in contacts if c[START] + 2 * c[WINDOW] >= newest]
    contacts.sort(key=lambda c: (c[START], c[ID]))
    contacts = contacts[-MAX_CONTACTS:]
    for c, figures in zip(contacts, _figures(contacts), strict=True):
        emitted: dict[str, float] = c[EMITTED]
        if not figures and emitted:
            continue  # its previous contact was forgotten: keep what was counted
        delta = {k: figures.get(k, 0.0) - emitted.get(k, 0.0) for k in set(figures) | set(emitted)}
        delta = {k: v for k, v in delta.items() if v}
        if delta:
            c[EMITTED] = figures
            out.append(Signal(c[QUEUE], c[CHANNEL], c[TS], NAME, delta))
    return {"contacts": contacts}, out


RATIOS: Final = (
    Ratio(
        "personalised",
        "handled",
        gauge="pillarwatch_personalised_contact_ratio",
        component="personal_touch",
    ),
    Ratio(
        "same_agent",
        "repeat_handled",
        gauge="pillarwatch_same_agent_repeat_ratio",
        component="same_agent_repeat",
    ),
)


PILLAR: Final = ratio_pillar(
    NAME,
    WEIGHTS,
    signals,
    RATIOS,
    keyed_by="customer",
    state_bound=(
        f"per customer, at most {MAX_CONTACTS} answered contacts, none older than twice "
        "their repeat window"
    ),
    panels=(
        {
            "title": "Repeat contacts reaching the same agent (1h)",
            "expr": 'pillarwatch_same_agent_repeat_ratio{window="1h"}',
            "unit": "percentunit",
        },
    ),
)
