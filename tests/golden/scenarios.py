"""Golden scenarios: loading the hand-written expected files and comparing /metrics with them.

A scenario is `scenarios/<name>.jsonl` (schema-v1 events, one a line) and `<name>.toml` (what
every exported figure must be, each written as the arithmetic that gives it). The TOML layout
(README.md in this folder says more):

    description = "..."
    config = "golden.toml"          # optional: a file in configs/; absent = built-in defaults
    queues = ["g-edges"]            # every pillarwatch_* series with one of these queues is held

    [g-edges.voice]                 # series without a window label (counters, live gauges...)
    contacts_total = { answered = "8", abandoned = "2", short_abandoned = "1" }  # by `outcome`
    wait_seconds = { count = "8", sum = "20 + 21", buckets = { "5" = "2", "+Inf" = "8" } }
    "queue_waiting_contacts" = "1"

    [g-edges.voice.both]            # window series, the same in 5m and 1h ("5m" / "1h": one)
    service_level_ratio = "6 / 10"
    "pillar_score{pillar=time_effort}" = "42.125 / 0.70"

Names leave out the `pillarwatch_` prefix; queue, channel (and window) come from the table.
A table of values is one label's values: `outcome` of contacts_total, `state` of
staffing_present_agents.
Histogram buckets are a step function: the count at any `le` is the value given at the
largest listed `le` at or below it (0 below the first), so only the steps are written.

Nothing here imports pillarwatch: the expectations are independent of the code they check.
"""

from __future__ import annotations

import ast
import math
import operator
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CLOCK_TICK",
    "END",
    "FOLDER",
    "Figure",
    "Scenario",
    "compare",
    "load_all",
    "load_scenario",
]

FOLDER = Path(__file__).parent
SCENARIOS = FOLDER / "scenarios"
CONFIGS = FOLDER / "configs"
PREFIX = "pillarwatch_"
WINDOWS = ("5m", "1h")
# Every scenario's windows end at minute 10:59 of 2026-03-02: the 1h window is the ten
# o'clock hour, the 5m window 10:55:00-10:59:59. The runner sends this event last, on a queue
# of its own, so the worker's event-time clock reads 10:59:59 whatever the scenario's last event.
END = "2026-03-02T10:59:59Z"
CLOCK_TICK: dict[str, Any] = {
    "event_id": "golden-clock-tick",
    "type": "contact.message",
    "ts": END,
    "contact_id": "golden-clock",
    "channel": "chat",
    "queue": "golden-clock",
    "role": "bot",
    "text": "clock",
}
# Counts are compared exactly; everything else (ratios, means, scores) within 1e-9 relative.
EXACT_SUFFIXES = ("_total", "_count", "_bucket")
EXACT_NAMES = frozenset(
    {
        "pillarwatch_window_contacts",
        "pillarwatch_queue_waiting_contacts",
        "pillarwatch_staffing_required_agents",
        "pillarwatch_staffing_present_agents",
    }
)

Labels = tuple[tuple[str, str], ...]
Samples = Mapping[str, Mapping[Labels, float]]


@dataclass(frozen=True)
class Figure:
    """One expected sample: its name and labels, the arithmetic, and what that comes to."""

    name: str
    labels: Labels
    arithmetic: str
    value: float

    def title(self) -> str:
        inner = ",".join(f'{k}="{v}"' for k, v in self.labels)
        return f"{self.name}{{{inner}}}"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    events: Path
    config: Path | None
    queues: frozenset[str]
    figures: tuple[Figure, ...]
    histograms: tuple[tuple[str, Labels, dict[float, Figure]], ...]

    def lines(self) -> list[bytes]:
        """The scenario's events as produced (non-empty JSONL lines)."""
        return [ln for ln in self.events.read_bytes().splitlines() if ln.strip()]


# --- arithmetic -------------------------------------------------------------------------------

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {"min": min, "max": max, "exp": math.exp}


def evaluate(arithmetic: str | int | float, where: str) -> float:
    """The value of a hand-written expression: numbers, + - * /, parentheses, min, max, exp."""
    if isinstance(arithmetic, int | float):
        return float(arithmetic)
    try:
        tree = ast.parse(arithmetic, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"{where}: {arithmetic!r} is not arithmetic: {exc}") from None

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
        ):
            return float(_FUNCTIONS[node.func.id](*(walk(a) for a in node.args)))
        raise ValueError(f"{where}: {arithmetic!r}: only numbers, + - * /, min(), max() and exp()")

    return walk(tree)


# --- loading ----------------------------------------------------------------------------------


def _parse_key(key: str, where: str) -> tuple[str, dict[str, str]]:
    """`pillar_score{pillar=time_effort}` -> ("pillarwatch_pillar_score", {"pillar": ...})."""
    name, brace, rest = key.partition("{")
    labels: dict[str, str] = {}
    if brace:
        if not rest.endswith("}"):
            raise ValueError(f"{where}: key {key!r} opens a brace it does not close")
        for pair in filter(None, (p.strip() for p in rest[:-1].split(","))):
            label, eq, value = pair.partition("=")
            if not eq:
                raise ValueError(f"{where}: key {key!r}: {pair!r} is not label=value")
            labels[label.strip()] = value.strip()
    name = name.strip()
    return (name if name.startswith(PREFIX) else PREFIX + name), labels


def _sorted(labels: Mapping[str, str]) -> Labels:
    return tuple(sorted(labels.items()))


# A table of one label's values, e.g. contacts_total = { answered = "8", ... }: which label.
VALUE_LABEL = {
    "pillarwatch_contacts_total": "outcome",
    "pillarwatch_staffing_present_agents": "state",
}


class _Reader:
    """Collects the figures of one expected file, naming the file, table and key in errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.figures: list[Figure] = []
        self.histograms: list[tuple[str, Labels, dict[float, Figure]]] = []

    def table(self, queue: str, channel: str, body: Mapping[str, Any]) -> None:
        base = {"queue": queue, "channel": channel}
        for key, spec in body.items():
            where = f"{self.path.name} [{queue}.{channel}] {key}"
            if key in ("both", *WINDOWS):
                for window in WINDOWS if key == "both" else (key,):
                    for wkey, wspec in spec.items():
                        self.figure(wkey, wspec, {**base, "window": window}, f"{where}.{wkey}")
            elif isinstance(spec, dict) and "buckets" in spec:
                self.histogram(key, spec, base, where)
            elif isinstance(spec, dict):
                metric, _ = _parse_key(key, where)
                label = VALUE_LABEL.get(metric)
                if label is None:
                    raise ValueError(f"{where}: a table of values only for {sorted(VALUE_LABEL)}")
                for value_name, arithmetic in spec.items():
                    self.figure(
                        key, arithmetic, {**base, label: value_name}, f"{where}.{value_name}"
                    )
            else:
                self.figure(key, spec, base, where)

    def figure(self, key: str, arithmetic: Any, labels: dict[str, str], where: str) -> None:
        metric, extra = _parse_key(key, where)
        value = evaluate(arithmetic, where)
        self.figures.append(Figure(metric, _sorted({**labels, **extra}), str(arithmetic), value))

    def histogram(
        self, key: str, spec: Mapping[str, Any], base: dict[str, str], where: str
    ) -> None:
        metric, extra = _parse_key(key, where)
        labels = _sorted({**base, **extra})
        for part in ("count", "sum"):
            value = evaluate(spec[part], f"{where}.{part}")
            self.figures.append(Figure(f"{metric}_{part}", labels, str(spec[part]), value))
        steps = {
            float(le): Figure(f"{metric}_bucket", labels, str(v), evaluate(v, f"{where} le={le}"))
            for le, v in spec["buckets"].items()
        }
        self.histograms.append((f"{metric}_bucket", labels, steps))


def load_scenario(name: str) -> Scenario:
    path = SCENARIOS / f"{name}.toml"
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    config = doc.get("config")
    queues = frozenset(doc["queues"])
    reader = _Reader(path)
    for queue in sorted(queues):
        for channel, body in doc.get(queue, {}).items():
            reader.table(queue, channel, body)
    return Scenario(
        name=name,
        description=doc.get("description", ""),
        events=SCENARIOS / f"{name}.jsonl",
        config=None if config is None else CONFIGS / config,
        queues=queues,
        figures=tuple(reader.figures),
        histograms=tuple(reader.histograms),
    )


def load_all() -> list[Scenario]:
    return [load_scenario(p.stem) for p in sorted(SCENARIOS.glob("*.toml"))]


# --- comparison -------------------------------------------------------------------------------


def _exact(name: str) -> bool:
    return name in EXACT_NAMES or name.endswith(EXACT_SUFFIXES)


def _equal(name: str, got: float, want: float) -> bool:
    if _exact(name):
        return got == want
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def _bucket_expectation(steps: dict[float, Figure], le: float) -> Figure | None:
    below = [k for k in steps if k <= le]
    return steps[max(below)] if below else None


def compare(
    scenario: Scenario, samples: Samples | None, only: frozenset[str] | None = None
) -> list[str]:
    """Every difference between `samples` and the scenario, as readable lines; [] when equal.

    Two-way: each expected figure must be present and equal, and no other pillarwatch_* series
    may carry one of the scenario's queues. `only` limits both ways to those metric names
    (the pure path, which has no live gauges).
    """
    if samples is None:
        return ["no /metrics to compare"]
    got = _scenario_series(scenario, samples, only)
    wanted = _wanted(scenario, got, only)
    problems = []
    for key, fig in sorted(wanted.items()):
        found = got.get(key)
        expected = f"{fig.title()}: expected {fig.arithmetic} = {fig.value!r}"
        if found is None:
            problems.append(f"{expected}, got absent")
        elif not _equal(fig.name, found, fig.value):
            problems.append(f"{expected}, got {found!r}")
    for key, found in sorted(got.items()):
        if key not in wanted:
            title = Figure(key[0], key[1], "", 0.0).title()
            problems.append(f"{title}: not expected, got {found!r}")
    return problems


def _scenario_series(
    scenario: Scenario, samples: Samples, only: frozenset[str] | None
) -> dict[tuple[str, Labels], float]:
    """The pillarwatch_* samples labelled with one of the scenario's queues (no _created)."""
    got: dict[tuple[str, Labels], float] = {}
    for name, series in samples.items():
        if not name.startswith(PREFIX) or name.endswith("_created"):
            continue
        if only is not None and name not in only:
            continue
        for labels, value in series.items():
            if dict(labels).get("queue") in scenario.queues:
                got[(name, labels)] = value
    return got


def _wanted(
    scenario: Scenario, got: Mapping[tuple[str, Labels], float], only: frozenset[str] | None
) -> dict[tuple[str, Labels], Figure]:
    """The expected figures, histogram buckets expanded from their steps to every `le`."""
    wanted = {
        (fig.name, fig.labels): fig for fig in scenario.figures if only is None or fig.name in only
    }
    for hist, labels, steps in scenario.histograms:
        if only is not None and hist not in only:
            continue
        les = {float(dict(lab)["le"]) for n, lab in got if n == hist and _without_le(lab) == labels}
        for le in les | set(steps):
            fig = _bucket_expectation(steps, le)
            full = _sorted({**dict(labels), "le": _le_text(le)})
            arithmetic = "0 (below the first step)" if fig is None else f"{fig.arithmetic} (step)"
            wanted[(hist, full)] = Figure(hist, full, arithmetic, 0.0 if fig is None else fig.value)
    return wanted


def _without_le(labels: Labels) -> Labels:
    return tuple((k, v) for k, v in labels if k != "le")


def _le_text(le: float) -> str:
    """The `le` label as prometheus_client writes it: 5.0, 20.0, +Inf."""
    return "+Inf" if math.isinf(le) else repr(float(le))
