"""The window gauges at scrape time: core measures, pillar scores and the final FCR."""

from __future__ import annotations

import math
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from pillarwatch.models.catalogue import spec
from pillarwatch.models.config import Config
from pillarwatch.models.pillars import PillarResult
from pillarwatch.models.windows import WindowResult
from pillarwatch.streams.metrics import gauge_family

__all__ = ["MEASURE_GAUGES", "final_fcr", "offered", "result_samples"]

# metric name -> the Measures attribute it exports
MEASURE_GAUGES = {
    "pillarwatch_service_level_ratio": "service_level",
    "pillarwatch_abandon_ratio": "abandon_ratio",
    "pillarwatch_average_speed_of_answer_seconds": "average_speed_of_answer",
    "pillarwatch_average_handle_seconds": "average_handle",
    "pillarwatch_transfer_ratio": "transfer_ratio",
    "pillarwatch_apology_coverage_ratio": "apology_coverage",
    "pillarwatch_complaint_to_apology_seconds": "complaint_to_apology",
    "pillarwatch_repeat_contact_ratio": "repeat_ratio",
    "pillarwatch_first_contact_resolution_ratio": "first_contact_resolution",
    "pillarwatch_journey_contacts": "journey_contacts",
    "pillarwatch_journey_channel_switches": "journey_switches",
    "pillarwatch_journey_wait_seconds": "journey_wait",
    "pillarwatch_journey_resolution_seconds": "journey_duration",
    "pillarwatch_csat_average": "csat",
    "pillarwatch_ces_average": "ces",
}


def result_samples(
    results: list[WindowResult], extra: list[PillarResult] | None = None
) -> Iterator[GaugeMetricFamily]:
    """The gauge families for window results (absent values are not exported); `extra` are
    the results of the signal pillars (models/pillars)."""
    families = {name: gauge_family(spec(name)) for name in MEASURE_GAUGES}
    volume = gauge_family(spec("pillarwatch_window_contacts"))
    score = gauge_family(spec("pillarwatch_pillar_score"))
    component = gauge_family(spec("pillarwatch_pillar_component_score"))
    for r in results:
        labels = [r.queue, r.channel, r.window]
        volume.add_metric(labels, r.measures.offered)
        for name, attr in MEASURE_GAUGES.items():
            value = getattr(r.measures, attr)
            if value is not None:
                families[name].add_metric(labels, value)
        for pillar, ps in r.pillars.items():
            if ps.score is not None:
                score.add_metric([pillar, *labels], ps.score)
            for comp, value in sorted(ps.components.items()):
                component.add_metric([pillar, comp, *labels], value)
    own: dict[str, GaugeMetricFamily] = {}
    for p in extra or []:
        labels = [p.queue, p.channel, p.window]
        if p.score is not None:
            score.add_metric([p.pillar, *labels], p.score)
        for comp, value in sorted(p.components.items()):
            component.add_metric([p.pillar, comp, *labels], value)
        for name, value in sorted(p.gauges.items()):
            if name not in own:
                own[name] = gauge_family(spec(name))
            own[name].add_metric(labels, value)
    yield volume
    yield from families.values()
    yield score
    yield component
    yield from own.values()


def offered(core: list[WindowResult]) -> dict[tuple[str, str, str], int]:
    """Offered contacts per (queue, channel, window): the pillars' minimum-volume rule."""
    return {(r.queue, r.channel, r.window): r.measures.offered for r in core}


def final_fcr(
    hours: dict[tuple[str, str], dict[int, list[float]]], newest_minute: int, config: Config
) -> Iterator[tuple[str, str, float]]:
    """(queue, channel, FCR) of the newest hour whose repeat window has fully passed."""
    for (queue, channel), by_hour in sorted(hours.items()):
        window_hours = math.ceil(config.targets(queue).repeat_window_seconds / 3600)
        final_hour = newest_minute // 60 - window_hours - 1
        pair = by_hour.get(final_hour)
        if pair is not None and pair[0] > 0:
            yield queue, channel, pair[1] / pair[0]
