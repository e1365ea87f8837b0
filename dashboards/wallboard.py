"""Floor wallboard: one row of big tiles per queue, readable from across the room.

The tiles read the queue-level recording rules of alerts/rules/aggregates.yml (volume-weighted
across channels, live gauges summed over workers), so the wallboard and the alerts agree on
every number. Thresholds come from the configured targets (dashboards/targets.py).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.builders import stat

from pillarwatch.dashboards.panels import (
    new_dashboard,
    query,
    queue_variable,
    stat_tile,
    thresholds_higher_is_better,
    thresholds_lower_is_better,
)
from pillarwatch.dashboards.targets import WallboardTargets

__all__ = ["UID", "build"]

UID = "pillarwatch-wallboard"
_Q = 'queue=~"$queue"'


def service_level(t: WallboardTargets) -> stat.Panel:
    """Are we answering fast enough right now? Share answered within target, last 5 minutes."""
    goal = t.service_level_goal
    return stat_tile(
        "Service level (5m)",
        f"Contacts answered within {t.service_level_seconds:g} s, last 5 minutes, all channels "
        f"weighted by volume. Green at {goal:.0%} or more.",
        "percentunit",
        thresholds_higher_is_better(goal, round(max(goal - t.service_level_amber_margin, 0.0), 4)),
        decimals=0,
    ).with_target(
        query(f'queue_window:pillarwatch_service_level_ratio:weighted{{{_Q}, window="5m"}}')
    )


def waiting(t: WallboardTargets) -> stat.Panel:
    """How many customers are waiting in this queue right now?"""
    return stat_tile(
        "Waiting now",
        "Contacts in queue now, summed over workers and channels.",
        "short",
        thresholds_lower_is_better(t.waiting_amber, t.waiting_red),
        decimals=0,
    ).with_target(query(f"queue:pillarwatch_queue_waiting_contacts:sum{{{_Q}}}"))


def longest_wait(t: WallboardTargets) -> stat.Panel:
    """How long has the oldest waiting customer been waiting?"""
    return stat_tile(
        "Longest wait",
        f"Wait so far of the oldest contact in queue. Amber from {t.service_level_seconds:g} s "
        f"(the answer target), red from {t.longest_wait_red_seconds:g} s.",
        "s",
        thresholds_lower_is_better(t.service_level_seconds, t.longest_wait_red_seconds),
        decimals=0,
    ).with_target(query(f"queue:pillarwatch_queue_longest_wait_seconds:max{{{_Q}}}"))


def abandonment(t: WallboardTargets) -> stat.Panel:
    """Are customers giving up? Abandoned (not short abandons) share, last 5 minutes."""
    return stat_tile(
        "Abandoned (5m)",
        "Abandoned contacts (short abandons excluded), last 5 minutes, weighted by volume.",
        "percentunit",
        thresholds_lower_is_better(t.abandon_amber, t.abandon_red),
        decimals=1,
    ).with_target(query(f'queue_window:pillarwatch_abandon_ratio:weighted{{{_Q}, window="5m"}}'))


def _pillar(t: WallboardTargets, pillar: str, title: str, question: str) -> stat.Panel:
    return stat_tile(
        title,
        f"{question} Pillar score 0..100 over the last hour (no score under the minimum volume).",
        "none",
        thresholds_higher_is_better(t.score_amber, t.score_red),
        decimals=0,
    ).with_target(
        query(
            "pillar_queue_window:pillarwatch_pillar_score:weighted"
            f'{{pillar="{pillar}", {_Q}, window="1h"}}'
        )
    )


def time_effort(t: WallboardTargets) -> stat.Panel:
    """Do customers wait, get bounced or have to come back?"""
    return _pillar(
        t, "time_effort", "Time & Effort (1h)", "Waiting, transfers, holds and repeat contacts."
    )


def resolution(t: WallboardTargets) -> stat.Panel:
    """Do customers get their problem fixed, with an apology when it was our fault?"""
    return _pillar(
        t, "resolution", "Resolution (1h)", "Fixed at first contact, with an apology where due."
    )


def staffing(t: WallboardTargets) -> stat.Panel:
    """Do we have the agents for the next interval? Required (Erlang C) minus present."""
    return stat_tile(
        "Agents short (Erlang C)",
        "Agents Erlang C needs to meet the service-level goal at the measured arrival rate and "
        "handle time, minus the agents present now (available, busy, after-call work); "
        "0 or less means enough. docs/staffing.md.",
        "short",
        thresholds_lower_is_better(1, 3),
        width=24,
        height=3,
        decimals=0,
    ).with_target(
        query(f"sum by (queue) (queue_channel:pillarwatch_staffing_agents_short:max{{{_Q}}})")
    )


def build(targets: WallboardTargets) -> dashboard_b.Dashboard:
    """The wallboard: a repeated row per queue of six tiles (4 wide each = 24 columns) and
    a staffing strip under them."""
    board = (
        new_dashboard(
            "floor wallboard",
            UID,
            "Live service per queue for floor supervisors.",
            "wallboard",
            refresh="10s",
            since="now-15m",
        )
        .with_variable(queue_variable(multi=True, include_all=True))
        .with_row(dashboard_b.Row("Queue $queue").repeat("queue").id(1))
    )
    tiles = (
        service_level,
        waiting,
        longest_wait,
        abandonment,
        time_effort,
        resolution,
        staffing,  # a full-width strip under the six tiles
    )
    # Fixed panel ids (Grafana links and repeats key on them); the row is id 1.
    for panel_id, tile in enumerate(tiles, start=2):
        board = board.with_panel(tile(targets).id(panel_id))
    return board
