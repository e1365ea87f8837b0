"""Builders for the wire items agent tests feed: a summary with defaults, queue volume, a
raw `contact.queued` record for the first hop."""

from __future__ import annotations

from typing import Any

import orjson

from pillarwatch.models.contact import Outcome, Summary

T0 = 1_772_445_600.0  # 2026-03-02 10:00 UTC, a minute boundary


def queued_record(n: int) -> tuple[bytes, bytes]:
    """Key and value of contact `c<n>`'s `contact.queued` event, n seconds after T0."""
    cid = f"c{n}"
    doc = {
        "event_id": f"e{n}",
        "type": "contact.queued",
        "ts": int(T0) + n,
        "contact_id": cid,
        "channel": "voice",
        "queue": "billing",
    }
    return cid.encode(), orjson.dumps(doc)


def summary(dt: float = 0.0, **fields: Any) -> Summary:
    """An answered, wrapped, resolved billing/voice contact ending at T0 + dt; override fields."""
    base: dict[str, Any] = dict(
        queue="billing",
        channel="voice",
        ts=T0 + dt,
        answered=True,
        handle=300.0,
        holds=0,
        hold_seconds=0.0,
        transfers=0,
        wrapped=True,
        resolved=True,
        markers=0,
        complaint_to_apology=None,
        start=T0 + dt - 330.0,
        wait=10.0,
    )
    base.update(fields)
    return Summary(**base)


def volume(
    n: int, dt: float = 0.0, queue: str = "billing", channel: str = "voice"
) -> list[Outcome]:
    """`n` answered outcomes: enough offered contacts for the minimum-volume rule.

    Windows end at the newest minute of the core buckets: put the volume at (or after) the
    newest item of the test, or newer signals fall outside every window.
    """
    return [Outcome(queue, channel, T0 + dt, "answered", 5.0, True) for _ in range(n)]
