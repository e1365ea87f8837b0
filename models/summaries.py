"""The wire form of contact outcomes and summaries on the `contact-summaries` topic."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from models.contact import Outcome, Summary

__all__ = ["from_wire", "to_wire", "wire_key"]

SEP = "\x1f"  # unit separator: cannot occur in a sane queue or channel name


def wire_key(queue: str, channel: str) -> str:
    """Summaries are keyed by queue and channel, so one worker owns a queue's buckets."""
    return f"{queue}{SEP}{channel}"


def to_wire(item: Outcome | Summary) -> dict[str, Any]:
    kind = "outcome" if isinstance(item, Outcome) else "summary"
    return {"kind": kind, **asdict(item)}


def from_wire(doc: dict[str, Any]) -> Outcome | Summary:
    body = {k: v for k, v in doc.items() if k != "kind"}
    return Outcome(**body) if doc.get("kind") == "outcome" else Summary(**body)
