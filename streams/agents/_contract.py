"""The agent contract: what a module in streams/agents/ must declare, and the checks on it.

Every agent module has a docstring, `SPEC = AgentSpec(...)` and `install(app) -> None`;
a pillar agent also has `PILLAR = models.signals.Pillar(...)` (its pure code) and may have
`PANELS` / `ALERTS` (plain data, collected by the dashboards and alerts builds). The
underscore keeps this module out of discovery. docs/adding-an-agent.md walks through it;
tests/streams/test_agent_contract.py holds every discovered module to `problems()`.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from pillarwatch.models.catalogue import ALLOWED_LABELS, CATALOGUE
from pillarwatch.models.config import DEFAULT_WEIGHTS, register_pillar
from pillarwatch.models.signals import Pillar, Signal
from pillarwatch.models.summaries import from_wire, to_wire, wire_key

if TYPE_CHECKING:
    from pillarwatch.streams.app import PillarwatchApp

__all__ = [
    "AgentSpec",
    "collect_alert_rules",
    "collect_panels",
    "install_pillar",
    "pillars",
    "problems",
    "register_pillars",
]

Consumes = Literal["events", "summaries", "journeys"]
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class AgentSpec:
    """What an agent module declares about itself (checked by the contract test).

    - `consumes`: raw input events, contact summaries, or journey outcomes;
    - `tables`: every Table the module creates -> what bounds its size (one sentence);
    - `metrics`: catalogue names (models/catalogue.py) the module exports;
    - `pillar`: the pillar it scores, if any; `components`: that pillar's component names.
    """

    name: str
    consumes: Consumes
    tables: Mapping[str, str] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    pillar: str | None = None
    components: tuple[str, ...] = ()


# --- the checks ------------------------------------------------------------------------------


def _created_tables(module: ModuleType) -> list[str]:
    """Names of the Tables a module's source creates: `app.Table("name", ...)` literals, and
    `table_name(SPEC, "suffix")` for the generic pillar installer."""
    tree = ast.parse(inspect.getsource(module))
    names = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("Table", "GlobalTable", "SetTable")
        ):
            first = node.args[0] if node.args else None
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            names.append(str(first.value) if literal else "<computed>")  # type: ignore[union-attr]
    spec = getattr(module, "SPEC", None)
    pillar = getattr(module, "PILLAR", None)
    if isinstance(spec, AgentSpec) and isinstance(pillar, Pillar):
        names += pillar_tables(spec, pillar)
    return names


def problems(module: ModuleType, repo: Path = REPO) -> list[str]:
    """Every way `module` breaks the agent contract; [] when it keeps it."""
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
    for table in _created_tables(module):
        if table not in spec.tables:
            out.append(f"{name}: creates table {table!r} not declared (with its bound) in SPEC")
    pillar = getattr(module, "PILLAR", None)
    if spec.pillar is not None:
        if not isinstance(pillar, Pillar) and spec.pillar not in DEFAULT_WEIGHTS:
            out.append(f"{name}: SPEC.pillar {spec.pillar!r} but no PILLAR = Pillar(...)")
        if isinstance(pillar, Pillar):
            if pillar.name != spec.pillar:
                out.append(f"{name}: PILLAR.name {pillar.name!r} != SPEC.pillar")
            if set(pillar.weights) != set(spec.components):
                out.append(f"{name}: PILLAR.weights keys differ from SPEC.components")
    test = repo / "tests" / "streams" / f"test_{name}_agent.py"
    if not test.is_file():
        out.append(f"{name}: no test file tests/streams/test_{name}_agent.py")
    docs = repo / "docs" / "metrics.md"
    text = docs.read_text(encoding="utf-8") if docs.is_file() else ""
    for metric in spec.metrics:
        if not re.search(rf"`{re.escape(metric)}[`{{]", text):
            out.append(f"{name}: metric {metric} is not described in docs/metrics.md")
    if spec.pillar is not None and f'pillar="{spec.pillar}"' not in text:
        out.append(f"{name}: pillar {spec.pillar} is not described in docs/metrics.md")
    for kind, check in (("PANELS", _panel_problems), ("ALERTS", _alert_problems)):
        for item in getattr(module, kind, ()):
            out += [f"{name}: {kind}: {p}" for p in check(item, spec)]
    return out


def _panel_problems(panel: Any, spec: AgentSpec) -> list[str]:
    if not isinstance(panel, dict) or not {"title", "expr"} <= set(panel):
        return ["each panel is a dict with at least 'title' and 'expr'"]
    if not any(m in panel["expr"] for m in spec.metrics):
        return [f"panel {panel['title']!r} queries none of the module's metrics"]
    return []


def _alert_problems(rule: Any, spec: AgentSpec) -> list[str]:
    if not isinstance(rule, dict) or not {"alert", "expr", "for"} <= set(rule):
        return ["each alert is a dict with at least 'alert', 'expr' and 'for'"]
    out = []
    if not any(m in rule["expr"] for m in spec.metrics):
        out.append(f"alert {rule['alert']!r} queries none of the module's metrics")
    labels = rule.get("labels", {})
    if labels.get("severity") == "page":
        runbook = rule.get("annotations", {}).get("runbook_url", "")
        if not runbook:
            out.append(f"alert {rule['alert']!r} pages but has no runbook_url annotation")
    return out


# --- discovery helpers -----------------------------------------------------------------------


def _modules() -> list[ModuleType]:
    from pillarwatch.streams.agents import discover

    return discover()


def pillars(modules: Iterable[ModuleType] | None = None) -> dict[str, Pillar]:
    """The pillars contributed by agent modules, by name."""
    found = {}
    for module in _modules() if modules is None else modules:
        pillar = getattr(module, "PILLAR", None)
        if isinstance(pillar, Pillar):
            found[pillar.name] = pillar
    return found


def register_pillars() -> dict[str, Pillar]:
    """Make every discovered pillar known to the config loader (`[weights.<pillar>]`)."""
    found = pillars()
    for pillar in found.values():
        register_pillar(pillar.name, dict(pillar.weights))
    return found


RUNBOOKS = "https://github.com/pillarwatch/pillarwatch/blob/main/docs/runbooks/"
MIN_HOUR_VOLUME = 30  # contacts in the hour below which a pillar ratio is noise, not a finding


def ratio_below_ticket(
    alert: str, metric: str, below: float, for_: str, summary: str, what: str
) -> dict[str, Any]:
    """A business ticket when a pillar agent's 1h ratio gauge falls below `below`, with the
    volume guard, labels and runbook link every such alert needs (docs/runbooks/<alert>.md).
    `what` completes "Over the last hour only <value> of ..." in the description."""
    return {
        "alert": alert,
        "expr": (
            f'{metric}{{window="1h"}} < {below:g}'
            " and on (queue, channel, window)"
            f' pillarwatch_window_contacts{{window="1h"}} >= {MIN_HOUR_VOLUME}'
        ),
        "for": for_,
        "labels": {"severity": "ticket", "layer": "business"},
        "annotations": {
            "summary": summary,
            "description": (
                "Over the last hour only {{ $value | humanizePercentage }} of "
                + what
                + f" (ticket below {below * 100:.0f} %,"
                f" with at least {MIN_HOUR_VOLUME} contacts in the hour)."
            ),
            "runbook_url": RUNBOOKS + f"{alert}.md",
        },
    }


def collect_panels(modules: Iterable[ModuleType] | None = None) -> list[dict[str, Any]]:
    """Every module's PANELS, as plain dicts tagged with the agent's name, in module order.

    A panel is {"title", "expr", optional "unit", "description", "kind"}; the dashboards build
    turns them into Grafana panels (no grafana SDK import here, nor in the agent modules).
    """
    out = []
    for module in _modules() if modules is None else modules:
        spec = getattr(module, "SPEC", None)
        for panel in getattr(module, "PANELS", ()):
            out.append({"agent": spec.name if spec else module.__name__, **panel})
    return out


def collect_alert_rules(modules: Iterable[ModuleType] | None = None) -> str:
    """Every module's ALERTS as one Prometheus rule file, a group per agent.

    The text is JSON, which is YAML (1.2): promtool reads it as a rule file, and no YAML
    library is needed to write it.
    """
    groups = []
    for module in _modules() if modules is None else modules:
        rules = list(getattr(module, "ALERTS", ()))
        if rules:
            spec = getattr(module, "SPEC", None)
            name = spec.name if spec else module.__name__
            groups.append({"name": f"pillarwatch-agent-{name}", "rules": rules})
    return json.dumps({"groups": groups}, indent=2, ensure_ascii=False) + "\n"


# --- the generic pillar installer ------------------------------------------------------------


def pillar_tables(spec: AgentSpec, pillar: Pillar) -> list[str]:
    return [f"{spec.name}-state"] if pillar.keyed_by == "customer" else []


def signal_wire(signals: Iterable[Signal]) -> Iterator[tuple[bytes, dict[str, Any]]]:
    for s in signals:
        yield wire_key(s.queue, s.channel).encode(), to_wire(s)


def install_pillar(app: PillarwatchApp, spec: AgentSpec, pillar: Pillar) -> None:
    """Wire a pillar's pure code into agents: summaries in, signals out (to the measures agent).

    A pillar keyed by customer gets its summaries re-keyed by customer id (one extra message
    per contact with a customer id) and a state Table per customer; one keyed by queue is
    stateless and reads `contact-summaries` directly. Signals go back onto `contact-summaries`.
    """
    s = app.settings
    config = s.config
    summaries = app.topic(
        s.summaries_topic, key_serializer="raw", value_serializer="json", partitions=s.partitions
    )

    async def emit(signals: list[Signal], source: str = "") -> None:
        for key, value in signal_wire(identified(signals, source)):
            await summaries.send(key=key, value=value)

    if pillar.keyed_by == "queue":

        @app.agent(summaries, name=spec.name)
        async def stateless(stream: Any) -> None:
            async for doc in stream:
                if doc.get("kind") == "summary":
                    _, signals = pillar.signals(None, from_wire(doc), config)  # type: ignore[arg-type]
                    await emit(signals, summary_id(doc))

        return

    by_customer = app.rekey_topic(f"{spec.name}-by-customer", value_serializer="json")
    (table_name,) = pillar_tables(spec, pillar)
    table = app.Table(table_name, default=None, partitions=s.partitions)
    # Event time of this worker's customers: the newest summary seen. Process-local on purpose:
    # after a rebalance it restarts from the next summary, which only delays a sweep. It is
    # worker-wide, not per partition: summaries reach a by-customer partition from every
    # queue's partition, so a partition's own newest time does not order them either, and at
    # the end of a stream it would leave due judgements unmade. The cost: after a fail-over a
    # backlog replayed behind the other partitions can have a callback judged broken before
    # the summary that kept it is read (tests/integration/test_two_workers.py).
    watermark = [0.0]

    @app.agent(summaries, name=f"{spec.name}-router")
    async def route(stream: Any) -> None:
        async for doc in stream:
            if doc.get("kind") == "summary" and doc.get("customer_id"):
                await by_customer.send(key=doc["customer_id"].encode(), value=doc)

    @app.agent(by_customer, name=spec.name)
    async def stateful(stream: Any) -> None:
        async for doc in stream:
            customer = doc["customer_id"]
            state, seen = split_seen(table.get(customer))
            source = ""
            if doc.get("kind") == SWEEP:
                pending.discard(customer)
                if sweep is None or state is None:
                    continue
                state, signals = sweep(state, doc["watermark"], config)
            else:
                source = summary_id(doc)
                if source and source in seen:
                    continue  # a summary processed before a crash or a partition move
                summary = from_wire(doc)
                state, signals = pillar.signals(state, summary, config)  # type: ignore[arg-type]
                watermark[0] = max(watermark[0], summary.ts)
            _store(table, customer, with_seen(state, seen, source))
            await emit(signals, source)

    sweep = pillar.sweep
    pending: set[str] = set()  # customers with a sweep request on its way
    if sweep is not None:

        @app.timer(interval=1.0, name=f"{spec.name}-sweep")  # type: ignore[untyped-decorator]
        async def sweeper() -> None:
            # Tables may be written only while processing a message of the key's partition:
            # the timer finds the customers with something due and sends each a sweep request
            # through the by-customer topic; the agent applies it there.
            now = watermark[0]
            for customer, stored in list(table.items()):
                state = split_seen(stored)[0]
                if state is None or customer in pending or not sweep(state, now, config)[1]:
                    continue
                pending.add(customer)
                doc = {"kind": SWEEP, "customer_id": customer, "watermark": now}
                await by_customer.send(key=customer.encode(), value=doc)


SWEEP = "sweep"  # a sweep request on a pillar's by-customer topic


SEEN = "_seen"  # in a customer's stored state: the summaries (`summary_id`) it applied
SEEN_KEEP = 32  # per customer; a replay reaches back a few messages, not a customer's history


def summary_id(doc: Mapping[str, Any]) -> str:
    """What tells one summary from a replay of it: its contact and time. Not the contact id
    alone: a re-opened contact (a ticket) legitimately sends a second, later summary."""
    contact_id = doc.get("contact_id")
    return f"{contact_id}@{doc.get('ts')}" if contact_id else ""


def split_seen(stored: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[str]]:
    """The pillar's own state (what its code sees) and the summaries already applied."""
    if stored is None or SEEN not in stored:
        return stored, []
    state = {k: v for k, v in stored.items() if k != SEEN}
    return state, list(stored[SEEN])


def with_seen(state: dict[str, Any] | None, seen: list[str], source: str) -> dict[str, Any] | None:
    """The state to store: the pillar's, plus the newest applied summary ids. None (nothing
    to keep) stays None: a later replay of that summary then starts afresh."""
    if state is None:
        return None
    ids = [*seen, source][-SEEN_KEEP:] if source else seen
    return {**state, SEEN: ids} if ids else state


def identified(signals: list[Signal], source: str) -> list[Signal]:
    """Give each signal from one summary (`summary_id`) an id the measures buckets dedupe on;
    a sweep's signals (no summary) keep none and are deduped by source offset only."""
    if not source:
        return signals
    return [replace(sig, ident=f"{source}:{n}") for n, sig in enumerate(signals)]


def _store(table: Any, key: str, state: dict[str, Any] | None) -> None:
    if state is None:
        if key in table:
            del table[key]
    else:
        table[key] = state
