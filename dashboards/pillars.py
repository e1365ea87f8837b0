"""The four further pillars: the panels each pillar module declares (models/pillars), collected.

Adding a pillar with panels adds them here at the next `make dashboards`; nothing in
dashboards/ lists the pillars.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.builders import timeseries

from pillarwatch.dashboards.collect import collect_panels
from pillarwatch.dashboards.panels import (
    channel_variable,
    new_dashboard,
    query,
    queue_variable,
    timeseries_panel,
)
from pillarwatch.dashboards.targets import WallboardTargets

__all__ = ["UID", "build"]

UID = "pillarwatch-pillars"
_SELECT = 'queue=~"$queue", channel=~"$channel"'


def _scores() -> timeseries.Panel:
    """How do the four further pillars score, per queue?"""
    return timeseries_panel(
        "Integrity, Expectations, Personalisation, Empathy (1h)",
        "Pillar scores 0..100 contributed by agent modules (docs/metrics.md).",
        "none",
        width=24,
        min_value=0,
        max_value=100,
    ).with_target(
        query(
            "pillarwatch_pillar_score{pillar=~"
            '"integrity|expectations|personalisation|empathy", window="1h", ' + _SELECT + "}",
            "{{pillar}} {{queue}}/{{channel}}",
        )
    )


def _agent_panel(panel: dict[str, str]) -> timeseries.Panel:
    expr = panel["expr"]
    selector = expr.replace("{", "{" + _SELECT + ", ", 1) if "{" in expr else expr
    return timeseries_panel(
        panel["title"],
        panel.get("description", "") + f" (agent: {panel['agent']})",
        panel.get("unit", "none"),
    ).with_target(query(selector, "{{queue}}/{{channel}}"))


def build(targets: WallboardTargets) -> dashboard_b.Dashboard:
    del targets  # the pillar panels carry their own scales
    board = (
        new_dashboard(
            "pillars from agent modules",
            UID,
            "Integrity, Expectations, Personalisation and Empathy, with their parts.",
            "pillars",
            refresh="30s",
            since="now-6h",
        )
        .with_variable(queue_variable(multi=True, include_all=True))
        .with_variable(channel_variable())
        .with_panel(_scores().id(1))
    )
    for panel_id, panel in enumerate(collect_panels(), start=2):
        board = board.with_panel(_agent_panel(panel).id(panel_id))
    return board
