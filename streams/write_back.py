"""A write-back view of a Faust Table for the length of one message.

Every `table[key] = row` sends a changelog message. The measures agent applies a message's
records one by one, and a message of many records (the first hop sends a batch's records of a
queue and channel as one) touches the same few minute rows again and again; through this view
each row is written, or deleted, once when the message is done.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["WriteBack"]

_DELETED: Any = object()


class WriteBack(MutableMapping[Any, Any]):
    """Reads see the pending changes first, then the table; `flush` writes them."""

    def __init__(self, table: MutableMapping[Any, Any]) -> None:
        self.table = table
        self.changed: dict[Any, Any] = {}

    def __getitem__(self, key: Any) -> Any:
        value = self.changed.get(key, self.table.get(key, _DELETED))
        if value is _DELETED:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        self.changed[key] = value

    def __delitem__(self, key: Any) -> None:
        if key not in self:
            raise KeyError(key)
        self.changed[key] = _DELETED

    def __contains__(self, key: object) -> bool:
        if key in self.changed:
            return self.changed[key] is not _DELETED
        return key in self.table

    def __iter__(self) -> Iterator[Any]:
        # Not on the hot path (the bucket functions get, set and delete by key).
        seen = {k for k, v in self.changed.items() if v is not _DELETED}
        seen.update(k for k in self.table if k not in self.changed)
        return iter(seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self) -> None:
        for key, value in self.changed.items():
            if value is _DELETED:
                if key in self.table:
                    del self.table[key]
            else:
                self.table[key] = value
        self.changed.clear()
