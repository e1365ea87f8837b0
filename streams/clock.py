"""The worker's event-time clock: the newest accepted event time in each input partition.

Windows, live waits and staffing projections end at "now", and now is event time so that a
backfill or replay gives the figures a live stream would. The clock is read from the input,
not from the measures tables: input partitions carry contacts of every queue (they are keyed
by contact), so each worker's clock follows the whole stream whichever queues it owns. Ending
windows at the newest minute of the worker's own queues instead would leave a quiet queue's
5-minute window showing old contacts whenever its worker held no busier queue.
"""

from __future__ import annotations

from pillarwatch.models.buckets import minute_of

__all__ = ["StreamClock"]


class StreamClock:
    """Per input partition, the newest event time accepted; process-local (a restart starts
    empty and the first events of each partition set it again)."""

    def __init__(self) -> None:
        self._marks: dict[int, float] = {}

    def mark(self, partition: int) -> float | None:
        """Newest event time seen in `partition`, None before its first event."""
        return self._marks.get(partition)

    def observe(self, partition: int, ts: float) -> None:
        if ts > self._marks.get(partition, float("-inf")):
            self._marks[partition] = ts

    def now(self) -> float | None:
        """Newest event time over every partition this process has read; None before any."""
        return max(self._marks.values(), default=None)

    def end_minute(self, newest_bucket: int | None) -> int | None:
        """The minute windows end at: the clock's, or the newest bucket's if that is later
        (buckets outlive a restart; the clock refills with the first events after it)."""
        now = self.now()
        minutes = [
            m for m in (newest_bucket, None if now is None else minute_of(now)) if m is not None
        ]
        return max(minutes, default=None)
