"""The measures agent's state: one Table, `minute-buckets`, whose keys are typed.

| key                                     | value                                        |
|-----------------------------------------|----------------------------------------------|
| MinuteKey(queue, channel, minute)       | core bucket {"sums": [WIDTH], "offset", "seen"} |
| PillarMinuteKey(pillar, queue, channel, minute) | signal bucket {"sums": {field: sum}, ...} |
| LatestKey(queue, channel, pillar)       | the newest minute ("" pillar: the core)      |
| HourKey(queue, channel, hour)           | {"pair": [fcr_eligible, fcr_resolved], ...}  |
| AgentKey(queue, channel, agent id)      | [state, ts]                                  |

A key is stored as its fields joined by SEP with the kind as the third field; `decode` is the
one place that reads that layout back into a typed key, and the scrape dispatches on the type.
One Table rather than one per kind, because Faust opens a RocksDB database per table and
partition (streams/rocksdb_options.py: up to 16 MiB each): five tables would add four
databases per partition for rows that are all small. Strings, because Faust's JSON key
serializer would turn a tuple into an unhashable list on recovery.

Every key starts with the queue and channel of the message being processed, so every row
written here belongs to that message's partition (Faust writes a change, tombstones included,
to the changelog partition of the current message).

Idempotent under redelivery and re-emission: a bucket row is {"sums", "offset": the last
source offset applied, "seen": the ids applied}. A bucket's key fixes its source partition, so
an offset at or below "offset" was applied (a replay after a crash: Faust writes changelogs
before it commits offsets); an id in "seen" was applied (the first hop or a pillar re-emitted
it after its own replay, or a producer retried a send). Without it the fault tests counted
contacts twice (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pillarwatch.models.buckets import WIDTH, Item, increments, minute_of
from pillarwatch.models.contact import Outcome, Summary, Survey
from pillarwatch.models.journeys import JourneyDelta
from pillarwatch.models.pillars import Signal, SignalRow
from pillarwatch.models.staffing import AgentStateChange
from pillarwatch.models.summaries import SEP
from pillarwatch.models.windows import RETAIN_MINUTES
from pillarwatch.streams.staffing_export import Row

__all__ = [
    "AgentKey",
    "BucketKey",
    "HourKey",
    "LatestKey",
    "MinuteKey",
    "PillarMinuteKey",
    "ScrapeRows",
    "add",
    "add_journey_delta",
    "add_signal",
    "already_applied",
    "decode",
    "hour_row",
    "item_id",
    "read_rows",
    "set_agent_state",
]

Store = MutableMapping[str, Any]


@dataclass(frozen=True, slots=True)
class MinuteKey:
    queue: str
    channel: str
    minute: int

    def encode(self) -> str:
        return SEP.join((self.queue, self.channel, "m", str(self.minute)))


@dataclass(frozen=True, slots=True)
class PillarMinuteKey:
    pillar: str
    queue: str
    channel: str
    minute: int

    def encode(self) -> str:
        return SEP.join((self.queue, self.channel, "p", self.pillar, str(self.minute)))


@dataclass(frozen=True, slots=True)
class LatestKey:
    queue: str
    channel: str
    pillar: str = ""  # "": the core buckets

    def encode(self) -> str:
        return SEP.join((self.queue, self.channel, "l", self.pillar))


@dataclass(frozen=True, slots=True)
class HourKey:
    queue: str
    channel: str
    hour: int

    def encode(self) -> str:
        return SEP.join((self.queue, self.channel, "h", str(self.hour)))


@dataclass(frozen=True, slots=True)
class AgentKey:
    queue: str
    channel: str
    agent_id: str

    def encode(self) -> str:
        return SEP.join((self.queue, self.channel, "a", self.agent_id))


BucketKey = MinuteKey | PillarMinuteKey | LatestKey | HourKey | AgentKey


def decode(key: str) -> BucketKey:
    """The typed key a stored key string encodes (the inverse of each `encode`)."""
    queue, channel, kind, *rest = key.split(SEP)
    if kind == "m":
        return MinuteKey(queue, channel, int(rest[0]))
    if kind == "p":
        return PillarMinuteKey(rest[0], queue, channel, int(rest[1]))
    if kind == "l":
        return LatestKey(queue, channel, rest[0])
    if kind == "h":
        return HourKey(queue, channel, int(rest[0]))
    if kind == "a":
        return AgentKey(queue, channel, rest[0])
    raise ValueError(f"not a minute-buckets key: {key!r}")


def _too_late(buckets: Store, queue: str, channel: str, minute: int) -> bool:
    latest = buckets.get(LatestKey(queue, channel).encode())
    return latest is not None and minute <= latest - RETAIN_MINUTES


def _advance(buckets: Store, at: LatestKey, minute: int, key: Any) -> None:
    """Make `minute` the newest of `at`'s minutes, expiring the rows it pushes out of every
    window (at most 2 x RETAIN_MINUTES lookups, however long the queue was quiet). `key(m)`
    is the encoded row key of minute m."""
    newest = buckets.get(at.encode())
    if newest is not None and minute <= newest:
        return
    if newest is not None:
        first = max(newest - RETAIN_MINUTES + 1, minute - 2 * RETAIN_MINUTES)
        for old in range(first, minute - RETAIN_MINUTES + 1):
            if key(old) in buckets:
                del buckets[key(old)]
    buckets[at.encode()] = minute


def new_row() -> dict[str, Any]:
    return {"sums": [0.0] * WIDTH, "offset": -1.0, "seen": []}


_ID_PREFIX = {Outcome: "o", Summary: "s", Survey: "v"}


def item_id(item: Item) -> str | None:
    """What identifies an item within its bucket: one outcome, summary, survey per contact;
    a journey correction, the contact that caused it and the contact it corrects."""
    if isinstance(item, JourneyDelta):
        return item.ident
    prefix = _ID_PREFIX.get(type(item))
    contact_id = getattr(item, "contact_id", None)
    if prefix is None or not contact_id:
        return None  # a first hop that sent no ids: offsets only
    return f"{prefix}:{contact_id}"


def already_applied(row: dict[str, Any], offset: float, ident: str | None) -> bool:
    """True if this bucket row already holds the item at source `offset` with id `ident`.

    An item with an id is judged by its id alone. Around a rebalance Faust can hand on a
    partition's messages out of order (it resumes the flow before it seeks to the committed
    offset, so messages from the old position can come before earlier ones:
    docs/reliability.md), and an offset check then took an earlier message that a later one
    had overtaken for a redelivery, and skipped it. Only an item without an id (from a first
    hop of an earlier version) falls back to its offset.
    """
    if ident is not None:
        return bool(ident in row["seen"])
    return bool(offset <= row["offset"])


def add(buckets: Store, item: Item, offset: float = -1) -> bool:
    """Add `item` to its minute bucket; False if that minute already left every window, or if
    the bucket already holds it (a redelivery after a crash, or a re-emitted summary).
    `offset` is the offset of the message being processed."""
    minute = minute_of(item.ts)
    if _too_late(buckets, item.queue, item.channel, minute):
        return False
    key = MinuteKey(item.queue, item.channel, minute).encode()
    row = buckets.get(key)
    if row is None:
        row = new_row()
        _advance(
            buckets,
            LatestKey(item.queue, item.channel),
            minute,
            lambda m: MinuteKey(item.queue, item.channel, m).encode(),
        )
    ident = item_id(item)
    if already_applied(row, offset, ident):
        return False
    sums = row["sums"]
    for index, amount in increments(item):
        sums[index] += amount
    row["offset"] = max(row["offset"], float(offset))
    if ident is not None:
        row["seen"].append(ident)
    buckets[key] = row  # one write: sums and the ids that made them stay together
    return True


def add_signal(buckets: Store, item: Signal, offset: float = -1) -> bool:
    """Add a pillar signal to its per-pillar minute bucket; expire like the core buckets.

    A signal for a minute that already left every window of its queue is dropped, as a core
    item is. Idempotent like `add`: a redelivered message (its `offset`) or a signal
    re-emitted by a pillar replaying its input (`item.ident`) is not counted twice.
    """
    minute = minute_of(item.ts)
    if _too_late(buckets, item.queue, item.channel, minute):
        return False
    _advance(
        buckets,
        LatestKey(item.queue, item.channel, item.pillar),
        minute,
        lambda m: PillarMinuteKey(item.pillar, item.queue, item.channel, m).encode(),
    )
    key = PillarMinuteKey(item.pillar, item.queue, item.channel, minute).encode()
    row = buckets.get(key) or {"sums": {}, "offset": -1.0, "seen": []}
    if already_applied(row, offset, item.ident):
        return False
    sums = row["sums"]
    for name, amount in item.values.items():
        sums[name] = sums.get(name, 0.0) + amount
    row["offset"] = max(row["offset"], float(offset))
    if item.ident is not None:
        row["seen"].append(item.ident)
    buckets[key] = row  # one write, as in `add`
    return True


def add_journey_delta(
    buckets: Store, item: JourneyDelta, offset: float = -1, retain_hours: int = 0
) -> bool:
    """Add a journey correction to its minute bucket and its first-contact resolution to its
    hour; False if both already hold it.

    A correction is counted once however often it comes: its minute bucket dedupes it (offset
    and id) like any item. The hour row keeps first-contact resolution for longer than the
    minutes (until the repeat window has closed on it) and counts a correction whose minute
    was counted, or, for a minute already gone, one it has not counted yet: a redelivery
    (offset) or a correction the customers agent sent again after a replay (its id).
    """
    if not _too_late(buckets, item.queue, item.channel, minute_of(item.ts)):
        if not add(buckets, item, offset):
            return False
        return _add_hour(buckets, item, offset, retain_hours, late=False)
    return _add_hour(buckets, item, offset, retain_hours, late=True)


def hour_row(stored: Any) -> dict[str, Any]:
    """An hour row as {"pair": [fcr_eligible, fcr_resolved], "offset", "late": ids}; rows of
    earlier versions were the bare pair."""
    if isinstance(stored, list):
        return {"pair": list(stored), "offset": -1.0, "late": []}
    return dict(stored)


def _add_hour(
    buckets: Store, item: JourneyDelta, offset: float, retain_hours: int, late: bool
) -> bool:
    """Keep first-contact resolution per hour until the repeat window has closed on it.

    `late`: the correction's minute is gone, so the hour row itself must tell whether it
    counted it (by id, as `already_applied`; by offset for one without). Otherwise the minute
    bucket just counted it for the first time, and so does the hour."""
    eligible = item.delta.get("fcr_eligible", 0.0)
    resolved = item.delta.get("fcr_resolved", 0.0)
    if not eligible and not resolved:
        return False
    hour = int(item.ts // 3600)
    key = HourKey(item.queue, item.channel, hour).encode()
    stored = buckets.get(key)
    if stored is None:
        row: dict[str, Any] = {"pair": [0.0, 0.0], "offset": -1.0, "late": []}
        for old in range(hour - retain_hours - 24, hour - retain_hours):
            old_key = HourKey(item.queue, item.channel, old).encode()
            if old_key in buckets:
                del buckets[old_key]
    else:
        row = hour_row(stored)
        if late and (
            item.ident in row["late"] if item.ident is not None else offset <= row["offset"]
        ):
            return False
    row["pair"][0] += eligible
    row["pair"][1] += resolved
    row["offset"] = max(row["offset"], float(offset))
    if late and item.ident is not None:
        row["late"].append(item.ident)
    buckets[key] = row
    return True


def set_agent_state(buckets: Store, change: AgentStateChange) -> None:
    """Remember an agent's newest state for this queue (an older change arriving late loses)."""
    key = AgentKey(change.queue, change.channel, change.agent_id).encode()
    found = buckets.get(key)
    if found is None or change.ts >= found[1]:
        buckets[key] = [change.state, change.ts]


@dataclass
class ScrapeRows:
    """What a scrape reads from the table, by kind, queue names already folded by the label cap."""

    core: list[Row] = field(default_factory=list)  # (queue, channel, minute, sums)
    signals: list[SignalRow] = field(default_factory=list)
    hours: dict[tuple[str, str], dict[int, list[float]]] = field(default_factory=dict)
    agents: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # state -> n


@lru_cache(maxsize=1 << 16)
def _decoded(key: str) -> BucketKey:
    """`decode`, remembered: every scrape decodes every stored key, and from one scrape to the
    next the keys are nearly all the same (an hour of minute rows per queue). A key decodes to
    the same typed key whatever the table holds, so nothing here can be stale."""
    return decode(key)


def read_rows(buckets: Store, label: Callable[[str], str]) -> ScrapeRows:
    """One pass over the table; each key decoded into its typed key."""
    out = ScrapeRows()
    for stored, value in list(buckets.items()):
        if value is None:
            continue
        match _decoded(stored):
            case MinuteKey(queue, channel, minute):
                out.core.append((label(queue), channel, minute, value["sums"]))
            case PillarMinuteKey(pillar, queue, channel, minute):
                out.signals.append((pillar, label(queue), channel, minute, value["sums"]))
            case HourKey(queue, channel, hour):
                by_hour = out.hours.setdefault((label(queue), channel), {})
                total = by_hour.setdefault(hour, [0.0, 0.0])
                eligible, resolved = hour_row(value)["pair"]
                total[0] += eligible  # several queues may fold into 'other'
                total[1] += resolved
            case AgentKey(queue, channel, _agent):
                counts = out.agents.setdefault((label(queue), channel), {})
                counts[value[0]] = counts.get(value[0], 0) + 1
    return out
