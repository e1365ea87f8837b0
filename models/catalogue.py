"""The metric catalogue: every metric pillarwatch exports, with its kind, labels and meaning.

This is the single source the exporter (streams/metrics.py), the dashboards check, the
contract test and docs/metrics.md are held to. Labels come only from ALLOWED_LABELS: never
contact ids, customer ids or text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ALLOWED_LABELS", "CATALOGUE", "WINDOWS", "MetricSpec", "spec"]

Kind = Literal["counter", "gauge", "histogram"]

ALLOWED_LABELS = frozenset(
    {"queue", "channel", "window", "pillar", "component", "type", "reason", "outcome", "state"}
)
WINDOWS = ("5m", "1h")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One exported metric. `name` is the full Prometheus name (with `_total` for counters)."""

    name: str
    kind: Kind
    labels: tuple[str, ...]
    help: str


_QC = ("queue", "channel")
_QCW = ("queue", "channel", "window")

CATALOGUE: tuple[MetricSpec, ...] = (
    # pipeline
    MetricSpec("pillarwatch_events_total", "counter", ("type",), "Accepted input events."),
    MetricSpec(
        "pillarwatch_events_rejected_total", "counter", ("reason",), "Dead-lettered input events."
    ),
    MetricSpec(
        "pillarwatch_events_duplicate_total", "counter", (), "Dropped duplicate events (event_id)."
    ),
    MetricSpec(
        "pillarwatch_events_late_total",
        "counter",
        (),
        "Events later than the allowed lateness: applied to contact state, not to closed minutes.",
    ),
    MetricSpec(
        "pillarwatch_event_lag_seconds",
        "histogram",
        (),
        "Processing time minus event time, at the first hop.",
    ),
    MetricSpec(
        "pillarwatch_partitions_assigned",
        "gauge",
        ("state",),
        "Topic partitions this worker holds now, by state: active (it processes them) or "
        "standby (it follows their table changelog to take over quickly).",
    ),
    MetricSpec(
        "pillarwatch_labels_folded_total",
        "counter",
        (),
        "Label values folded into 'other' because the label-value cap was reached.",
    ),
    # ingest (pillarwatch ingest http|queue-log)
    MetricSpec(
        "pillarwatch_ingest_requests_total",
        "counter",
        ("outcome",),
        "Webhook requests and queue_log batches by outcome: accepted, malformed, unauthorized, "
        "too_large, too_many_items, rate_limited, unavailable.",
    ),
    MetricSpec(
        "pillarwatch_ingest_events_total",
        "counter",
        ("type",),
        "Schema v1 events produced by the ingest adapters (acknowledged by the broker).",
    ),
    MetricSpec(
        "pillarwatch_ingest_unmapped_total",
        "counter",
        ("reason",),
        "Source platform events that gave no schema event, by reason code.",
    ),
    MetricSpec(
        "pillarwatch_ingest_agent_no_answer_total",
        "counter",
        ("queue",),
        "Rings an agent let go unanswered (Asterisk RINGNOANSWER with a ring time), per queue; "
        "counted by the ingest process, not by the workers.",
    ),
    # contacts, as they happen
    MetricSpec(
        "pillarwatch_contacts_total",
        "counter",
        ("queue", "channel", "outcome"),
        "Queue outcomes: answered, abandoned, short_abandoned.",
    ),
    MetricSpec("pillarwatch_wait_seconds", "histogram", _QC, "Wait in queue of answered contacts."),
    MetricSpec(
        "pillarwatch_handle_seconds", "histogram", _QC, "Handle time: talk + hold + wrap-up."
    ),
    MetricSpec(
        "pillarwatch_queue_waiting_contacts", "gauge", _QC, "Contacts waiting in queue now."
    ),
    MetricSpec(
        "pillarwatch_queue_longest_wait_seconds",
        "gauge",
        _QC,
        "Wait so far of the oldest contact waiting in queue now.",
    ),
    # rolling measures, per window
    MetricSpec(
        "pillarwatch_service_level_ratio",
        "gauge",
        _QCW,
        "Answered within target / (offered - short abandons).",
    ),
    MetricSpec(
        "pillarwatch_abandon_ratio",
        "gauge",
        _QCW,
        "Abandoned (not short) / (offered - short abandons).",
    ),
    MetricSpec(
        "pillarwatch_average_speed_of_answer_seconds",
        "gauge",
        _QCW,
        "Mean wait of answered contacts.",
    ),
    MetricSpec(
        "pillarwatch_average_handle_seconds", "gauge", _QCW, "Mean handle time of ended contacts."
    ),
    MetricSpec(
        "pillarwatch_transfer_ratio", "gauge", _QCW, "Handled contacts with at least one transfer."
    ),
    MetricSpec(
        "pillarwatch_repeat_contact_ratio",
        "gauge",
        _QCW,
        "Contacts whose customer had another contact within the repeat window before.",
    ),
    MetricSpec(
        "pillarwatch_first_contact_resolution_ratio",
        "gauge",
        _QCW,
        "Resolved at wrap-up and not followed by a repeat contact.",
    ),
    MetricSpec(
        "pillarwatch_first_contact_resolution_final_ratio",
        "gauge",
        _QC,
        "First-contact resolution of the contacts that ended in the newest hour whose repeat "
        "window has fully passed: final, it will not change.",
    ),
    MetricSpec(
        "pillarwatch_apology_coverage_ratio",
        "gauge",
        _QCW,
        "Contacts with a customer complaint in which the agent apologised.",
    ),
    MetricSpec(
        "pillarwatch_complaint_to_apology_seconds",
        "gauge",
        _QCW,
        "Mean time from the customer's first complaint to the agent's first apology after it.",
    ),
    MetricSpec(
        "pillarwatch_journey_contacts",
        "gauge",
        _QCW,
        "Mean contacts per journey, over journeys that ended resolved in the window.",
    ),
    MetricSpec(
        "pillarwatch_journey_channel_switches",
        "gauge",
        _QCW,
        "Mean channel switches per resolved journey.",
    ),
    MetricSpec(
        "pillarwatch_journey_wait_seconds",
        "gauge",
        _QCW,
        "Mean total queue wait across a resolved journey's contacts.",
    ),
    MetricSpec(
        "pillarwatch_journey_resolution_seconds",
        "gauge",
        _QCW,
        "Mean time from a journey's first contact to its resolution.",
    ),
    MetricSpec("pillarwatch_csat_average", "gauge", _QCW, "Mean CSAT (1..5) of survey answers."),
    MetricSpec("pillarwatch_ces_average", "gauge", _QCW, "Mean CES (1..7, 7 = easy) of answers."),
    MetricSpec(
        "pillarwatch_window_contacts",
        "gauge",
        _QCW,
        "Contacts offered in the window (the volume behind every ratio).",
    ),
    MetricSpec(
        "pillarwatch_pillar_score",
        "gauge",
        ("pillar", "queue", "channel", "window"),
        "Pillar score 0..100.",
    ),
    MetricSpec(
        "pillarwatch_pillar_component_score",
        "gauge",
        ("pillar", "component", "queue", "channel", "window"),
        "A component of a pillar score, 0..100.",
    ),
    # staffing: Erlang C over the lookback (models/staffing.py, docs/staffing.md)
    MetricSpec(
        "pillarwatch_staffing_required_agents",
        "gauge",
        _QC,
        "Agents Erlang C needs to meet the service-level goal at the measured arrival rate and "
        "handle time.",
    ),
    MetricSpec(
        "pillarwatch_staffing_present_agents",
        "gauge",
        ("queue", "channel", "state"),
        "Agents on the queue now by state: available, busy, after_call_work, break, offline.",
    ),
    MetricSpec(
        "pillarwatch_projected_service_level_ratio",
        "gauge",
        _QC,
        "Erlang C service level with the agents present now (0 when traffic >= agents).",
    ),
    MetricSpec(
        "pillarwatch_projected_average_speed_of_answer_seconds",
        "gauge",
        _QC,
        "Erlang C mean wait with the agents present now (+Inf when traffic >= agents).",
    ),
    MetricSpec(
        "pillarwatch_occupancy_ratio",
        "gauge",
        _QC,
        "Traffic in Erlangs / agents present (1 when traffic >= agents).",
    ),
    MetricSpec(
        "pillarwatch_service_level_goal_ratio",
        "gauge",
        _QC,
        "The queue's configured service-level goal (e.g. 0.8), for alerts and wallboards.",
    ),
    # the signal pillars (models/pillars/{integrity,expectations,personalisation,empathy}.py)
    MetricSpec(
        "pillarwatch_callback_kept_ratio",
        "gauge",
        _QCW,
        "Promised callbacks made by the promised time / promised callbacks judged.",
    ),
    MetricSpec(
        "pillarwatch_reopened_ratio",
        "gauge",
        _QCW,
        "Contacts re-opened after being resolved / contacts resolved, in the window.",
    ),
    MetricSpec(
        "pillarwatch_announced_wait_kept_ratio",
        "gauge",
        _QCW,
        "Contacts answered within the wait announced to them (+ grace) / contacts judged.",
    ),
    MetricSpec(
        "pillarwatch_announced_wait_overrun_seconds",
        "gauge",
        _QCW,
        "Mean seconds waited beyond the announced wait (0 when within it).",
    ),
    MetricSpec(
        "pillarwatch_segment_service_level_ratio",
        "gauge",
        _QCW,
        "Contacts answered within their own segment's target / contacts considered.",
    ),
    MetricSpec(
        "pillarwatch_personalised_contact_ratio",
        "gauge",
        _QCW,
        "Answered contacts (with a customer id) in which the agent personalised.",
    ),
    MetricSpec(
        "pillarwatch_same_agent_repeat_ratio",
        "gauge",
        _QCW,
        "Answered repeat contacts that reached the agent of the previous contact.",
    ),
    MetricSpec(
        "pillarwatch_empathy_coverage_ratio",
        "gauge",
        _QCW,
        "Complaining contacts in which an agent showed empathy at or after the complaint.",
    ),
    MetricSpec(
        "pillarwatch_complaint_to_empathy_seconds",
        "gauge",
        _QCW,
        "Mean time from the customer's first complaint to the agent's first empathy after it.",
    ),
    # reliability
    MetricSpec(
        "pillarwatch_contacts_expired_total",
        "counter",
        (),
        "Open contacts closed by the contact timeout (no event for contact_timeout_seconds).",
    ),
)

_BY_NAME = {m.name: m for m in CATALOGUE}


def spec(name: str) -> MetricSpec:
    """The catalogue entry for `name`; KeyError for a metric that is not in the contract."""
    return _BY_NAME[name]
