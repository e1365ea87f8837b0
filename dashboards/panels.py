"""Shared panel defaults: one datasource, one query helper, one place for sizes and colours.

Every dashboard module builds its panels through these helpers so that the datasource uid,
the units and the traffic-light colours are the same everywhere, and the dashboards test can
hold every panel to "has a title, a unit and a datasource".
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import (
    common as common_b,
)
from grafana_foundation_sdk.builders import (
    dashboard as dashboard_b,
)
from grafana_foundation_sdk.builders import (
    heatmap,
    prometheus,
    stat,
    timeseries,
)
from grafana_foundation_sdk.models import common, dashboard
from grafana_foundation_sdk.models import heatmap as heatmap_m
from grafana_foundation_sdk.models import prometheus as prometheus_m

__all__ = [
    "AMBER",
    "DATASOURCE",
    "DATASOURCE_UID",
    "GREEN",
    "JOB",
    "RED",
    "channel_variable",
    "heatmap_panel",
    "new_dashboard",
    "query",
    "queue_variable",
    "stat_tile",
    "thresholds_higher_is_better",
    "thresholds_lower_is_better",
    "timeseries_panel",
]

# The Prometheus datasource every panel uses; Grafana provisioning creates it with this uid.
DATASOURCE_UID = "pillarwatch-prometheus"
DATASOURCE = common.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
# Prometheus job name of the worker scrape (deploy/prometheus.yml must use it; `up` is per job).
JOB = "pillarwatch"

GREEN = "green"
AMBER = "#FF9830"  # Grafana's orange: reads as amber from across a room, unlike "yellow"
RED = "red"


def query(
    expr: str, legend: str = "", ref_id: str = "A", *, heatmap_format: bool = False
) -> prometheus.Dataquery:
    """A Prometheus query against the fixed datasource."""
    q = prometheus.Dataquery().expr(expr).ref_id(ref_id).datasource(DATASOURCE)
    if legend:
        q = q.legend_format(legend)
    if heatmap_format:
        # Bucket counts per `le`, laid out as heatmap cells by Grafana.
        q = q.format(prometheus_m.PromQueryFormat.HEATMAP)
    return q


def _thresholds(steps: list[tuple[float | None, str]]) -> dashboard_b.ThresholdsConfig:
    return (
        dashboard_b.ThresholdsConfig()
        .mode(dashboard.ThresholdsMode.ABSOLUTE)
        .steps([dashboard.Threshold(value=v, color=c) for v, c in steps])
    )


def thresholds_higher_is_better(
    amber_below: float, red_below: float
) -> dashboard_b.ThresholdsConfig:
    """Red under `red_below`, amber under `amber_below`, green at or above it."""
    return _thresholds([(None, RED), (red_below, AMBER), (amber_below, GREEN)])


def thresholds_lower_is_better(amber_from: float, red_from: float) -> dashboard_b.ThresholdsConfig:
    """Green under `amber_from`, amber from it, red from `red_from`."""
    return _thresholds([(None, GREEN), (amber_from, AMBER), (red_from, RED)])


def stat_tile(
    title: str,
    description: str,
    unit: str,
    thresholds: dashboard_b.ThresholdsConfig,
    *,
    width: int = 4,
    height: int = 6,
    decimals: float | None = None,
) -> stat.Panel:
    """A wallboard tile: one big number, background coloured by the thresholds."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .thresholds(thresholds)
        .color_scheme(dashboard_b.FieldColor().mode(dashboard.FieldColorModeId.THRESHOLDS))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .text_mode(common.BigValueTextMode.VALUE)
        .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        # An empty queue (no contacts in the window) shows a dash, not a misleading 0 %.
        .no_value("-")
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def timeseries_panel(
    title: str,
    description: str,
    unit: str,
    *,
    width: int = 12,
    height: int = 8,
    min_value: float | None = None,
    max_value: float | None = None,
) -> timeseries.Panel:
    """A line chart over the dashboard's time range."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .line_width(2)
        .fill_opacity(10)
    )
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    return panel


def heatmap_panel(title: str, description: str, unit: str, *, width: int = 12) -> heatmap.Panel:
    """A distribution over time from a Prometheus histogram's buckets (already bucketed)."""
    return (
        heatmap.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(8)
        # The histogram's `le` buckets are the cells: do not let Grafana re-bucket them.
        .calculate(False)
        .y_axis(heatmap.YAxisConfig().unit(unit))
        .color(
            heatmap.HeatmapColorOptions().mode(heatmap_m.HeatmapColorMode.SCHEME).scheme("Oranges")
        )
    )


def new_dashboard(
    title: str, uid: str, description: str, tag: str, *, refresh: str, since: str
) -> dashboard_b.Dashboard:
    """The settings every pillarwatch dashboard shares: tags, browser time zone, read-only
    (provisioned from code), a refresh interval and a time range ending now."""
    return (
        dashboard_b.Dashboard(f"pillarwatch — {title}")
        .uid(uid)
        .description(description)
        .tags(["pillarwatch", tag])
        .refresh(refresh)
        .time(since, "now")
        .timezone("browser")
        .readonly()
    )


def queue_variable(*, multi: bool, include_all: bool) -> dashboard_b.QueryVariable:
    """`$queue`: the queues seen in the window-volume gauge (every queue with traffic)."""
    return _label_variable("queue", "Queue", multi=multi, include_all=include_all)


def channel_variable() -> dashboard_b.QueryVariable:
    """`$channel`: the channels of the chosen queues."""
    return _label_variable(
        "channel",
        "Channel",
        multi=True,
        include_all=True,
        selector='pillarwatch_window_contacts{queue=~"$queue"}',
    )


def _label_variable(
    name: str,
    label: str,
    *,
    multi: bool,
    include_all: bool,
    selector: str = "pillarwatch_window_contacts",
) -> dashboard_b.QueryVariable:
    definition = f"label_values({selector}, {name})"
    return (
        dashboard_b.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query({"query": definition, "refId": f"{name}-variable", "qryType": 1})
        .definition(definition)
        .refresh(dashboard.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard.VariableSort.ALPHABETICAL_ASC)
        .multi(multi)
        .include_all(include_all)
        .all_value(".*")
    )
