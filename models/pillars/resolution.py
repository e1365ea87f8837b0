"""resolution: whether the customer's matter got resolved, and how well (a core pillar).

Scored from the window's core measures (models/measures.py), each component against the
queue's targets; docs/metrics.md gives the formulas and the reasons for the weights.
"""

from __future__ import annotations

from typing import Final

from pillarwatch.models.config import Targets
from pillarwatch.models.measures import Measures
from pillarwatch.models.pillars._spec import CorePillar, clamp100

__all__ = ["PILLAR", "components"]

WEIGHTS: Final = {
    "first_contact_resolution": 0.35,
    "resolved_at_wrap_up": 0.20,
    "time_to_resolution": 0.15,
    "apology_coverage": 0.15,
    "csat": 0.15,
}


def components(m: Measures, t: Targets) -> dict[str, float]:
    """Component scores 0..100; a component without data in the window is absent."""
    out: dict[str, float] = {}
    if m.first_contact_resolution is not None:
        out["first_contact_resolution"] = clamp100(m.first_contact_resolution)
    if m.resolved_ratio is not None:
        out["resolved_at_wrap_up"] = clamp100(m.resolved_ratio)
    if m.journey_duration is not None:
        ttr = m.journey_duration
        out["time_to_resolution"] = (
            100.0
            if ttr <= t.resolution_target_seconds
            else clamp100(t.resolution_target_seconds / ttr)
        )
    if m.apology_coverage is not None:
        out["apology_coverage"] = clamp100(m.apology_coverage)
    if m.csat is not None:
        out["csat"] = clamp100((m.csat - 1.0) / 4.0)  # CSAT 1..5
    return out


PILLAR: Final = CorePillar(name="resolution", weights=WEIGHTS, components=components)
