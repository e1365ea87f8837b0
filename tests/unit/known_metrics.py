"""The series names a query may use: the catalogue's, Faust's sensor's, the recording rules'
and Prometheus's own `up`. Shared by the alert-rule and dashboard tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry

from pillarwatch.models.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "alerts" / "rules"
# streams/sensor.py creates Faust's metrics with the prefix "faust" (FaustMetrics.create).
FAUST_PREFIX = "faust"


def _series(name: str, kind: str) -> set[str]:
    if kind == "counter":
        base = name.removesuffix("_total")
        return {f"{base}_total", f"{base}_created"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    return {name}


def catalogue_series() -> set[str]:
    return set().union(*(_series(m.name, m.kind) for m in CATALOGUE))


def faust_series() -> set[str]:
    """Built from Faust's own sensor code, so a renamed Faust metric fails the tests."""
    registry = CollectorRegistry()
    FaustMetrics.create(registry, FAUST_PREFIX)
    return set().union(*(_series(fam.name, fam.type) for fam in registry.collect()))


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        groups.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])
    return groups


def recorded_series() -> set[str]:
    return {r["record"] for g in rule_groups() for r in g["rules"] if "record" in r}


def known_series() -> set[str]:
    return catalogue_series() | faust_series() | recorded_series() | {"up"}
