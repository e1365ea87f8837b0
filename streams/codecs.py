"""Faust's "json" codec, with each encoded value copied to its own length.

Faust encodes with orjson when it is installed. orjson (3.12 and later) hands back its whole
write buffer, 4 KB or more, however short the JSON (ijl/orjson's `BytesWriter`, whose final
resize does nothing; home-assistant/core#181240 trims the values it keeps for the same
reason). A Table changelog message or a summary is a few hundred bytes, so each one held
8 KB until the producer had copied it into a batch: a commit that hands over 500 held
changelog writes at once held 4 MB for a moment, 10,000 held 80 MB, and the worker's peak
resident memory is what the memory goal counts (docs/performance.md, "Session 13"). The copy
costs about 0.2 µs per message and the small copy comes from Python's own allocator.
"""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

__all__ = ["TrimmedJson", "install"]


class TrimmedJson(codecs.json):
    """Faust's json codec; `dumps` returns bytes the size of the JSON."""

    def _dumps(self, s: Any) -> bytes:
        return bytes(memoryview(super()._dumps(s)))


def install() -> None:
    """Make "json" (every Table's and topic's default value and key codec) the trimmed one.
    Process-wide, as Faust's codec registry is; idempotent."""
    if not isinstance(codecs.codecs.get("json"), TrimmedJson):
        codecs.register("json", TrimmedJson())
