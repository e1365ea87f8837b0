"""What green, amber and red mean on the wallboard, from the configured targets.

Reads the optional pillarwatch TOML (the PILLARWATCH_CONFIG file): the service-level goal and
target seconds from `[defaults]`, and tile limits from an optional `[wallboard]` table. Per-queue
overrides cannot colour a repeated tile row differently in Grafana, so the wallboard uses the
defaults; per-queue goals are enforced by the alert rules (alerts/rules/targets.yml).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

__all__ = ["TargetsError", "WallboardTargets", "load_targets"]


class TargetsError(ValueError):
    """The TOML file cannot be read or holds a value out of range; the message names it."""


@dataclass(frozen=True, slots=True)
class WallboardTargets:
    """Tile thresholds. Defaults: 80 % of contacts answered within 20 s."""

    service_level_goal: float = 0.80  # green at or above
    service_level_amber_margin: float = 0.10  # amber down to goal - margin, red below
    service_level_seconds: float = 20.0  # longest wait turns amber here...
    longest_wait_red_seconds: float = 60.0  # ...and red here
    waiting_amber: float = 5.0  # contacts waiting per queue
    waiting_red: float = 10.0
    abandon_amber: float = 0.05
    abandon_red: float = 0.10
    score_amber: float = 70.0  # pillar scores 0..100: amber below this
    score_red: float = 50.0  # red below this


_DEFAULTS_KEYS = ("service_level_goal", "service_level_seconds")


def load_targets(path: Path | None) -> WallboardTargets:
    """Targets from `path` (None: the built-in defaults)."""
    targets = WallboardTargets()
    if path is None:
        return targets
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetsError(f"{path}: cannot read targets: {exc}") from exc
    chosen: dict[str, float] = {}
    defaults = data.get("defaults", {})
    for key in _DEFAULTS_KEYS:
        if key in defaults:
            chosen[key] = _number(path, f"defaults.{key}", defaults[key])
    known = {f.name for f in fields(WallboardTargets)}
    for key, value in data.get("wallboard", {}).items():
        if key not in known:
            raise TargetsError(f"{path}: unknown key wallboard.{key}; known: {sorted(known)}")
        chosen[key] = _number(path, f"wallboard.{key}", value)
    targets = replace(targets, **chosen)
    if not 0.0 < targets.service_level_goal <= 1.0:
        raise TargetsError(f"{path}: service_level_goal must be in (0, 1]")
    return targets


def _number(path: Path, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TargetsError(f"{path}: {key} must be a non-negative number, got {value!r}")
    return float(value)
