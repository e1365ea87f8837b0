"""Two rule sets over the same recording: which pages appear, disappear or move.

A firing of the current rules and one of the proposed rules are the same page when they have
the same alert name and labels and their intervals overlap; it "moved" when its start or end
differs by more than `tolerance` (0 in `pillarwatch backtest`: the same recording evaluated
twice gives the same intervals to the second). A firing without an
overlapping partner appeared (proposed only) or disappeared (current only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pillarwatch.backtest.alerts import Firing, iso

__all__ = ["Change", "compare", "describe"]


@dataclass(frozen=True)
class Change:
    kind: str  # "appeared" | "disappeared" | "moved" | "unchanged"
    current: Firing | None
    proposed: Firing | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "current": self.current.to_json() if self.current else None,
            "proposed": self.proposed.to_json() if self.proposed else None,
        }


def _overlap(a: Firing, b: Firing) -> bool:
    return a.start < b.end and b.start < a.end


def compare(current: list[Firing], proposed: list[Firing], tolerance: float = 0.0) -> list[Change]:
    changes: list[Change] = []
    unmatched = list(proposed)
    for old in current:
        partner = next(
            (new for new in unmatched if new.identity() == old.identity() and _overlap(old, new)),
            None,
        )
        if partner is None:
            changes.append(Change("disappeared", old, None))
            continue
        unmatched.remove(partner)
        same = (
            abs(old.start - partner.start) <= tolerance and abs(old.end - partner.end) <= tolerance
        )
        changes.append(Change("unchanged" if same else "moved", old, partner))
    changes.extend(Change("appeared", None, new) for new in unmatched)
    return sorted(changes, key=lambda c: _start(c))


def _start(change: Change) -> float:
    firing = change.current or change.proposed
    assert firing is not None
    return firing.start


def _where(f: Firing) -> str:
    return f"{f.alert} {f.queue}/{f.channel}".rstrip("/")


def describe(change: Change) -> str:
    old, new = change.current, change.proposed
    if change.kind == "appeared" and new is not None:
        return f"+ appears    {_where(new)}  {iso(new.start)} .. {iso(new.end)}"
    if change.kind == "disappeared" and old is not None:
        return f"- disappears {_where(old)}  {iso(old.start)} .. {iso(old.end)}"
    assert old is not None and new is not None
    if change.kind == "unchanged":
        return f"  unchanged  {_where(old)}  {iso(old.start)} .. {iso(old.end)}"
    return (
        f"~ moves      {_where(old)}  {iso(old.start)} .. {iso(old.end)}"
        f"  ->  {iso(new.start)} .. {iso(new.end)}"
        f"  (start {new.start - old.start:+.0f} s, end {new.end - old.end:+.0f} s)"
    )
