"""Pipeline health for the engineers: is data flowing, how late, how much is rejected, is the
consumer keeping up, is the worker up. Faust's own sensor metrics carry the `faust_` prefix."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.builders import stat, timeseries

from pillarwatch.dashboards.panels import (
    JOB,
    new_dashboard,
    query,
    stat_tile,
    thresholds_higher_is_better,
    thresholds_lower_is_better,
    timeseries_panel,
)
from pillarwatch.dashboards.targets import WallboardTargets

__all__ = ["UID", "build"]

UID = "pillarwatch-pipeline"
_RATE = "[$__rate_interval]"


def workers_up(_: WallboardTargets) -> stat.Panel:
    """Are the workers being scraped, and how many?"""
    return stat_tile(
        "Workers up",
        f'Targets of job "{JOB}" that answered the last scrape.',
        "short",
        thresholds_higher_is_better(1, 1),
        width=6,
        height=4,
    ).with_target(query(f'sum(up{{job="{JOB}"}})'))


def consumer_lag_now(_: WallboardTargets) -> stat.Panel:
    """How many messages are waiting to be processed, right now?"""
    return stat_tile(
        "Consumer lag now",
        "End offset minus committed offset, all topics and partitions.",
        "short",
        thresholds_lower_is_better(1000, 5000),
        width=6,
        height=4,
    ).with_target(query("sum(topic:faust_consumer_lag:sum)"))


def event_lag_now(_: WallboardTargets) -> stat.Panel:
    """How far behind the real world are the numbers on the wallboard?"""
    return stat_tile(
        "Event lag p95",
        "95th percentile of processing time minus event time, last 5 minutes.",
        "s",
        thresholds_lower_is_better(10, 60),
        width=6,
        height=4,
    ).with_target(query("pillarwatch:event_lag_seconds:p95_5m"))


def rebalancing(_: WallboardTargets) -> stat.Panel:
    """Is the consumer group rebalancing or recovering tables right now?"""
    return stat_tile(
        "Rebalancing / recovering",
        "Rebalances in progress plus table recoveries in progress, summed over workers.",
        "short",
        thresholds_lower_is_better(1, 1),
        width=6,
        height=4,
    ).with_target(query("sum(faust_total_rebalances) + sum(faust_total_rebalances_recovering)"))


def events_by_type(_: WallboardTargets) -> timeseries.Panel:
    """Is data arriving, and of what kind?"""
    return timeseries_panel(
        "Events per second by type", "Accepted input events.", "ops", min_value=0
    ).with_target(query(f"sum by (type) (rate(pillarwatch_events_total{_RATE}))", "{{type}}"))


def rejected_by_reason(_: WallboardTargets) -> timeseries.Panel:
    """Is a producer sending bad events, and what is wrong with them?"""
    return timeseries_panel(
        "Dead-lettered per second by reason",
        "Events sent to contact-events.dlq, by the reason they failed.",
        "ops",
        min_value=0,
    ).with_target(
        query(f"sum by (reason) (rate(pillarwatch_events_rejected_total{_RATE}))", "{{reason}}")
    )


def duplicates_late_folded(_: WallboardTargets) -> timeseries.Panel:
    """Are producers retrying (duplicates), sending late, or flooding label values?"""
    return (
        timeseries_panel(
            "Duplicates, late events, folded labels",
            "Dropped duplicates, events later than the allowed lateness, label values folded "
            "into 'other' by the cardinality cap; per second.",
            "ops",
            min_value=0,
        )
        .with_target(query(f"sum(rate(pillarwatch_events_duplicate_total{_RATE}))", "duplicate"))
        .with_target(query(f"sum(rate(pillarwatch_events_late_total{_RATE}))", "late", "B"))
        .with_target(
            query(f"sum(rate(pillarwatch_labels_folded_total{_RATE}))", "label folded", "C")
        )
    )


def event_lag(_: WallboardTargets) -> timeseries.Panel:
    """How stale is what supervisors see, typically and at worst?"""
    panel = timeseries_panel(
        "Event lag",
        "Processing time minus event time at the first hop: median, p95, p99.",
        "s",
        min_value=0,
    )
    for ref, q in (("A", "0.5"), ("B", "0.95"), ("C", "0.99")):
        panel = panel.with_target(
            query(
                f"histogram_quantile({q}, sum by (le) "
                f"(rate(pillarwatch_event_lag_seconds_bucket{_RATE})))",
                f"p{float(q) * 100:g}",
                ref,
            )
        )
    return panel


def consumer_lag(_: WallboardTargets) -> timeseries.Panel:
    """Is the consumer keeping up with the producers, per topic?"""
    return timeseries_panel(
        "Consumer lag by topic",
        "End offset minus committed offset (messages), from Faust's sensor.",
        "short",
        min_value=0,
    ).with_target(query("topic:faust_consumer_lag:sum", "{{topic}}"))


def messages_received(_: WallboardTargets) -> timeseries.Panel:
    """How many Kafka messages does Faust take in per second, per topic, all hops included?"""
    return timeseries_panel(
        "Messages received per second by topic",
        "Every hop's input, from Faust's sensor.",
        "ops",
        min_value=0,
    ).with_target(
        query(f"sum by (topic) (rate(faust_messages_received_per_topic_total{_RATE}))", "{{topic}}")
    )


def worker_up(_: WallboardTargets) -> timeseries.Panel:
    """When was each worker up or down?"""
    return timeseries_panel(
        "Worker up", "1 when the scrape of a worker succeeded.", "short", min_value=0, max_value=1
    ).with_target(query(f'up{{job="{JOB}"}}', "{{instance}}"))


def partitions_by_worker(_: WallboardTargets) -> timeseries.Panel:
    """Which worker holds how many partitions: after a scale-out or a fail-over, did the load
    spread, and is any worker idle (more workers than partitions)?"""
    return timeseries_panel(
        "Partitions held by worker",
        "Active partitions each worker processes, and standbys it follows "
        "(pillarwatch_partitions_assigned).",
        "short",
        min_value=0,
    ).with_target(
        query(
            f'sum by (instance, state) (pillarwatch_partitions_assigned{{job="{JOB}"}})',
            "{{instance}} {{state}}",
        )
    )


PANELS: tuple[Callable[[WallboardTargets], timeseries.Panel | stat.Panel], ...] = (
    workers_up,
    consumer_lag_now,
    event_lag_now,
    rebalancing,
    events_by_type,
    rejected_by_reason,
    duplicates_late_folded,
    event_lag,
    consumer_lag,
    messages_received,
    worker_up,
    partitions_by_worker,
)


def build(targets: WallboardTargets) -> dashboard_b.Dashboard:
    """The engineers' view of the stream pipeline."""
    board = new_dashboard(
        "pipeline health",
        UID,
        "Is the stream pipeline healthy: flow, rejects, lag, rebalances, workers.",
        "pipeline",
        refresh="30s",
        since="now-1h",
    )
    for panel_id, panel in enumerate(PANELS, start=1):
        board = board.with_panel(panel(targets).id(panel_id))
    return board
