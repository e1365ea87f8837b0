"""Every agent module keeps the contract (streams/agents/_contract.py); a broken one fails it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pillarwatch.models.catalogue import CATALOGUE, MetricSpec
from pillarwatch.streams.agents import discover
from pillarwatch.streams.agents._contract import (
    collect_alert_rules,
    collect_panels,
    pillars,
    problems,
)
from tests.fixtures.broken_agent import leaky

MODULES = discover()


def test_discovery_finds_every_agent_without_a_list() -> None:
    names = {m.__name__.rsplit(".", 1)[-1] for m in MODULES}
    pillar_agents = {"integrity", "expectations", "personalisation", "empathy"}
    assert {"contacts", "measures", "journeys"} | pillar_agents <= names
    assert set(pillars()) >= pillar_agents


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_module_keeps_the_contract(module: object) -> None:
    assert problems(module) == []  # type: ignore[arg-type]


def test_the_broken_fixture_fails_for_every_reason() -> None:
    found = problems(leaky)
    text = "\n".join(found)
    for reason in (
        "no module docstring",
        "pillarwatch_customer_names_total is not in models/catalogue.py",
        "creates table 'leaky-everything' not declared",
        "table 'leaky-declared' declares no bound",
        "no test file tests/streams/test_leaky_agent.py",
        "pages but has no runbook_url",
    ):
        assert reason in text, f"{reason!r} not in {found}"


def test_a_label_outside_the_allowed_set_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from pillarwatch.models import catalogue

    bad = MetricSpec("pillarwatch_by_customer_ratio", "gauge", ("customer_id",), "no")
    monkeypatch.setattr(catalogue, "CATALOGUE", (*CATALOGUE, bad))
    import pillarwatch.streams.agents._contract as contract

    monkeypatch.setattr(contract, "CATALOGUE", (*CATALOGUE, bad))
    spec = leaky.SPEC.__class__(name="leaky", consumes="summaries", metrics=(bad.name,))
    monkeypatch.setattr(leaky, "SPEC", spec)
    assert any("labels outside ALLOWED_LABELS: ['customer_id']" in p for p in problems(leaky))


def test_panels_are_collected_from_the_modules() -> None:
    panels = collect_panels()
    agents = {p["agent"] for p in panels}
    assert {"integrity", "expectations", "personalisation", "empathy"} <= agents
    assert all(p["title"] and "pillarwatch_" in p["expr"] for p in panels)
    assert collect_panels([leaky]) == []  # a module without PANELS contributes none


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
