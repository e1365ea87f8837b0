"""expectations: the wait customers were told against the wait they got, and service level
against each segment's own target.

A pillar (docs/adding-an-agent.md). Stateless: one signal per contact summary. A contact
counts against the service-level target and goal of its own queue *and segment* (a business
customer may be promised 10 s where a household one is promised 30 s); a contact with an
announced wait (optional event field `announced_wait`) counts as kept when it was answered no
later than the announcement plus ANNOUNCED_GRACE_SECONDS.
"""

from __future__ import annotations

from typing import Final

from pillarwatch.models.config import Config
from pillarwatch.models.contact import Summary
from pillarwatch.models.pillars._alerts import ratio_below_ticket
from pillarwatch.models.pillars._spec import Ratio, Signal, State, ratio_pillar

__all__ = ["ANNOUNCED_GRACE_SECONDS", "PILLAR"]

NAME: Final = "expectations"
# Announcements are rounded ("about two minutes"): a few seconds over is not a broken promise.
ANNOUNCED_GRACE_SECONDS: Final = 15.0
WEIGHTS: Final = {"announced_wait_kept": 0.5, "segment_service_level": 0.5}


def signals(state: State, summary: Summary, config: Config) -> tuple[State, list[Signal]]:
    targets = config.targets(summary.queue, summary.segment)
    if not summary.answered and summary.wait < targets.short_abandon_seconds:
        return None, []  # a short abandon: neither good nor bad service, as in the core
    values = {"considered": 1.0, "goal_sum": targets.service_level_goal}
    if summary.answered and summary.wait <= targets.service_level_seconds:
        values["in_segment_target"] = 1.0
    told = summary.announced_wait
    if told is not None:
        limit = told + ANNOUNCED_GRACE_SECONDS
        # An abandon before the announced time has passed neither keeps nor breaks it.
        if summary.answered or summary.wait > limit:
            values["announced"] = 1.0
            values["announced_overrun_sum"] = max(0.0, summary.wait - told)
            if summary.answered and summary.wait <= limit:
                values["announced_kept"] = 1.0
    return None, [Signal(summary.queue, summary.channel, summary.ts, NAME, values)]


RATIOS: Final = (
    Ratio(
        "announced_kept",
        "announced",
        gauge="pillarwatch_announced_wait_kept_ratio",
        component="announced_wait_kept",
    ),
    Ratio("announced_overrun_sum", "announced", gauge="pillarwatch_announced_wait_overrun_seconds"),
    # Met / sum of each contact's own goal: a segment that reaches its goal scores 100.
    Ratio("in_segment_target", "goal_sum", component="segment_service_level"),
    Ratio("in_segment_target", "considered", gauge="pillarwatch_segment_service_level_ratio"),
)


PILLAR: Final = ratio_pillar(
    NAME,
    WEIGHTS,
    signals,
    RATIOS,
    panels=(
        {
            "title": "Announced waits kept (1h)",
            "expr": 'pillarwatch_announced_wait_kept_ratio{window="1h"}',
            "unit": "percentunit",
            "description": "Contacts answered within the wait they were told (+15 s).",
        },
    ),
    alerts=(
        ratio_below_ticket(
            "PillarwatchAnnouncedWaitsBroken",
            "pillarwatch_announced_wait_kept_ratio",
            0.7,
            "15m",
            "{{ $labels.queue }} ({{ $labels.channel }}) breaks the waits it announces",
            "the contacts told an expected wait on {{ $labels.queue }} ({{ $labels.channel }}) were"
            " answered within it",
        ),
    ),
)
