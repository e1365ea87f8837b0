"""The contact-centre measures of one window, from its summed bucket (models.buckets)."""

from __future__ import annotations

from dataclasses import dataclass

from pillarwatch.models.buckets import IDX, Vector

__all__ = ["Measures", "measures"]


@dataclass(frozen=True, slots=True)
class Measures:
    """A window's measures; None where the window holds no data for it (never 0 by default)."""

    offered: int
    service_level: float | None
    abandon_ratio: float | None
    average_speed_of_answer: float | None
    average_handle: float | None
    transfer_ratio: float | None
    average_hold: float | None
    resolved_ratio: float | None
    apology_coverage: float | None
    complaint_to_apology: float | None
    repeat_ratio: float | None
    first_contact_resolution: float | None
    journey_contacts: float | None
    journey_switches: float | None
    journey_wait: float | None
    journey_duration: float | None
    csat: float | None
    ces: float | None


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def measures(total: Vector) -> Measures:
    """Formulas, one per measure (docs/metrics.md gives the reasons)."""
    v = total.tolist()
    offered = v[IDX["offered"]]
    # Short abandons are neither good nor bad service: they leave numerator and denominator.
    considered = offered - v[IDX["short_abandoned"]]
    handled = v[IDX["handled"]]
    return Measures(
        offered=int(offered),
        service_level=_ratio(v[IDX["answered_in_target"]], considered),
        abandon_ratio=_ratio(v[IDX["abandoned"]], considered),
        average_speed_of_answer=_ratio(v[IDX["wait_sum"]], v[IDX["answered"]]),
        average_handle=_ratio(v[IDX["handle_sum"]], handled),
        transfer_ratio=_ratio(v[IDX["transferred"]], handled),
        average_hold=_ratio(v[IDX["hold_sum"]], handled),
        resolved_ratio=_ratio(v[IDX["resolved"]], v[IDX["wrapped"]]),
        apology_coverage=_ratio(v[IDX["apologised"]], v[IDX["complained"]]),
        complaint_to_apology=_ratio(v[IDX["apology_delay_sum"]], v[IDX["apologised"]]),
        repeat_ratio=_ratio(v[IDX["repeats"]], v[IDX["with_customer"]]),
        first_contact_resolution=_ratio(v[IDX["fcr_resolved"]], v[IDX["fcr_eligible"]]),
        journey_contacts=_ratio(v[IDX["journey_contacts"]], v[IDX["journeys"]]),
        journey_switches=_ratio(v[IDX["journey_switches"]], v[IDX["journeys"]]),
        journey_wait=_ratio(v[IDX["journey_wait_sum"]], v[IDX["journeys"]]),
        journey_duration=_ratio(v[IDX["journey_duration_sum"]], v[IDX["journeys"]]),
        csat=_ratio(v[IDX["csat_sum"]], v[IDX["csat_n"]]),
        ces=_ratio(v[IDX["ces_sum"]], v[IDX["ces_n"]]),
    )
