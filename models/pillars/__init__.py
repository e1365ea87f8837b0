"""The pillars, one pure module each, and the registry that finds them.

Every public module in this package declares `PILLAR`: a `CorePillar` (scored from a window's
core measures: time_effort, resolution) or a `Pillar` (scored from the signals it derives
from contact summaries: integrity, expectations, personalisation, empathy). `registry()` finds
them without a list, so adding a pillar is adding a module (docs/adding-an-agent.md). Nothing
here imports Faust: the worker's runtime (pillarwatch.streams.pillar_runtime), the dashboards
and alert builds and the config loader all read the same declarations.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache

from pillarwatch.models.pillars._alerts import ratio_below_ticket
from pillarwatch.models.pillars._scoring import (
    PillarResult,
    PillarScore,
    SignalRow,
    evaluate_signals,
    pillar_scores,
    weighted_score,
)
from pillarwatch.models.pillars._spec import (
    CorePillar,
    Pillar,
    Ratio,
    Signal,
    State,
    clamp100,
    components_from,
    gauges_from,
    metrics_from,
    ratio,
    ratio_pillar,
)

__all__ = [
    "AnyPillar",
    "CorePillar",
    "Pillar",
    "PillarResult",
    "PillarScore",
    "Ratio",
    "Registry",
    "Signal",
    "SignalRow",
    "State",
    "clamp100",
    "components_from",
    "core_pillars",
    "default_weights",
    "evaluate_signals",
    "gauges_from",
    "metrics_from",
    "pillar_scores",
    "ratio",
    "ratio_below_ticket",
    "ratio_pillar",
    "registry",
    "signal_pillars",
    "weighted_score",
]

AnyPillar = Pillar | CorePillar
Registry = Mapping[str, AnyPillar]


@cache
def registry() -> Registry:
    """Every pillar declared in this package, by name, in module name order."""
    found: dict[str, AnyPillar] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        pillar = getattr(module, "PILLAR", None)
        if not isinstance(pillar, Pillar | CorePillar):
            raise TypeError(f"{module.__name__} declares no PILLAR = Pillar(...) or CorePillar")
        if pillar.name != info.name:
            raise TypeError(f"{module.__name__}: PILLAR.name {pillar.name!r} is not the module's")
        found[pillar.name] = pillar
    return found


def core_pillars(pillars: Registry | None = None) -> tuple[CorePillar, ...]:
    """The pillars scored from core measures (default: the whole registry's)."""
    found = registry() if pillars is None else pillars
    return tuple(p for p in found.values() if isinstance(p, CorePillar))


def signal_pillars(pillars: Registry | None = None) -> dict[str, Pillar]:
    """The pillars scored from signals, by name (default: the whole registry's)."""
    found = registry() if pillars is None else pillars
    return {name: p for name, p in found.items() if isinstance(p, Pillar)}


def default_weights(pillars: Registry) -> dict[str, dict[str, float]]:
    """Each pillar's declared component weights (a fresh copy): what the config starts from."""
    return {name: dict(p.weights) for name, p in pillars.items()}
