"""Customer journeys: repeat contacts, first-contact resolution and journey effort (pure).

A customer's recent contacts are kept (bounded by the repeat window and MAX_CONTACTS). Every
figure a contact contributes is a function of that *set* of contacts, not of the order the
summaries arrived in: when a contact arrives, every stored contact's figures are recomputed and
only the differences are emitted, as additive corrections to the minute bucket of the contact
they belong to. So a customer's earlier contact that arrives late (another partition was
slower) corrects the figures it changes, and the sums end up the same in any arrival order.

Definitions (W = the repeat window of the earlier contact's queue and segment):
- Q is a *repeat of* P when P.start < Q.start <= P.start + W. A contact is a repeat when it
  is a repeat of any stored contact, across channels.
- A contact is *first-contact resolved* when it was resolved at wrap-up and no repeat of it
  exists. Until W has passed after it, this is provisional (a repeat may still come).
- A journey ends at each resolved contact: it is the chain of contacts back from it while each
  is a repeat of the one before. Journey effort is measured on that chain: its contacts, channel
  switches, total queue wait, and the time from its first start to the resolved contact's end.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from pillarwatch.models.contact import Summary

__all__ = [
    "JOURNEY_FIELDS",
    "JourneyContact",
    "JourneyDelta",
    "JourneyState",
    "add_contact",
    "delta_ident",
    "deltas",
    "from_summary",
    "resend",
]

MAX_CONTACTS: Final = 50  # per customer within the window: a robot dialler must not grow state

# The bucket fields a contact's journey figures feed (models/buckets.py has them too).
JOURNEY_FIELDS: Final = (
    "with_customer",  # contacts that carry a customer id (the repeat-ratio denominator)
    "repeats",
    "fcr_eligible",  # with customer id and a wrap-up disposition
    "fcr_resolved",  # ... resolved and (so far) not followed by a repeat
    "journeys",  # resolved contacts, each ending a journey
    "journey_contacts",
    "journey_switches",
    "journey_wait_sum",
    "journey_duration_sum",
)


@dataclass(slots=True)
class JourneyContact:
    contact_id: str
    queue: str
    channel: str
    start: float
    end: float
    wait: float
    resolved: bool | None
    window: float  # the repeat window of this contact's queue and segment
    emitted: dict[str, float] = field(default_factory=dict)  # what was sent for it so far
    # The corrections its arrival sent, [queue, channel, ts, delta, ident] each: sent again
    # when its summary is replayed (`resend`), because the first sends may not have reached
    # the broker although the state that records them did.
    caused: list[list[Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class JourneyState:
    contacts: list[JourneyContact] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"contacts": [c.to_dict() for c in self.contacts]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JourneyState:
        return cls([JourneyContact(**c) for c in data.get("contacts", [])])


@dataclass(frozen=True, slots=True)
class JourneyDelta:
    """A correction to the journey figures of one contact, counted in its end minute.

    `ident` names the contact whose arrival caused it and the contact it corrects (each
    arrival corrects a contact at most once), so a correction sent again (the customers agent
    replaying a summary whose first sends may not have gone out) is counted once by the
    bucket it lands in. None in corrections from before ids: deduped by offset only.
    """

    queue: str
    channel: str
    ts: float
    delta: dict[str, float]
    ident: str | None = None


Correction = tuple[JourneyContact, dict[str, float]]


def from_summary(summary: Summary, window: float) -> JourneyContact:
    """The journey view of a contact summary; `window` is its queue and segment's repeat window."""
    return JourneyContact(
        contact_id=summary.contact_id or "",
        queue=summary.queue,
        channel=summary.channel,
        start=summary.start if summary.start is not None else summary.ts,
        end=summary.ts,
        wait=summary.wait,
        resolved=summary.resolved,
        window=window,
    )


def delta_ident(cause: str, corrected: str) -> str:
    """A short, stable id for the correction of `corrected` caused by `cause`'s arrival: it
    is kept in its minute bucket's list of counted ids (a digest, not two contact ids)."""
    digest = hashlib.blake2b(f"{cause}>{corrected}".encode(), digest_size=8).hexdigest()
    return f"j:{digest}"


def deltas(corrections: list[Correction], cause: str) -> list[JourneyDelta]:
    """The corrections that `cause`'s arrival made, as messages for the measures agent."""
    return [
        JourneyDelta(c.queue, c.channel, c.end, d, delta_ident(cause, c.contact_id))
        for c, d in corrections
    ]


def _figures(contacts: list[JourneyContact]) -> list[dict[str, float]]:
    """Each contact's journey figures, from the whole set (contacts sorted by start)."""
    n = len(contacts)
    repeat_of: list[int | None] = [None] * n  # the latest earlier contact it repeats
    followed = [False] * n
    for j in range(n):
        for i in range(j):
            p, q = contacts[i], contacts[j]
            if p.start < q.start <= p.start + p.window:
                repeat_of[j] = i
                followed[i] = True
    out = []
    for j, c in enumerate(contacts):
        f = {"with_customer": 1.0, "repeats": 1.0 if repeat_of[j] is not None else 0.0}
        if c.resolved is not None:
            f["fcr_eligible"] = 1.0
            f["fcr_resolved"] = 1.0 if c.resolved and not followed[j] else 0.0
        if c.resolved:
            chain = [j]
            while (prev := repeat_of[chain[-1]]) is not None:
                chain.append(prev)
            members = [contacts[k] for k in reversed(chain)]
            f["journeys"] = 1.0
            f["journey_contacts"] = float(len(members))
            f["journey_switches"] = float(
                sum(a.channel != b.channel for a, b in itertools.pairwise(members))
            )
            f["journey_wait_sum"] = sum(m.wait for m in members)
            f["journey_duration_sum"] = c.end - members[0].start
        out.append(f)
    return out


_JOURNEY_KEYS: Final = tuple(k for k in JOURNEY_FIELDS if k.startswith("journey"))


def _monotone(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    """Figures never step back because a contact was forgotten (state is bounded).

    Adding contacts can only make a contact a repeat, followed, or the end of a longer chain;
    forgetting an old contact must not undo that, so those keep their most advanced value.
    """
    if not old:
        return new
    merged = dict(new)
    merged["repeats"] = max(old.get("repeats", 0.0), new["repeats"])
    if "fcr_resolved" in old and "fcr_resolved" in new:
        merged["fcr_resolved"] = min(old["fcr_resolved"], new["fcr_resolved"])
    if old.get("journey_contacts", 0.0) > new.get("journey_contacts", 0.0):
        merged.update({k: old[k] for k in _JOURNEY_KEYS if k in old})
    return merged


def add_contact(
    state: JourneyState | None, new: JourneyContact
) -> tuple[JourneyState, list[Correction]]:
    """Add a contact; return the state and the corrections (contact, field deltas) to emit."""
    state = state or JourneyState()
    if any(c.contact_id == new.contact_id for c in state.contacts):
        return state, []  # the same contact again (a replayed summary): nothing changes
    # Forget contacts that can no longer be repeated by, or repeat, anything newer.
    newest = max([new.start, *(c.start for c in state.contacts)])
    kept = [c for c in state.contacts if c.start + 2 * c.window >= newest]
    kept.append(new)
    kept.sort(key=lambda c: (c.start, c.contact_id))
    kept = kept[-MAX_CONTACTS:]
    corrections: list[Correction] = []
    for contact, computed in zip(kept, _figures(kept), strict=True):
        figures = _monotone(contact.emitted, computed)
        delta = {
            k: figures.get(k, 0.0) - contact.emitted.get(k, 0.0)
            for k in set(figures) | set(contact.emitted)
        }
        delta = {k: v for k, v in delta.items() if v != 0.0}
        if delta:
            contact.emitted = figures
            corrections.append((contact, delta))
    new.caused = [
        [c.queue, c.channel, c.end, d, delta_ident(new.contact_id, c.contact_id)]
        for c, d in corrections
    ]
    state.contacts = kept
    return state, corrections


def resend(state: JourneyState | None, contact_id: str) -> list[JourneyDelta] | None:
    """The corrections `contact_id`'s arrival sent, with their ids, if the state holds it
    (a replayed summary); None if it does not.

    After a crash the state can be ahead of what reached the broker: the journey was stored
    and written to the changelog while a correction sent before it was still queued behind
    other messages of its partition (the Kafka producer sends one batch per partition at a
    time, so messages to different partitions do not arrive in the order they were sent).
    Sending them again is safe: the buckets count an id once.
    """
    for c in state.contacts if state is not None else ():
        if c.contact_id == contact_id:
            return [JourneyDelta(q, ch, ts, dict(d), ident) for q, ch, ts, d, ident in c.caused]
    return None
