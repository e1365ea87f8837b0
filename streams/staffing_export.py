"""Staffing gauges at scrape time: Erlang C per queue from the buckets and the agents present."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily

from pillarwatch.models.buckets import IDX, window_sum
from pillarwatch.models.catalogue import spec
from pillarwatch.models.config import Config
from pillarwatch.models.staffing import AGENT_STATES, gauge_values, queue_staffing
from pillarwatch.models.windows import WindowResult
from pillarwatch.streams.metrics import gauge_family

__all__ = ["staffing_samples"]

Row = tuple[str, str, int, Sequence[float]]


def staffing_samples(
    rows: list[Row],
    results: list[WindowResult],
    agents: dict[tuple[str, str], dict[str, int]],
    config: Config,
    end_minute: int | None = None,
) -> Iterator[GaugeMetricFamily]:
    """Present agents by state, and the projection for every queue that has agents.

    The lookback ends at `end_minute` (the worker's clock), by default the newest row."""
    present = gauge_family(spec("pillarwatch_staffing_present_agents"))
    goal_family = gauge_family(spec("pillarwatch_service_level_goal_ratio"))
    names = (
        "pillarwatch_staffing_required_agents",
        "pillarwatch_projected_service_level_ratio",
        "pillarwatch_projected_average_speed_of_answer_seconds",
        "pillarwatch_occupancy_ratio",
    )
    families = {name: gauge_family(spec(name)) for name in names}
    newest = max((r[2] for r in rows), default=None) if end_minute is None else end_minute
    handle = {(r.queue, r.channel): r.measures.average_handle for r in results if r.window == "1h"}
    lookback = config.staffing_lookback_minutes
    for (queue, channel), counts in sorted(agents.items()):
        targets = config.targets(queue)
        goal_family.add_metric([queue, channel], targets.service_level_goal)
        for state in AGENT_STATES:
            present.add_metric([queue, channel, state], counts.get(state, 0))
        if newest is None:
            continue
        mine = [(m, v) for q, c, m, v in rows if (q, c) == (queue, channel)]
        offered = float(window_sum(mine, newest, lookback)[IDX["offered"]])
        projection = queue_staffing(
            offered,
            lookback * 60.0,
            handle.get((queue, channel)),
            counts,
            targets.service_level_seconds,
            targets.service_level_goal,
        )
        if projection is None:
            continue
        for name, value in gauge_values(projection).items():
            families[name].add_metric([queue, channel], value)
    yield present
    yield goal_family
    yield from families.values()
