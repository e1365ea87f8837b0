"""Per-source request rate limit: a token bucket for each platform of the route table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

__all__ = ["RateLimiter"]


class RateLimiter:
    """`rate` requests per second per source, bursts up to `burst`.

    One bucket per source named in the route table, created up front: the number of buckets
    is fixed, so no request can grow this object (sources never come from the request).
    """

    def __init__(
        self,
        sources: Iterable[str],
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        now = clock()
        self._buckets = {source: (self._burst, now) for source in sources}

    def allow(self, source: str) -> bool:
        """Take one token from `source`'s bucket; False when it is empty."""
        tokens, last = self._buckets[source]
        now = self._clock()
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens < 1.0:
            self._buckets[source] = (tokens, now)
            return False
        self._buckets[source] = (tokens - 1.0, now)
        return True

    def retry_after(self, source: str) -> int:
        """Whole seconds until `source` has a token again (at least 1)."""
        tokens, _ = self._buckets[source]
        return min(3600, max(1, int((1.0 - tokens) / self._rate + 0.999)))
