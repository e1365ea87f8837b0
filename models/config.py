"""Targets and weights per queue and segment, from the TOML file named by PILLARWATCH_CONFIG.

Lookup order for a contact's targets: [queues.<queue>.segments.<segment>], then
[queues.<queue>], then [segments.<segment>], then [defaults]; each level overrides only the
keys it sets. An invalid file stops start-up with a ConfigError naming the file, key and reason.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Config", "ConfigError", "PillarWeights", "Targets", "load_config"]


class PillarWeights(Protocol):
    """What the loader needs of a pillar declaration (models/pillars): its default weights."""

    @property
    def weights(self) -> Mapping[str, float]: ...


class ConfigError(ValueError):
    """A configuration value that stops start-up; the message names the place and the fix."""


@dataclass(frozen=True, slots=True)
class Targets:
    """What good looks like for one queue (and segment). Times are seconds."""

    service_level_seconds: float = 20.0
    service_level_goal: float = 0.80
    short_abandon_seconds: float = 5.0
    repeat_window_seconds: float = 7 * 86400.0
    abandon_ceiling: float = 0.25  # abandonment at which the abandonment component reaches 0
    transfer_ceiling: float = 0.50
    hold_ceiling_seconds: float = 120.0  # mean hold per handled contact at which holds score 0
    repeat_ceiling: float = 0.30  # repeat-contact ratio at which that component reaches 0
    resolution_target_seconds: float = 86400.0  # journey start to resolution: full marks within


_RANGES: dict[str, tuple[float, float]] = {
    "service_level_seconds": (1.0, 3600.0),
    "service_level_goal": (0.01, 1.0),
    "short_abandon_seconds": (0.0, 600.0),
    "repeat_window_seconds": (60.0, 90 * 86400.0),
    "abandon_ceiling": (0.01, 1.0),
    "transfer_ceiling": (0.01, 1.0),
    "hold_ceiling_seconds": (1.0, 3600.0),
    "repeat_ceiling": (0.01, 1.0),
    "resolution_target_seconds": (60.0, 90 * 86400.0),
}


@dataclass(frozen=True)
class Config:
    """The whole file, resolved. `targets(queue, segment)` is what agents call.

    Precedence, most specific last: defaults < queue < segment < queue's segment. A segment
    wins over its queue because it says how fast that kind of customer expects an answer.
    """

    defaults: Targets = field(default_factory=Targets)
    queue_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    segment_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    queue_segment_overrides: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    # Component weights per pillar, as configured; a pillar absent here scores with the
    # weights its declaration gives (models/pillars), so Config() needs no registry.
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    min_contacts: int = 10  # a window with fewer offered contacts reports no pillar score
    lateness_seconds: float = 120.0
    staffing_lookback_minutes: int = 15  # arrival rate for the Erlang C projection
    # A contact with no event for this long (event time) is closed, so state stays bounded.
    contact_timeout_seconds: float = 4 * 3600.0
    _cache: dict[tuple[str, str | None], Targets] = field(
        default_factory=dict, repr=False, compare=False
    )

    def targets(self, queue: str, segment: str | None = None) -> Targets:
        key = (queue, segment)
        found = self._cache.get(key)
        if found is None:
            values = dict(self.queue_overrides.get(queue, {}))
            if segment is not None:
                values.update(self.segment_overrides.get(segment, {}))
                values.update(self.queue_segment_overrides.get((queue, segment), {}))
            found = replace(self.defaults, **values) if values else self.defaults
            if len(self._cache) < 100_000:  # bounded: queue names come from input
                self._cache[key] = found
        return found


def load_config(path: str | Path | None, pillars: Mapping[str, PillarWeights]) -> Config:
    """Read and validate a TOML config; None gives the built-in defaults. `pillars` is the
    pillar registry (models.pillars.registry()): `[weights.<pillar>]` may name only those."""
    if path is None:
        return Config(weights=_weights({}, pillars, "defaults"))
    where = str(path)
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{where}: file not found (PILLARWATCH_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    return _parse(doc, where, pillars)


def _parse(doc: dict[str, Any], where: str, pillars: Mapping[str, PillarWeights]) -> Config:
    _known(doc, {"defaults", "queues", "segments", "weights", "scoring"}, where, "")
    defaults = replace(Targets(), **_overrides(doc.get("defaults", {}), where, "defaults"))
    segments = {
        name: _overrides(body, where, f"segments.{name}")
        for name, body in _table(doc, "segments", where).items()
    }
    queues: dict[str, dict[str, float]] = {}
    queue_segments: dict[tuple[str, str], dict[str, float]] = {}
    for name, body in _table(doc, "queues", where).items():
        body = dict(_as_table(body, where, f"queues.{name}"))
        nested = _as_table(body.pop("segments", {}), where, f"queues.{name}.segments")
        queues[name] = _overrides(body, where, f"queues.{name}")
        for seg, seg_body in nested.items():
            key = f"queues.{name}.segments.{seg}"
            queue_segments[(name, seg)] = _overrides(seg_body, where, key)
    weights = _weights(_table(doc, "weights", where), pillars, where)
    scoring = _table(doc, "scoring", where)
    _known(
        scoring,
        {
            "min_contacts",
            "lateness_seconds",
            "staffing_lookback_minutes",
            "contact_timeout_seconds",
        },
        where,
        "scoring",
    )
    min_contacts = scoring.get("min_contacts", 10)
    if type(min_contacts) is not int or min_contacts < 1:
        raise ConfigError(f"{where}: scoring.min_contacts: must be a whole number >= 1")
    lateness = _number(scoring.get("lateness_seconds", 120.0), where, "scoring.lateness_seconds")
    if not 0 <= lateness <= 3600:
        raise ConfigError(f"{where}: scoring.lateness_seconds: must be within 0..3600")
    lookback = scoring.get("staffing_lookback_minutes", 15)
    if type(lookback) is not int or not 1 <= lookback <= 60:
        raise ConfigError(f"{where}: scoring.staffing_lookback_minutes: a whole number 1..60")
    timeout = _number(
        scoring.get("contact_timeout_seconds", 4 * 3600.0), where, "scoring.contact_timeout_seconds"
    )
    if not 600 <= timeout <= 7 * 86400:
        raise ConfigError(f"{where}: scoring.contact_timeout_seconds: must be within 600..604800")
    return Config(
        defaults,
        queues,
        segments,
        queue_segments,
        weights,
        min_contacts,
        lateness,
        lookback,
        contact_timeout_seconds=timeout,
    )


def _overrides(body: Any, where: str, key: str) -> dict[str, float]:
    body = _as_table(body, where, key)
    _known(body, set(_RANGES), where, key)
    values: dict[str, float] = {}
    for name, value in body.items():
        number = _number(value, where, f"{key}.{name}")
        low, high = _RANGES[name]
        if not low <= number <= high:
            raise ConfigError(f"{where}: {key}.{name}: {number} outside {low}..{high}")
        values[name] = number
    return values


def _weights(
    body: dict[str, Any], pillars: Mapping[str, PillarWeights], where: str
) -> dict[str, dict[str, float]]:
    weights = {name: dict(p.weights) for name, p in pillars.items()}
    for pillar, parts in body.items():
        if pillar not in weights:
            raise ConfigError(
                f"{where}: weights.{pillar}: unknown pillar; known: {sorted(weights)}"
            )
        for component, value in _as_table(parts, where, f"weights.{pillar}").items():
            if component not in weights[pillar]:
                raise ConfigError(
                    f"{where}: weights.{pillar}.{component}: unknown component; "
                    f"known: {sorted(weights[pillar])}"
                )
            number = _number(value, where, f"weights.{pillar}.{component}")
            if number < 0:
                raise ConfigError(f"{where}: weights.{pillar}.{component}: must be >= 0")
            weights[pillar][component] = number
        if sum(weights[pillar].values()) <= 0:
            raise ConfigError(f"{where}: weights.{pillar}: at least one weight must be > 0")
    return weights


def _table(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    return _as_table(doc.get(key, {}), where, key)


def _as_table(value: Any, where: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key}: expected a table")
    return value


def _known(body: dict[str, Any], known: set[str], where: str, key: str) -> None:
    for name in body:
        if name not in known:
            place = f"{key}.{name}" if key else name
            raise ConfigError(f"{where}: {place}: unknown key; known keys: {sorted(known)}")


def _number(value: Any, where: str, key: str) -> float:
    if type(value) not in (int, float):
        raise ConfigError(f"{where}: {key}: expected a number")
    number = float(value)
    # TOML allows nan and inf; either would turn a pillar score into 0 without a word
    # (and page on-call through the score-drop alert), so they stop start-up here.
    if not math.isfinite(number):
        raise ConfigError(
            f"{where}: {key} = {value}: must be a finite number; write a plain number "
            "such as 0.25 (nan and inf are not allowed)"
        )
    return number
