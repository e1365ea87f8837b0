"""A bounded memory of recent event ids, to drop duplicates at the first hop."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["RecentIds"]


class RecentIds:
    """First-in-first-out set of the last `capacity` ids (an OrderedDict pops oldest in O(1)).

    It catches the usual duplicates (producer retries, a replayed batch). It is a cache, not
    the record: after a restart it is empty, and what keeps metrics right then is that every
    contact-state transition is idempotent (models/contact.py).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str) -> bool:
        """True if `event_id` was seen before; otherwise remember it and return False."""
        if event_id in self._ids:
            return True
        if self.capacity > 0:
            self._ids[event_id] = None
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._ids)
