"""Every agent module and every pillar keeps the contract; a broken one fails it.

The code part of an agent's contract is `pillarwatch.streams.spec.spec_problems`; the checks
that read the repository (a test file each, metrics described in docs/metrics.md, runbooks)
are here. Pillars (models/pillars) are held to the same rules: a metric the catalogue knows,
described in the docs, a test file, panels that query the pillar's own metrics and paging
alerts with a runbook. docs/adding-an-agent.md is the checklist these enforce.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pillarwatch.dashboards.collect import collect_alert_rules, collect_panels
from pillarwatch.models.catalogue import ALLOWED_LABELS, CATALOGUE, MetricSpec
from pillarwatch.models.pillars import AnyPillar, Pillar, registry
from pillarwatch.streams import spec as spec_module
from pillarwatch.streams.agents import discover
from pillarwatch.streams.spec import AgentSpec, spec_problems
from tests.fixtures import broken_pillar
from tests.fixtures.broken_agent import leaky

REPO = Path(__file__).resolve().parents[2]
MODULES = discover()
PILLARS = registry()
SCORES = ("pillarwatch_pillar_score", "pillarwatch_pillar_component_score")


def _described(metric: str, docs: str) -> bool:
    return re.search(rf"`{re.escape(metric)}[`{{]", docs) is not None


def agent_problems(module: ModuleType, repo: Path = REPO) -> list[str]:
    """`spec_problems`, plus a test file and the metrics described in docs/metrics.md."""
    name = module.__name__.rsplit(".", 1)[-1]
    out = spec_problems(module)
    if not (repo / "tests" / "streams" / f"test_{name}_agent.py").is_file():
        out.append(f"{name}: no test file tests/streams/test_{name}_agent.py")
    docs = (repo / "docs" / "metrics.md").read_text(encoding="utf-8")
    spec = getattr(module, "SPEC", None)
    for metric in spec.metrics if isinstance(spec, AgentSpec) else ():
        if not _described(metric, docs):
            out.append(f"{name}: metric {metric} is not described in docs/metrics.md")
    return out


def pillar_problems(pillar: AnyPillar, repo: Path = REPO) -> list[str]:
    """Every way a pillar declaration breaks the contract; [] when it keeps it."""
    name = pillar.name
    out: list[str] = []
    if not pillar.weights or min(pillar.weights.values()) < 0 or sum(pillar.weights.values()) <= 0:
        out.append(f"{name}: weights must be >= 0 and at least one > 0")
    docs = (repo / "docs" / "metrics.md").read_text(encoding="utf-8")
    if f'pillar="{name}"' not in docs:
        out.append(f"{name}: pillar {name} is not described in docs/metrics.md")
    metrics: tuple[str, ...] = SCORES
    if isinstance(pillar, Pillar):
        metrics = (*pillar.metrics, *SCORES)
        catalogue = {m.name: m for m in CATALOGUE}
        for metric in pillar.metrics:
            found = catalogue.get(metric)
            if found is None:
                out.append(f"{name}: metric {metric} is not in models/catalogue.py")
            elif set(found.labels) - ALLOWED_LABELS:
                bad = sorted(set(found.labels) - ALLOWED_LABELS)
                out.append(f"{name}: metric {metric} has labels outside ALLOWED_LABELS: {bad}")
            if not _described(metric, docs):
                out.append(f"{name}: metric {metric} is not described in docs/metrics.md")
        if pillar.keyed_by == "customer" and not pillar.state_bound.strip():
            out.append(f"{name}: keyed by customer but declares no state_bound")
        if pillar.sweep is not None and pillar.keyed_by != "customer":
            out.append(f"{name}: a sweep needs state: only a customer-keyed pillar may have one")
        test = repo / "tests" / "streams" / f"test_{name}_pillar.py"
        if not test.is_file():
            out.append(f"{name}: no test file tests/streams/test_{name}_pillar.py")
    for panel in pillar.panels:
        out += [f"{name}: panels: {p}" for p in _panel_problems(panel, metrics)]
    for rule in pillar.alerts:
        out += [f"{name}: alerts: {p}" for p in _alert_problems(rule, metrics, repo)]
    return out


def _panel_problems(panel: Any, metrics: tuple[str, ...]) -> list[str]:
    if not {"title", "expr"} <= set(panel):
        return ["each panel has at least 'title' and 'expr'"]
    if not any(m in panel["expr"] for m in metrics):
        return [f"panel {panel['title']!r} queries none of the pillar's metrics"]
    return []


def _alert_problems(rule: Any, metrics: tuple[str, ...], repo: Path) -> list[str]:
    if not {"alert", "expr", "for"} <= set(rule):
        return ["each alert has at least 'alert', 'expr' and 'for'"]
    out = []
    if not any(m in rule["expr"] for m in metrics):
        out.append(f"alert {rule['alert']!r} queries none of the pillar's metrics")
    runbook = rule.get("annotations", {}).get("runbook_url", "")
    if rule.get("labels", {}).get("severity") == "page" and not runbook:
        out.append(f"alert {rule['alert']!r} pages but has no runbook_url annotation")
    if runbook and not (repo / "docs" / "runbooks" / f"{rule['alert']}.md").is_file():
        out.append(f"alert {rule['alert']!r}: no docs/runbooks/{rule['alert']}.md")
    return out


def test_discovery_finds_every_agent_and_pillar_without_a_list() -> None:
    assert {m.__name__.rsplit(".", 1)[-1] for m in MODULES} >= {"contacts", "measures", "customers"}
    assert set(PILLARS) >= {
        "time_effort",
        "resolution",
        "integrity",
        "expectations",
        "personalisation",
        "empathy",
    }


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_module_keeps_the_contract(module: ModuleType) -> None:
    assert agent_problems(module) == []


@pytest.mark.parametrize("pillar", list(PILLARS.values()), ids=lambda p: p.name)
def test_pillar_keeps_the_contract(pillar: AnyPillar) -> None:
    assert pillar_problems(pillar) == []


def test_the_broken_fixtures_fail_for_every_reason() -> None:
    found = agent_problems(leaky) + pillar_problems(broken_pillar.PILLAR)
    text = "\n".join(found)
    for reason in (
        "no module docstring",
        "pillarwatch_customer_names_total is not in models/catalogue.py",
        "creates table 'leaky-everything' not declared",
        "table 'leaky-declared' declares no bound",
        "no test file tests/streams/test_leaky_agent.py",
        "iterates the stream itself; use handle_each",
        "leaky_pillar: metric pillarwatch_customer_names_total is not in models/catalogue.py",
        "keyed by customer but declares no state_bound",
        "no test file tests/streams/test_leaky_pillar_pillar.py",
        "panel 'Everything' queries none of the pillar's metrics",
        "pages but has no runbook_url",
        "pillar leaky_pillar is not described in docs/metrics.md",
    ):
        assert reason in text, f"{reason!r} not in {found}"


def test_a_label_outside_the_allowed_set_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = MetricSpec("pillarwatch_by_customer_ratio", "gauge", ("customer_id",), "no")
    monkeypatch.setattr(spec_module, "CATALOGUE", (*CATALOGUE, bad))
    monkeypatch.setattr(leaky, "SPEC", AgentSpec("leaky", "summaries", metrics=(bad.name,)))
    assert any("labels outside ALLOWED_LABELS: ['customer_id']" in p for p in agent_problems(leaky))


def test_panels_are_collected_from_the_pillars() -> None:
    panels = collect_panels()
    assert {p["agent"] for p in panels} >= {"integrity", "expectations", "personalisation"}
    assert all(p["title"] and "pillarwatch_" in p["expr"] for p in panels)
    assert collect_panels({"leaky_pillar": broken_pillar.PILLAR})[0]["agent"] == "leaky_pillar"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_collected_alert_rules_pass_promtool(tmp_path: Path) -> None:
    text = collect_alert_rules()
    groups = json.loads(text)["groups"]
    assert {g["name"] for g in groups} >= {"pillarwatch-agent-integrity"}
    path = tmp_path / "agents.rules.yml"
    path.write_text(text)
    done = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.rules.yml"
    bad.write_text(text.replace("< 0.8", "< < 0.8"))
    refused = subprocess.run(["promtool", "check", "rules", str(bad)], capture_output=True)
    assert refused.returncode != 0
