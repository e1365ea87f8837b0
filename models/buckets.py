"""Minute buckets: the additive counts behind every windowed measure.

A bucket is a fixed-length vector of floats (one per FIELDS entry) for one (queue, channel,
minute). Outcomes and summaries add to the bucket of the minute they happened in; a window
is the numpy sum of its minutes' buckets. Everything is a sum, so buckets merge in any order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from pillarwatch.models.contact import Outcome, Summary, Survey
from pillarwatch.models.journeys import JOURNEY_FIELDS, JourneyDelta
from pillarwatch.models.markers import APOLOGY, COMPLAINT

__all__ = ["FIELDS", "IDX", "WIDTH", "Item", "increments", "minute_of", "window_sum"]

FIELDS: Final = (
    "offered",  # answered + abandoned (short ones included)
    "answered",
    "answered_in_target",
    "abandoned",  # not short
    "short_abandoned",
    "wait_sum",  # over answered contacts
    "handled",  # answered contacts that ended
    "handle_sum",
    "transferred",  # handled contacts with at least one transfer
    "hold_sum",
    "wrapped",  # wrapped up with a disposition (resolved true or false)
    "resolved",
    "complained",  # contacts in which the customer complained
    "apologised",  # ... and the agent apologised after the complaint
    "apology_delay_sum",
    *JOURNEY_FIELDS,
    "csat_sum",
    "csat_n",
    "ces_sum",
    "ces_n",
)
IDX: Final = {name: i for i, name in enumerate(FIELDS)}
WIDTH: Final = len(FIELDS)

Vector = npt.NDArray[np.float64]


def minute_of(ts: float) -> int:
    """The event-time minute (epoch minutes) a timestamp falls in."""
    return int(ts // 60)


Item = Outcome | Summary | Survey | JourneyDelta


def increments(item: Item) -> list[tuple[int, float]]:
    """The (field index, amount) pairs that `item` adds to its minute's bucket."""
    if isinstance(item, JourneyDelta):
        return [(IDX[name], amount) for name, amount in item.delta.items()]
    if isinstance(item, Survey):
        inc = []
        if item.csat is not None:
            inc += [(IDX["csat_sum"], float(item.csat)), (IDX["csat_n"], 1.0)]
        if item.ces is not None:
            inc += [(IDX["ces_sum"], float(item.ces)), (IDX["ces_n"], 1.0)]
        return inc
    if isinstance(item, Outcome):
        inc = [(IDX["offered"], 1.0)]
        if item.outcome == "answered":
            inc += [(IDX["answered"], 1.0), (IDX["wait_sum"], item.wait)]
            if item.within_target:
                inc.append((IDX["answered_in_target"], 1.0))
        else:
            inc.append((IDX[item.outcome], 1.0))
        return inc
    inc = []
    if item.answered and item.handle is not None:
        inc += [
            (IDX["handled"], 1.0),
            (IDX["handle_sum"], item.handle),
            (IDX["hold_sum"], item.hold_seconds),
        ]
        if item.transfers:
            inc.append((IDX["transferred"], 1.0))
    if item.resolved is not None:
        inc.append((IDX["wrapped"], 1.0))
        if item.resolved:
            inc.append((IDX["resolved"], 1.0))
    if item.markers & COMPLAINT:
        inc.append((IDX["complained"], 1.0))
        if item.markers & APOLOGY and item.complaint_to_apology is not None:
            inc += [(IDX["apologised"], 1.0), (IDX["apology_delay_sum"], item.complaint_to_apology)]
    return inc


def window_sum(
    buckets: Iterable[tuple[int, Sequence[float]]], end_minute: int, minutes: int
) -> Vector:
    """Sum the buckets whose minute is in (end_minute - minutes, end_minute]."""
    start = end_minute - minutes
    rows = [b for m, b in buckets if start < m <= end_minute]
    if not rows:
        return np.zeros(WIDTH)
    total: Vector = np.asarray(rows, dtype=np.float64).sum(axis=0)
    return total
