"""What an agent module in streams/agents/ declares about itself: `SPEC = AgentSpec(...)`.

Every agent module has a docstring, `SPEC` and `install(app) -> None`. The checks that read
the repository (a test file per agent, the metrics described in docs/metrics.md) live in
tests/streams/test_agent_contract.py; `spec_problems` holds the ones that need only the code.
Pillars are not agents: they are declarations in models/pillars, run by two agents.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal

from pillarwatch.models.catalogue import ALLOWED_LABELS, CATALOGUE

__all__ = ["AgentSpec", "created_tables", "spec_problems", "stream_loops"]

Consumes = Literal["events", "summaries", "journeys"]


@dataclass(frozen=True)
class AgentSpec:
    """What an agent module declares about itself (checked by the contract test).

    - `consumes`: raw input events or contact summaries (by queue or re-keyed by customer);
    - `tables`: every Table the module creates -> what bounds its size (one sentence);
    - `metrics`: catalogue names (models/catalogue.py) the module exports.
    """

    name: str
    consumes: Consumes
    tables: Mapping[str, str] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()


def created_tables(module: ModuleType) -> list[str]:
    """Names of the Tables a module's source creates: `app.Table("name", ...)` literals;
    a computed name (the pillar tables) is `<computed>` and must be declared by the SPEC."""
    tree = ast.parse(inspect.getsource(module))
    names = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("Table", "GlobalTable", "SetTable")
        ):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.append(first.value)
    return names


def stream_loops(module: ModuleType) -> list[int]:
    """Lines where the module iterates a Faust stream itself (`async for ... in stream` or
    `stream.events()`): Faust acks such an event even when a stop cut its agent off halfway,
    so agents iterate with `handle_each` (streams/acks.py) or `batches` (streams/batching.py),
    which ack only what was handled."""
    tree = ast.parse(inspect.getsource(module))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.AsyncFor):
            continue
        target = node.iter
        if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
            target = target.func.value  # stream.events(), stream.noack(), ...
        if isinstance(target, ast.Name) and target.id == "stream":
            lines.append(node.lineno)
    return lines


def spec_problems(module: ModuleType) -> list[str]:
    """Every way `module` breaks the code part of the agent contract; [] when it keeps it."""
    name = module.__name__.rsplit(".", 1)[-1]
    out: list[str] = []
    if not (module.__doc__ or "").strip():
        out.append(f"{name}: no module docstring")
    if not callable(getattr(module, "install", None)):
        out.append(f"{name}: no install(app) function")
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, AgentSpec):
        return [*out, f"{name}: no SPEC = AgentSpec(...)"]
    if spec.consumes not in ("events", "summaries", "journeys"):
        out.append(f"{name}: SPEC.consumes {spec.consumes!r} is not events|summaries|journeys")
    catalogue = {m.name: m for m in CATALOGUE}
    for metric in spec.metrics:
        found = catalogue.get(metric)
        if found is None:
            out.append(f"{name}: metric {metric} is not in models/catalogue.py")
            continue
        bad = set(found.labels) - ALLOWED_LABELS
        if bad:
            out.append(f"{name}: metric {metric} has labels outside ALLOWED_LABELS: {sorted(bad)}")
    for table, bound in spec.tables.items():
        if not bound.strip():
            out.append(f"{name}: table {table!r} declares no bound")
    for table in created_tables(module):
        if table not in spec.tables:
            out.append(f"{name}: creates table {table!r} not declared (with its bound) in SPEC")
    for line in stream_loops(module):
        out.append(
            f"{name}: line {line} iterates the stream itself; use handle_each (streams/acks.py)"
        )
    return out
