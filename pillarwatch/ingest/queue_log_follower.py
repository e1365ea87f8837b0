"""Follows an Asterisk queue_log as it grows, through rotation, resuming after a restart.

The position (file inode and byte offset after the last complete line) is saved, atomically,
only after the broker acknowledged the events of the lines before it: at least once, and a
restart re-reads at most the last unacknowledged batch (its event ids dedupe downstream).

Rotation: when the path names a new inode, the old file is read to its end first, then the
new one from its start. Truncation (copytruncate): when the file is shorter than the offset,
it is read again from the start. A file rotated away while the follower was stopped is not
searched for; its unread tail is lost (docs/sources.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pillarwatch.ingest.metrics import IngestMetrics
from pillarwatch.ingest.producer import BrokerUnavailable, DeadLetter, EventProducer
from pillarwatch.models.sources import MappingOptions, asterisk_queue_log

__all__ = ["Position", "QueueLogFollower"]

log = logging.getLogger(__name__)
MAX_BATCH_LINES = 500


@dataclass(frozen=True, slots=True)
class Position:
    inode: int
    offset: int

    @classmethod
    def load(cls, path: Path | None) -> Position | None:
        if path is None:
            return None
        try:
            data = json.loads(path.read_text())
            return cls(int(data["inode"]), int(data["offset"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"inode": self.inode, "offset": self.offset}))
        os.replace(tmp, path)  # atomic: a crash leaves the old or the new position, never half


class QueueLogFollower:
    def __init__(
        self,
        path: Path,
        producer: EventProducer,
        position_file: Path | None = None,
        options: MappingOptions | None = None,
        poll_seconds: float = 0.25,
        metrics: IngestMetrics | None = None,
    ) -> None:
        self.path = path
        self.producer = producer
        self.position_file = position_file
        self.options = options
        self.poll_seconds = poll_seconds
        self.metrics = metrics or IngestMetrics()
        self._file: BinaryIO | None = None
        self._inode = -1
        self._offset = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def _open(self, resume: Position | None) -> bool:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return False
        inode = os.fstat(handle.fileno()).st_ino
        offset = resume.offset if resume and resume.inode == inode else 0
        if offset > os.fstat(handle.fileno()).st_size:
            offset = 0  # truncated while we were away
        handle.seek(offset)
        self._file, self._inode, self._offset = handle, inode, offset
        return True

    def _path_inode(self) -> int | None:
        try:
            return self.path.stat().st_ino
        except FileNotFoundError:
            return None

    def _read_lines(self) -> list[bytes]:
        """Complete lines from the current offset; a partial last line waits for its end."""
        assert self._file is not None
        self._file.seek(self._offset)
        lines: list[bytes] = []
        while len(lines) < MAX_BATCH_LINES:
            line = self._file.readline()
            if not line.endswith(b"\n"):
                break
            lines.append(line)
        return lines

    async def _ship(self, lines: list[bytes]) -> None:
        """Map and produce; raises BrokerUnavailable, leaving the position where it was."""
        results = [(line, asterisk_queue_log.map_event(line, self.options)) for line in lines]
        events = [e for _, r in results for e in r.events]
        dead = [
            DeadLetter(line, r.unmapped[0].reason, "asterisk", r.unmapped[0].detail)
            for line, r in results
            if r.malformed
        ]
        await self.producer.send(events, dead)
        self.metrics.count([r for _, r in results])
        self.metrics.requests.labels(outcome="accepted").inc()
        self._offset += sum(len(line) for line in lines)
        Position(self._inode, self._offset).save(self.position_file)

    async def step(self) -> int:
        """One pass: ship what is new, follow rotation or truncation. Returns lines shipped."""
        if self._file is None and not self._open(Position.load(self.position_file)):
            return 0
        assert self._file is not None
        lines = self._read_lines()
        if lines:
            await self._ship(lines)
            return len(lines)
        size = os.fstat(self._file.fileno()).st_size
        if size < self._offset:
            log.info("queue_log truncated: reading from the start")
            self._offset = 0
            Position(self._inode, 0).save(self.position_file)
            return 0
        current = self._path_inode()
        if current is not None and current != self._inode:
            # Rotated, and the old file is read to its end: move to the new file.
            log.info("queue_log rotated: following the new file")
            self._file.close()
            self._file = None
            self._open(None)
            Position(self._inode, 0).save(self.position_file)
        return 0

    async def run(self) -> None:
        backoff = self.poll_seconds
        try:
            while not self._stopping.is_set():
                try:
                    shipped = await self.step()
                    backoff = self.poll_seconds
                except BrokerUnavailable:
                    self.metrics.requests.labels(outcome="unavailable").inc()
                    shipped = 0
                    backoff = min(backoff * 2, 10.0)
                    log.warning("broker unavailable; retrying queue_log batch in %.1fs", backoff)
                if not shipped:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), backoff)
        finally:
            if self._file is not None:
                self._file.close()
                self._file = None
