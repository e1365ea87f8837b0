"""Per-contact state and its transitions: the pure core of the first hop.

`apply(state, event, markers, config)` folds one event into a contact's state and returns
what to emit. Transitions are idempotent (a repeated event changes nothing) and, for the
lifecycle timestamps, independent of arrival order: a contact whose `answered` arrives
before its `queued` ends with the same summaries. Rules for impossible sequences:
- a second `answered` or `abandoned` keeps the earliest time (first one wins);
- `ended` with `queued` but no answer and no abandon is an abandon at the end time;
- `abandoned` after `answered` is ignored (the customer hung up on the agent: not an abandon);
- holds are paired by time at the end: each start with the first later end; an unpaired
  start or end adds nothing;
- lists of times (holds, transfers, apologies) keep at most MAX_TIMES entries each;
- a transfer to the contact's own queue is counted as a transfer (a re-queue is still effort);
- `ended` before `queued` (in time): the wait is 0, so a short abandon;
- after its summary a contact's state is kept as a tombstone until the contact timeout, so a
  late or replayed event (a survey, a redelivery after a crash) changes no counts;
- except a `contact.queued` later than the end (the later of ended and wrapped) of a tombstone
  that was queued itself: the contact was re-opened (docs/schema.md), and it starts again as a
  new contact with the same id;
- a contact with no event for `contact_timeout_seconds` (event time) is closed by `expire`:
  ended at its last event, its outcome (abandoned if never answered; with no event after the
  queued one that is a 0 s wait, a short abandon: no wait is invented) and summary emitted as if
  it had ended then (an answered one without wrap-up counts handle time to its last event);
  a contact that was never queued nor answered (e.g. only a survey) is dropped without output;
- the marker context (`marker_context`, models.markers.in_context: a short agent "sorry" right
  after a request to repeat is not an apology) follows the arrival order of messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from pillarwatch.models.config import Config
from pillarwatch.models.events import Event
from pillarwatch.models.markers import (
    APOLOGY,
    COMPLAINT,
    EMPATHY,
    asks_to_repeat,
    detect,
    in_context,
)

__all__ = [
    "ContactRow",
    "ContactState",
    "Outcome",
    "Summary",
    "Survey",
    "apply",
    "expire",
    "is_stale",
    "needs_state",
    "relevant_markers",
    "survey",
]

MAX_TIMES = 32  # bounds per-contact state whatever a producer sends


@dataclass(slots=True)
class ContactState:
    """What the first hop remembers about one contact (stored in a Table, as a dict)."""

    queue: str
    channel: str
    segment: str | None = None
    customer_id: str | None = None
    queued_ts: float | None = None
    answered_ts: float | None = None
    abandoned_ts: float | None = None
    ended_ts: float | None = None
    wrapped_ts: float | None = None
    resolved: bool | None = None
    # Times, not running totals, so that any arrival order gives the same summary.
    hold_starts: list[float] = field(default_factory=list)
    hold_ends: list[float] = field(default_factory=list)
    transfer_ts: list[float] = field(default_factory=list)
    markers: int = 0
    complaint_ts: float | None = None  # the first complaint
    apology_times: list[float] = field(default_factory=list)
    outcome_sent: bool = False
    summary_sent: bool = False
    last_ts: float = 0.0
    # Facts for the pillar agents (optional schema fields; models/events.py _pillar_fields).
    agent_id: str | None = None  # the agent who answered
    announced_wait: float | None = None  # the first wait announced to the customer
    callback_due: float | None = None
    callback_for: str | None = None
    personalised: bool = False
    empathy_times: list[float] = field(default_factory=list)
    contact_id: str = ""  # carried into outcomes and summaries: the measures side dedupes by it
    # Conversation flags for the marker rules (models.markers.in_context), in arrival order.
    marker_context: int = 0

    def to_row(self) -> ContactRow:
        """The stored form: a tuple in field order, lists as tuples (about a third of the
        memory of a dict of field names, and a snapshot: `apply` mutates the state in place,
        so a row taken before it compares unequal to one taken after a change)."""
        values = _ROW_VALUES(self)
        return tuple(tuple(v) if i in _LIST_FIELDS else v for i, v in enumerate(values))

    @classmethod
    def from_row(cls, row: ContactRow | list[Any]) -> ContactState:
        """From `to_row`'s tuple, or the JSON list it becomes in the changelog. A row written
        by an earlier version lacks the fields added since (always at the end); they take
        their defaults, so an upgrade reads the old changelog instead of failing on it."""
        if not _OLDEST_ROW <= len(row) <= len(_ROW_NAMES):
            raise ValueError(
                f"contact row: {len(row)} values, expected {_OLDEST_ROW} to {len(_ROW_NAMES)}"
                f" ({_ROW_NAMES})"
            )
        values: list[Any] = [list(v) if i in _LIST_FIELDS else v for i, v in enumerate(row)]
        return cls(*values)


#: A ContactState as stored: its fields in declaration order.
ContactRow = tuple[Any, ...]
_ROW_NAMES = tuple(f.name for f in fields(ContactState))
_ROW_VALUES = attrgetter(*_ROW_NAMES)
# Fields added after the first stored rows, at the end and with a default, so rows written
# before them still load: marker_context (the markers' conversation flags, 2026-12).
_ADDED_FIELDS = ("marker_context",)
_OLDEST_ROW = len(_ROW_NAMES) - len(_ADDED_FIELDS)
if _ROW_NAMES[_OLDEST_ROW:] != _ADDED_FIELDS:  # a field added anywhere else breaks old rows
    raise RuntimeError("ContactState: fields added after the first stored rows go at the end")
_LIST_FIELDS = frozenset(
    i for i, f in enumerate(fields(ContactState)) if f.type in ("list[float]", list[float])
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The queue outcome, emitted as soon as it is known (answer or abandon)."""

    queue: str
    channel: str
    ts: float
    outcome: str  # answered | abandoned | short_abandoned
    wait: float
    within_target: bool
    # Identity for the measures side's dedupe, not part of the figures (not compared).
    contact_id: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Summary:
    """The full contact summary, emitted once the contact has ended (and been wrapped up)."""

    queue: str
    channel: str
    ts: float
    answered: bool
    handle: float | None
    holds: int
    hold_seconds: float
    transfers: int
    wrapped: bool
    resolved: bool | None
    markers: int
    complaint_to_apology: float | None
    segment: str | None = None
    customer_id: str | None = None
    contact_id: str | None = None
    start: float | None = None  # the earliest lifecycle time known (queued, as a rule)
    wait: float = 0.0  # time in queue before the answer or the abandon
    # For the pillar agents (streams/agents/{integrity,expectations,personalisation,empathy}.py)
    agent_id: str | None = None
    announced_wait: float | None = None
    callback_due: float | None = None
    callback_for: str | None = None
    personalised: bool = False
    complaint_to_empathy: float | None = None


@dataclass(frozen=True, slots=True)
class Survey:
    """A survey answer, counted in the minute it was given, for the contact's queue."""

    queue: str
    channel: str
    ts: float
    csat: int | None
    ces: int | None
    nps: int | None
    # Identity for the measures side's dedupe (a replayed survey), not part of the figures.
    contact_id: str = field(default="", compare=False)


def survey(event: Event) -> Survey:
    return Survey(
        event.queue, event.channel, event.ts, event.csat, event.ces, event.nps, event.contact_id
    )


def relevant_markers(event: Event) -> int:
    """Markers of a message that can change state: complaints by customers, the rest by agents."""
    if event.text is None:
        return 0
    found = detect(event.text, event.lang)
    if event.role == "customer":
        return found & COMPLAINT
    if event.role == "agent":
        return found & (APOLOGY | EMPATHY)
    return 0


def apply(
    state: ContactState | None, event: Event, markers: int, config: Config
) -> tuple[ContactState, list[Outcome | Summary]]:
    """Fold `event` into `state` (mutated in place, or created); return it and what to emit.

    `markers` is `models.markers.detect()` of the event's text, 0 for non-message events.
    """
    if state is None or _reopened(state, event):
        state = ContactState(queue=event.queue, channel=event.channel, contact_id=event.contact_id)
    if state.segment is None and event.segment is not None:
        state.segment = event.segment
    if state.customer_id is None and event.customer_id is not None:
        state.customer_id = event.customer_id
    if event.ts > state.last_ts:
        state.last_ts = event.ts
    _TRANSITIONS.get(event.type, _ignore)(state, event, markers)
    _pillar_facts(state, event, markers)
    emitted: list[Outcome | Summary] = []
    outcome = _queue_outcome(state, config)
    if outcome is not None:
        emitted.append(outcome)
    summary = _summary(state)
    if summary is not None:
        emitted.append(summary)
    return state, emitted


def _reopened(state: ContactState, event: Event) -> bool:
    """A new `contact.queued` after the contact ended and was summarised: a re-opened contact."""
    if not state.summary_sent or event.type != "contact.queued" or state.ended_ts is None:
        return False
    if state.queued_ts is None:
        return False  # its own `queued`, arriving after its `ended`: it completes the contact
    return event.ts > max(state.ended_ts, state.wrapped_ts or state.ended_ts)


def is_stale(state: ContactState, now: float, config: Config) -> bool:
    """True when the contact had no event for the contact timeout, as of event time `now`."""
    return state.last_ts + config.contact_timeout_seconds < now


def expire(state: ContactState, config: Config) -> list[Outcome | Summary]:
    """Close a contact that stopped getting events; what to emit for it (see the module rules).

    The caller deletes the state afterwards. What is emitted depends only on the state, not on
    when the sweep runs, so a replay or a later sweep gives the same figures.
    """
    if state.summary_sent or (state.queued_ts is None and state.answered_ts is None):
        return []
    if state.ended_ts is None:
        state.ended_ts = state.last_ts
    emitted: list[Outcome | Summary] = []
    outcome = _queue_outcome(state, config)
    if outcome is not None:
        emitted.append(outcome)
    summary = _summary(state, force=True)
    if summary is not None:
        emitted.append(summary)
    return emitted


def _first(current: float | None, ts: float) -> float:
    return ts if current is None else min(current, ts)


def _queued(s: ContactState, e: Event, _m: int) -> None:
    if s.queued_ts is None or e.ts < s.queued_ts:
        s.queued_ts = e.ts
        if not s.outcome_sent:
            s.queue = e.queue  # the contact belongs to the queue it entered


def _answered(s: ContactState, e: Event, _m: int) -> None:
    s.answered_ts = _first(s.answered_ts, e.ts)


def _abandoned(s: ContactState, e: Event, _m: int) -> None:
    s.abandoned_ts = _first(s.abandoned_ts, e.ts)


def _ended(s: ContactState, e: Event, _m: int) -> None:
    s.ended_ts = _first(s.ended_ts, e.ts)


def _wrapped(s: ContactState, e: Event, _m: int) -> None:
    if s.wrapped_ts is None or e.ts >= s.wrapped_ts:
        s.wrapped_ts = e.ts
        if e.resolved is not None:
            s.resolved = e.resolved


def _add_time(times: list[float], ts: float) -> None:
    if ts not in times and len(times) < MAX_TIMES:
        times.append(ts)


def _transferred(s: ContactState, e: Event, _m: int) -> None:
    _add_time(s.transfer_ts, e.ts)


def _hold_started(s: ContactState, e: Event, _m: int) -> None:
    _add_time(s.hold_starts, e.ts)


def _hold_ended(s: ContactState, e: Event, _m: int) -> None:
    _add_time(s.hold_ends, e.ts)


def _message(s: ContactState, e: Event, markers: int) -> None:
    markers, s.marker_context = in_context(markers, e.role, e.text, e.lang, s.marker_context)
    if e.role == "customer" and markers & COMPLAINT:
        s.markers |= COMPLAINT
        s.complaint_ts = _first(s.complaint_ts, e.ts)
    elif e.role == "agent" and markers & ~COMPLAINT:
        s.markers |= markers & ~COMPLAINT
        if markers & APOLOGY:
            _add_time(s.apology_times, e.ts)


def _pillar_facts(s: ContactState, e: Event, markers: int) -> None:
    """Keep what the pillar agents need; every rule is order-independent or first-wins."""
    first_answer = s.agent_id is None or e.ts <= (s.answered_ts or e.ts)
    if e.type == "contact.answered" and e.agent_id is not None and first_answer:
        s.agent_id = e.agent_id
    if e.announced_wait is not None and s.announced_wait is None:
        s.announced_wait = e.announced_wait
    if e.callback_due is not None:
        s.callback_due = e.callback_due
    if e.callback_for is not None:
        s.callback_for = e.callback_for
    if e.role == "agent":
        if e.personalised:
            s.personalised = True
        if markers & EMPATHY:
            _add_time(s.empathy_times, e.ts)


def needs_state(event: Event) -> bool:
    """A plain message without markers still matters when it carries a pillar fact, or when an
    agent asks the customer to repeat (it sets the context flag that `in_context` reads)."""
    if event.personalised or event.announced_wait is not None:
        return True
    return (
        event.role == "agent" and event.text is not None and asks_to_repeat(event.text, event.lang)
    )


def _first_after(times: list[float], since: float | None) -> float | None:
    if since is None:
        return None
    after = [t for t in times if t >= since]
    return min(after) - since if after else None


def _holds(s: ContactState) -> tuple[int, float]:
    """(number of holds, seconds on hold): each start paired with the first end after it."""
    ends = sorted(s.hold_ends)
    count, seconds, i = 0, 0.0, 0
    for start in sorted(s.hold_starts):
        while i < len(ends) and ends[i] < start:
            i += 1
        if i == len(ends):
            break
        count += 1
        seconds += ends[i] - start
        i += 1
    return count, seconds


def _ignore(_s: ContactState, _e: Event, _m: int) -> None:
    return None


_TRANSITIONS = {
    "contact.queued": _queued,
    "contact.answered": _answered,
    "contact.abandoned": _abandoned,
    "contact.ended": _ended,
    "contact.wrapped": _wrapped,
    "contact.transferred": _transferred,
    "contact.hold_started": _hold_started,
    "contact.hold_ended": _hold_ended,
    "contact.message": _message,
}


def _queue_outcome(s: ContactState, config: Config) -> Outcome | None:
    if s.outcome_sent or s.queued_ts is None:
        return None
    targets = config.targets(s.queue, s.segment)
    if s.answered_ts is not None:
        wait = max(0.0, s.answered_ts - s.queued_ts)
        s.outcome_sent = True
        return Outcome(
            s.queue,
            s.channel,
            s.answered_ts,
            "answered",
            wait,
            wait <= targets.service_level_seconds,
            s.contact_id,
        )
    gone = s.abandoned_ts if s.abandoned_ts is not None else s.ended_ts
    if gone is None:
        return None
    wait = max(0.0, gone - s.queued_ts)
    s.outcome_sent = True
    kind = "short_abandoned" if wait < targets.short_abandon_seconds else "abandoned"
    return Outcome(s.queue, s.channel, gone, kind, wait, False, s.contact_id)


def _summary(s: ContactState, force: bool = False) -> Summary | None:
    if s.summary_sent or s.ended_ts is None:
        return None
    answered = s.answered_ts is not None
    if answered and s.wrapped_ts is None and not force:
        return None  # handle time includes wrap-up: wait for it (or the contact timeout)
    if s.wrapped_ts is not None and not answered and not force:
        return None  # a wrap-up means an agent answered: that event is still on its way
    end = max(s.ended_ts, s.wrapped_ts or s.ended_ts)
    s.summary_sent = True
    handle = max(0.0, end - s.answered_ts) if s.answered_ts is not None else None
    delay = _first_after(s.apology_times, s.complaint_ts)  # complaint to first apology after it
    holds, hold_seconds = _holds(s)
    known = [t for t in (s.queued_ts, s.answered_ts, s.abandoned_ts, s.ended_ts) if t is not None]
    gone = next((t for t in (s.answered_ts, s.abandoned_ts, s.ended_ts) if t is not None), None)
    wait = max(0.0, gone - s.queued_ts) if gone is not None and s.queued_ts is not None else 0.0
    return Summary(
        queue=s.queue,
        channel=s.channel,
        ts=end,
        answered=answered,
        handle=handle,
        holds=holds,
        hold_seconds=hold_seconds,
        transfers=len(s.transfer_ts),
        wrapped=s.wrapped_ts is not None,
        resolved=s.resolved,
        markers=s.markers,
        complaint_to_apology=delay,
        segment=s.segment,
        customer_id=s.customer_id,
        contact_id=s.contact_id or None,
        start=min(known),
        wait=wait,
        agent_id=s.agent_id,
        announced_wait=s.announced_wait,
        callback_due=s.callback_due,
        callback_for=s.callback_for,
        personalised=s.personalised,
        complaint_to_empathy=_first_after(s.empathy_times, s.complaint_ts),
    )
