"""A bounded memory of recent event ids, to drop duplicates at the first hop."""

from __future__ import annotations

from collections import deque

__all__ = ["RecentIds"]


class RecentIds:
    """First-in-first-out set of the last `capacity` ids: a set to look up, a deque to forget
    the oldest. With 100,000 open contacts it holds 100,000 ids; the set and deque cost about
    40 bytes per id beside the id itself, where an OrderedDict cost about 80.

    It catches the usual duplicates (producer retries, a replayed batch). It is a cache, not
    the record: after a restart it is empty, and what keeps metrics right then is that every
    contact-state transition is idempotent (models/contact.py).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._ids: set[str] = set()
        self._order: deque[str] = deque()

    def seen(self, event_id: str) -> bool:
        """True if `event_id` was seen before; otherwise remember it and return False."""
        if event_id in self._ids:
            return True
        if self.capacity > 0:
            self._ids.add(event_id)
            self._order.append(event_id)
            if len(self._order) > self.capacity:
                self._ids.discard(self._order.popleft())
        return False

    def __len__(self) -> int:
        return len(self._ids)
