"""empathy: agent empathy in contacts where the customer complained, and how soon it came.

A pillar agent (docs/adding-an-agent.md). Stateless: it reads each contact summary from
`contact-summaries` and, for an answered contact in which the customer complained, emits one
signal: the complaint, whether an agent empathy marker (models/markers.py EMPATHY, in the
contact's language) came at or after the first complaint, and how many seconds after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from models.config import Config, Targets
from models.contact import Summary
from models.markers import COMPLAINT
from models.signals import Pillar, Signal, State, clamp100, ratio
from streams.agents._contract import AgentSpec, install_pillar

if TYPE_CHECKING:
    from streams.app import PillarwatchApp

__all__ = ["ALERTS", "EMPATHY_WITHIN_SECONDS", "PANELS", "PILLAR", "SPEC", "install"]

NAME: Final = "empathy"
# Empathy that comes within a minute of the complaint answers it; later, it reads as a script.
EMPATHY_WITHIN_SECONDS: Final = 60.0
WEIGHTS: Final = {"empathy_coverage": 0.7, "empathy_timeliness": 0.3}


def signals(state: State, summary: Summary, config: Config) -> tuple[State, list[Signal]]:
    if not summary.answered or not summary.markers & COMPLAINT:
        return None, []
    values = {"complained": 1.0}
    delay = summary.complaint_to_empathy
    if delay is not None:
        values["empathised"] = 1.0
        values["empathy_delay_sum"] = delay
        if delay <= EMPATHY_WITHIN_SECONDS:
            values["empathy_in_time"] = 1.0
    return None, [Signal(summary.queue, summary.channel, summary.ts, NAME, values)]


def components(sums: Mapping[str, float], targets: Targets) -> dict[str, float]:
    out = {}
    if (coverage := ratio(sums.get("empathised", 0.0), sums.get("complained", 0.0))) is not None:
        out["empathy_coverage"] = clamp100(coverage)
    if (timely := ratio(sums.get("empathy_in_time", 0.0), sums.get("empathised", 0.0))) is not None:
        out["empathy_timeliness"] = clamp100(timely)
    return out


def gauges(sums: Mapping[str, float]) -> dict[str, float]:
    out = {}
    if (coverage := ratio(sums.get("empathised", 0.0), sums.get("complained", 0.0))) is not None:
        out["pillarwatch_empathy_coverage_ratio"] = coverage
    delay = ratio(sums.get("empathy_delay_sum", 0.0), sums.get("empathised", 0.0))
    if delay is not None:
        out["pillarwatch_complaint_to_empathy_seconds"] = delay
    return out


PILLAR = Pillar(
    name=NAME,
    weights=WEIGHTS,
    signals=signals,
    components=components,
    gauges=gauges,
    keyed_by="queue",
    fields=("complained", "empathised", "empathy_delay_sum", "empathy_in_time"),
)
SPEC = AgentSpec(
    name=NAME,
    consumes="summaries",
    tables={},
    metrics=(
        "pillarwatch_empathy_coverage_ratio",
        "pillarwatch_complaint_to_empathy_seconds",
        "pillarwatch_pillar_score",
        "pillarwatch_pillar_component_score",
    ),
    pillar=NAME,
    components=tuple(WEIGHTS),
)
PANELS = (
    {
        "title": "Empathy after complaints (1h)",
        "expr": 'pillarwatch_empathy_coverage_ratio{window="1h"}',
        "unit": "percentunit",
        "description": "Share of complaining contacts in which the agent showed empathy.",
    },
)
RUNBOOKS = "https://github.com/pillarwatch/pillarwatch/blob/main/docs/runbooks/"
ALERTS = (
    {
        "alert": "PillarwatchEmpathyLow",
        # Volume guard: a ratio over a handful of contacts is noise, not a finding.
        "expr": (
            'pillarwatch_empathy_coverage_ratio{window="1h"} < 0.3'
            ' and on (queue, channel, window) pillarwatch_window_contacts{window="1h"} >= 30'
        ),
        "for": "30m",
        "labels": {"severity": "ticket", "layer": "business"},
        "annotations": {
            "summary": "Few complaints on {{ $labels.queue }} ({{ $labels.channel }}) get empathy",
            "description": (
                "Over the last hour only {{ $value | humanizePercentage }} of the complaining "
                "contacts on {{ $labels.queue }} ({{ $labels.channel }}) had an agent acknowledge"
                " the customer's frustration (ticket below 30 %, with at least 30 contacts in the"
                " hour)."
            ),
            "runbook_url": RUNBOOKS + "PillarwatchEmpathyLow.md",
        },
    },
)


def install(app: PillarwatchApp) -> None:
    install_pillar(app, SPEC, PILLAR)
