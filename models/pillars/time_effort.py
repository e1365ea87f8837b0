"""time_effort: how fast and how easily customers get through (a core pillar).

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
    "service_level": 0.25,
    "speed_of_answer": 0.10,
    "abandonment": 0.20,
    "transfers": 0.10,
    "holds": 0.05,
    "repeat_contacts": 0.15,
    "journey_effort": 0.10,
    "customer_effort": 0.05,
}


def components(m: Measures, t: Targets) -> dict[str, float]:
    """Component scores 0..100; a component without data in the window is absent."""
    out: dict[str, float] = {}
    if m.service_level is not None:
        out["service_level"] = clamp100(m.service_level / t.service_level_goal)
    if m.average_speed_of_answer is not None:
        asa = m.average_speed_of_answer
        out["speed_of_answer"] = (
            100.0 if asa <= t.service_level_seconds else clamp100(t.service_level_seconds / asa)
        )
    if m.abandon_ratio is not None:
        out["abandonment"] = clamp100(1.0 - m.abandon_ratio / t.abandon_ceiling)
    if m.transfer_ratio is not None:
        out["transfers"] = clamp100(1.0 - m.transfer_ratio / t.transfer_ceiling)
    if m.average_hold is not None:
        out["holds"] = clamp100(1.0 - m.average_hold / t.hold_ceiling_seconds)
    if m.repeat_ratio is not None:
        out["repeat_contacts"] = clamp100(1.0 - m.repeat_ratio / t.repeat_ceiling)
    if m.journey_contacts is not None and m.journey_contacts > 0:
        # one contact per resolved journey is full marks; two is half
        out["journey_effort"] = clamp100(1.0 / m.journey_contacts)
    if m.ces is not None:
        out["customer_effort"] = clamp100((m.ces - 1.0) / 6.0)  # CES 1..7, 7 = very easy
    return out


PILLAR: Final = CorePillar(name="time_effort", weights=WEIGHTS, components=components)
