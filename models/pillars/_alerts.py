"""The alerting rule a ratio pillar usually wants, built once (plain data, no YAML library)."""

from __future__ import annotations

from typing import Any

__all__ = ["MIN_HOUR_VOLUME", "RUNBOOKS", "ratio_below_ticket"]

RUNBOOKS = "https://github.com/pillarwatch/pillarwatch/blob/main/docs/runbooks/"
MIN_HOUR_VOLUME = 30  # contacts in the hour below which a pillar ratio is noise, not a finding


def ratio_below_ticket(
    alert: str, metric: str, below: float, for_: str, summary: str, what: str
) -> dict[str, Any]:
    """A business ticket when a pillar's 1h ratio gauge falls below `below`, with the volume
    guard, labels and runbook link every such alert needs (docs/runbooks/<alert>.md).
    `what` completes "Over the last hour only <value> of ..." in the description."""
    return {
        "alert": alert,
        "expr": (
            f'{metric}{{window="1h"}} < {below:g}'
            " and on (queue, channel, window)"
            f' pillarwatch_window_contacts{{window="1h"}} >= {MIN_HOUR_VOLUME}'
        ),
        "for": for_,
        "labels": {"severity": "ticket", "layer": "business"},
        "annotations": {
            "summary": summary,
            "description": (
                "Over the last hour only {{ $value | humanizePercentage }} of "
                + what
                + f" (ticket below {below * 100:.0f} %,"
                f" with at least {MIN_HOUR_VOLUME} contacts in the hour)."
            ),
            "runbook_url": RUNBOOKS + f"{alert}.md",
        },
    }
