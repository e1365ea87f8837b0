"""Pillar scores 0..100 from a window's measures, with the components that explain them.

Each component maps one measure onto 0..100 against the queue's targets. A pillar score is
the weighted mean of the components that have data in the window, with the weights
renormalised over those: a missing component counts neither as 0 nor as 100. A window with
fewer than `min_contacts` offered contacts gets no score at all (too noisy to act on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pillarwatch.models.config import Targets
from pillarwatch.models.measures import Measures

__all__ = ["PillarScore", "components", "pillar_scores", "weighted_score"]


@dataclass(frozen=True, slots=True)
class PillarScore:
    score: float | None
    components: dict[str, float]


def _clamp(x: float) -> float:
    return 100.0 * min(1.0, max(0.0, x))


def components(m: Measures, t: Targets) -> dict[str, dict[str, float]]:
    """Component scores per pillar; a component without data in the window is absent."""
    te: dict[str, float] = {}
    if m.service_level is not None:
        te["service_level"] = _clamp(m.service_level / t.service_level_goal)
    if m.average_speed_of_answer is not None:
        asa = m.average_speed_of_answer
        te["speed_of_answer"] = (
            100.0 if asa <= t.service_level_seconds else _clamp(t.service_level_seconds / asa)
        )
    if m.abandon_ratio is not None:
        te["abandonment"] = _clamp(1.0 - m.abandon_ratio / t.abandon_ceiling)
    if m.transfer_ratio is not None:
        te["transfers"] = _clamp(1.0 - m.transfer_ratio / t.transfer_ceiling)
    if m.average_hold is not None:
        te["holds"] = _clamp(1.0 - m.average_hold / t.hold_ceiling_seconds)
    if m.repeat_ratio is not None:
        te["repeat_contacts"] = _clamp(1.0 - m.repeat_ratio / t.repeat_ceiling)
    if m.journey_contacts is not None and m.journey_contacts > 0:
        # one contact per resolved journey is full marks; two is half
        te["journey_effort"] = _clamp(1.0 / m.journey_contacts)
    if m.ces is not None:
        te["customer_effort"] = _clamp((m.ces - 1.0) / 6.0)  # CES 1..7, 7 = very easy
    res: dict[str, float] = {}
    if m.first_contact_resolution is not None:
        res["first_contact_resolution"] = _clamp(m.first_contact_resolution)
    if m.resolved_ratio is not None:
        res["resolved_at_wrap_up"] = _clamp(m.resolved_ratio)
    if m.journey_duration is not None:
        ttr = m.journey_duration
        res["time_to_resolution"] = (
            100.0
            if ttr <= t.resolution_target_seconds
            else _clamp(t.resolution_target_seconds / ttr)
        )
    if m.apology_coverage is not None:
        res["apology_coverage"] = _clamp(m.apology_coverage)
    if m.csat is not None:
        res["csat"] = _clamp((m.csat - 1.0) / 4.0)  # CSAT 1..5
    return {"time_effort": te, "resolution": res}


def weighted_score(parts: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    """Weighted mean of the parts present, weights renormalised; None when nothing weighs."""
    total = sum(weights.get(name, 0.0) for name in parts)
    if total <= 0:
        return None
    mean = sum(value * weights.get(name, 0.0) for name, value in parts.items()) / total
    return min(100.0, max(0.0, mean))  # float rounding must not leave 0..100


def pillar_scores(
    m: Measures,
    t: Targets,
    weights: Mapping[str, Mapping[str, float]],
    min_contacts: int,
) -> dict[str, PillarScore]:
    """Scores and components per pillar; none of either below `min_contacts` offered."""
    parts = components(m, t)
    if m.offered < min_contacts:
        return {pillar: PillarScore(None, {}) for pillar in parts}
    return {
        pillar: PillarScore(weighted_score(comps, weights.get(pillar, {})), comps)
        for pillar, comps in parts.items()
    }
