"""Queue drill-down: why is this queue where it is? Measures over time, score components,
wait and handle-time distributions, repeat contacts, resolution and apologies."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.builders import heatmap, timeseries

from pillarwatch.dashboards.panels import (
    channel_variable,
    heatmap_panel,
    new_dashboard,
    query,
    queue_variable,
    timeseries_panel,
)
from pillarwatch.dashboards.targets import WallboardTargets

__all__ = ["UID", "build"]

UID = "pillarwatch-queue"
_SEL = 'queue=~"$queue", channel=~"$channel"'
_BY = "{{channel}} {{window}}"


def _ratio(metric: str, title: str, description: str) -> timeseries.Panel:
    return timeseries_panel(
        title, description, "percentunit", min_value=0, max_value=1
    ).with_target(query(f"{metric}{{{_SEL}}}", _BY))


def service_level(t: WallboardTargets) -> timeseries.Panel:
    """Is the queue meeting its service-level goal, now (5m) and over the hour (1h)?"""
    return _ratio(
        "pillarwatch_service_level_ratio",
        "Service level",
        f"Answered within target / (offered - short abandons). Goal {t.service_level_goal:.0%}.",
    ).with_target(
        query(
            f"queue_channel:pillarwatch_service_level_goal:ratio{{{_SEL}}}", "goal {{channel}}", "B"
        )
    )


def abandonment(_: WallboardTargets) -> timeseries.Panel:
    """How many customers give up before they are answered?"""
    return _ratio(
        "pillarwatch_abandon_ratio",
        "Abandonment",
        "Abandoned (not short) / (offered - short abandons).",
    )


def speed_of_answer(_: WallboardTargets) -> timeseries.Panel:
    """How long do answered customers wait, on average?"""
    return timeseries_panel(
        "Average speed of answer", "Mean wait of answered contacts per window.", "s", min_value=0
    ).with_target(query(f"pillarwatch_average_speed_of_answer_seconds{{{_SEL}}}", _BY))


def handle_time(_: WallboardTargets) -> timeseries.Panel:
    """How long does a contact take, talk + hold + wrap-up?"""
    return timeseries_panel(
        "Average handle time", "Mean handle time of ended contacts per window.", "s", min_value=0
    ).with_target(query(f"pillarwatch_average_handle_seconds{{{_SEL}}}", _BY))


def offered(_: WallboardTargets) -> timeseries.Panel:
    """How much traffic is arriving, and how does it end: answered, abandoned, short abandon?"""
    return timeseries_panel(
        "Contacts per minute by outcome",
        "Queue outcomes per minute as they happen.",
        "cpm",
        min_value=0,
    ).with_target(
        query(
            f"sum by (channel, outcome) (rate(pillarwatch_contacts_total{{{_SEL}}}"
            "[$__rate_interval])) * 60",
            "{{channel}} {{outcome}}",
        )
    )


def waiting(_: WallboardTargets) -> timeseries.Panel:
    """How deep is the queue, moment by moment?"""
    return timeseries_panel(
        "Contacts waiting", "Contacts in queue, summed over workers.", "short", min_value=0
    ).with_target(
        query(f"queue_channel:pillarwatch_queue_waiting_contacts:sum{{{_SEL}}}", "{{channel}}")
    )


def longest_wait(_: WallboardTargets) -> timeseries.Panel:
    """How old is the oldest waiting contact, moment by moment?"""
    return (
        timeseries_panel(
            "Longest wait", "Wait so far of the oldest contact in queue.", "s", min_value=0
        )
        .with_target(
            query(
                f"queue_channel:pillarwatch_queue_longest_wait_seconds:max{{{_SEL}}}", "{{channel}}"
            )
        )
        .with_target(
            query(
                f"queue_channel:pillarwatch_longest_wait_limit:seconds{{{_SEL}}}",
                "alert limit {{channel}}",
                "B",
            )
        )
    )


def pillar_scores(_: WallboardTargets) -> timeseries.Panel:
    """How do the pillar scores move?"""
    return timeseries_panel(
        "Pillar scores",
        "Each pillar 0..100, per channel and window.",
        "none",
        min_value=0,
        max_value=100,
    ).with_target(query(f"pillarwatch_pillar_score{{{_SEL}}}", "{{pillar}} {{channel}} {{window}}"))


def _components(pillar: str, title: str) -> timeseries.Panel:
    return timeseries_panel(
        title,
        f"The parts that make up the {pillar} score (1h window), 0..100 each.",
        "none",
        min_value=0,
        max_value=100,
    ).with_target(
        query(
            f'pillarwatch_pillar_component_score{{pillar="{pillar}", {_SEL}, window="1h"}}',
            "{{component}} {{channel}}",
        )
    )


def time_effort_components(_: WallboardTargets) -> timeseries.Panel:
    """Which part of Time & Effort moved the score: waiting, abandons, transfers, holds...?"""
    return _components("time_effort", "Time & Effort components (1h)")


def resolution_components(_: WallboardTargets) -> timeseries.Panel:
    """Which part of Resolution moved the score: fixed first time, resolved, apologies...?"""
    return _components("resolution", "Resolution components (1h)")


def _distribution(metric: str, title: str, description: str) -> heatmap.Panel:
    return heatmap_panel(title, description, "s").with_target(
        query(
            f"sum by (le) (increase({metric}_bucket{{{_SEL}}}[$__rate_interval]))",
            "{{le}}",
            heatmap_format=True,
        )
    )


def wait_distribution(_: WallboardTargets) -> heatmap.Panel:
    """Is the average hiding a tail of customers who waited far too long?"""
    return _distribution(
        "pillarwatch_wait_seconds", "Wait distribution", "Answered contacts by wait in queue."
    )


def handle_distribution(_: WallboardTargets) -> heatmap.Panel:
    """Are a few very long contacts driving handle time?"""
    return _distribution(
        "pillarwatch_handle_seconds",
        "Handle time distribution",
        "Ended contacts by talk + hold + wrap-up.",
    )


def repeats_and_resolution(_: WallboardTargets) -> timeseries.Panel:
    """Do customers have to come back, and are problems fixed at the first contact?"""
    return (
        timeseries_panel(
            "Repeat contacts and first-contact resolution",
            "Share of contacts that are repeats of a recent one, and share resolved at first "
            "contact.",
            "percentunit",
            min_value=0,
            max_value=1,
        )
        .with_target(
            query(f"pillarwatch_repeat_contact_ratio{{{_SEL}}}", "repeat {{channel}} {{window}}")
        )
        .with_target(
            query(
                f"pillarwatch_first_contact_resolution_ratio{{{_SEL}}}",
                "FCR {{channel}} {{window}}",
                "B",
            )
        )
    )


def apology_and_transfers(_: WallboardTargets) -> timeseries.Panel:
    """When customers complain, do agents apologise; and how often are contacts passed on?"""
    return (
        timeseries_panel(
            "Apology coverage and transfers",
            "Complaints met with an apology, and handled contacts with a transfer.",
            "percentunit",
            min_value=0,
            max_value=1,
        )
        .with_target(
            query(f"pillarwatch_apology_coverage_ratio{{{_SEL}}}", "apology {{channel}} {{window}}")
        )
        .with_target(
            query(f"pillarwatch_transfer_ratio{{{_SEL}}}", "transfer {{channel}} {{window}}", "B")
        )
    )


PANELS: tuple[Callable[[WallboardTargets], timeseries.Panel | heatmap.Panel], ...] = (
    service_level,
    abandonment,
    offered,
    waiting,
    longest_wait,
    speed_of_answer,
    handle_time,
    pillar_scores,
    time_effort_components,
    resolution_components,
    wait_distribution,
    handle_distribution,
    repeats_and_resolution,
    apology_and_transfers,
)


def build(targets: WallboardTargets) -> dashboard_b.Dashboard:
    """The drill-down for one queue (and some of its channels)."""
    board = (
        new_dashboard(
            "queue drill-down",
            UID,
            "Why a queue's service and pillar scores are where they are.",
            "queue",
            refresh="30s",
            since="now-6h",
        )
        .with_variable(queue_variable(multi=False, include_all=False))
        .with_variable(channel_variable())
    )
    for panel_id, panel in enumerate(PANELS, start=1):
        board = board.with_panel(panel(targets).id(panel_id))
    return board
