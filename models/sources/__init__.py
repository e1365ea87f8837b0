"""Pure mappings from contact-centre platforms' own event formats to pillarwatch schema v1.

One module per platform, each with ``map_event(payload, options=None) -> MappingResult``.
A mapping never raises on bad input: everything it does not turn into an event comes back
as an `Unmapped` with a short, label-safe reason code (see docs/sources.md).
"""

from pillarwatch.models.sources.common import (
    CHANNELS,
    OUTSIDE_QUEUES,
    MappingOptions,
    MappingResult,
    Signal,
    Unmapped,
)

__all__ = ["CHANNELS", "OUTSIDE_QUEUES", "MappingOptions", "MappingResult", "Signal", "Unmapped"]
