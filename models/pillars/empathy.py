"""empathy: agent empathy in contacts where the customer complained, and how soon it came.

A pillar (docs/adding-an-agent.md). Stateless: it reads each contact summary from
`contact-summaries` and, for an answered contact in which the customer complained, emits one
signal: the complaint, whether an agent empathy marker (models/markers.py EMPATHY, in the
contact's language) came at or after the first complaint, and how many seconds after it.
"""

from __future__ import annotations

from typing import Final

from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.markers import COMPLAINT
from pillarwatch.models.pillars._alerts import ratio_below_ticket
from pillarwatch.models.pillars._spec import Ratio, Signal, State, ratio_pillar

__all__ = ["EMPATHY_WITHIN_SECONDS", "PILLAR"]

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


RATIOS: Final = (
    Ratio(
        "empathised",
        "complained",
        gauge="pillarwatch_empathy_coverage_ratio",
        component="empathy_coverage",
    ),
    Ratio("empathy_in_time", "empathised", component="empathy_timeliness"),
    Ratio("empathy_delay_sum", "empathised", gauge="pillarwatch_complaint_to_empathy_seconds"),
)


PILLAR: Final = ratio_pillar(
    NAME,
    WEIGHTS,
    signals,
    RATIOS,
    panels=(
        {
            "title": "Empathy after complaints (1h)",
            "expr": 'pillarwatch_empathy_coverage_ratio{window="1h"}',
            "unit": "percentunit",
            "description": "Share of complaining contacts in which the agent showed empathy.",
        },
    ),
    alerts=(
        ratio_below_ticket(
            "PillarwatchEmpathyLow",
            "pillarwatch_empathy_coverage_ratio",
            0.3,
            "30m",
            "Few complaints on {{ $labels.queue }} ({{ $labels.channel }}) get empathy",
            "the complaining contacts on {{ $labels.queue }} ({{ $labels.channel }}) had an agent"
            " acknowledge the customer's frustration",
        ),
    ),
)
