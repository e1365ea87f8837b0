"""`pillarwatch ingest replay --source S FILE`: map a platform export and say what came out.

The way a new user checks their own data before going live: every record of FILE is mapped
as the live receiver would map it, and the summary says which schema events came out, what
was not mapped and why, what was mapped less exactly (caveats), the per-queue signals, and
which contacts never got an end (they would wait for the contact timeout). With --produce the
events (and malformed records, as dead letters) go to the broker too.

Input: JSON records as JSON lines, one JSON array, or objects written back to back (how
Kinesis Firehose writes contact records to S3); queue_log as lines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pillarwatch.ingest.producer import DeadLetter, EventProducer
from pillarwatch.models.sources import (
    MappingOptions,
    MappingResult,
    amazon_connect,
    asterisk_queue_log,
    genesys_cloud,
    twilio_event_streams,
)
from pillarwatch.models.sources.common import Event

__all__ = ["MAPPERS", "ReplayReport", "produce", "read_records", "replay"]

Mapper = Callable[[object, MappingOptions | None], MappingResult]
# source name -> (mapping, dead-letter source label, reads lines rather than JSON)
MAPPERS: dict[str, tuple[Mapper, str, bool]] = {
    "connect-ctr": (amazon_connect.map_contact_record, "connect", False),
    "connect-events": (amazon_connect.map_contact_event, "connect", False),
    "genesys": (genesys_cloud.map_event, "genesys", False),
    "twilio-events": (twilio_event_streams.map_event, "twilio-events", False),
    "queue-log": (asterisk_queue_log.map_event, "asterisk", True),
}
BATCH = 500
SHOWN_IDS = 5


class ReplayInputError(ValueError):
    """The file is not what --source says (names the position and the fix)."""


def _json_records(text: str, path: Path) -> Iterator[object]:
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text):
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ReplayInputError(
                f"{path}: not JSON at character {exc.pos} ({exc.msg}); expected JSON lines, "
                "a JSON array or objects back to back"
            ) from exc
        if isinstance(value, list):
            yield from value  # a JSON array, or an Event Streams batch
        else:
            yield value


def read_records(path: Path, lines: bool) -> Iterator[object]:
    """The records of FILE, in order: raw lines (queue_log) or JSON values."""
    if lines:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield line
        return
    yield from _json_records(path.read_text(encoding="utf-8"), path)


@dataclass
class ReplayReport:
    records: int = 0
    events: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    caveats: Counter[str] = field(default_factory=Counter)
    signals: Counter[tuple[str, str]] = field(default_factory=Counter)
    contacts: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)

    @property
    def without_end(self) -> list[str]:
        return sorted(self.contacts - self.ended)

    def add(self, result: MappingResult) -> None:
        self.records += 1
        for event in result.events:
            self.events[str(event["type"])] += 1
            contact = str(event["contact_id"])
            self.contacts.add(contact)
            if event["type"] == "contact.ended":
                self.ended.add(contact)
        for item in result.unmapped:
            (self.malformed if item.malformed else self.unmapped)[item.reason] += 1
        self.caveats.update(result.caveats)
        self.signals.update((s.name, s.queue) for s in result.signals)

    def lines(self) -> list[str]:
        out = [f"records: {self.records}", f"events: {sum(self.events.values())}"]
        out += [f"  {name}: {n}" for name, n in sorted(self.events.items())]
        out.append(f"unmapped: {sum(self.unmapped.values())}")
        out += [f"  {reason}: {n}" for reason, n in sorted(self.unmapped.items())]
        out.append(f"malformed (dead letters): {sum(self.malformed.values())}")
        out += [f"  {reason}: {n}" for reason, n in sorted(self.malformed.items())]
        if self.caveats:
            out.append("caveats (mapped, less exactly):")
            out += [f"  {code}: {n}" for code, n in sorted(self.caveats.items())]
        if self.signals:
            out.append("signals:")
            out += [f"  {name} queue={q}: {n}" for (name, q), n in sorted(self.signals.items())]
        missing = self.without_end
        shown = ", ".join(missing[:SHOWN_IDS]) + (" ..." if len(missing) > SHOWN_IDS else "")
        out.append(f"contacts: {len(self.contacts)}, without an end: {len(missing)}")
        if missing:
            out.append(f"  e.g. {shown}")
        return out


@dataclass
class _Mapped:
    events: list[Event] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


def _raw(record: object) -> bytes:
    return record if isinstance(record, bytes) else json.dumps(record).encode()


def replay(
    source: str, path: Path, options: MappingOptions | None = None
) -> tuple[ReplayReport, list[Event], list[DeadLetter]]:
    """Map every record of FILE; the report and what --produce would send."""
    mapper, label, lines = MAPPERS[source]
    report = ReplayReport()
    mapped = _Mapped()
    for record in read_records(path, lines):
        result = mapper(record, options)
        report.add(result)
        mapped.events.extend(result.events)
        if result.malformed:
            first = result.unmapped[0]
            mapped.dead.append(DeadLetter(_raw(record), first.reason, label, first.detail))
    return report, mapped.events, mapped.dead


async def produce(producer: EventProducer, events: list[Event], dead: list[DeadLetter]) -> None:
    """Send in batches, each acknowledged before the next (raises BrokerUnavailable)."""
    for start in range(0, max(len(events), len(dead)), BATCH):
        await producer.send(events[start : start + BATCH], dead[start : start + BATCH])
