"""The alert and recording rules: valid for promtool, every alert unit-tested (fires and stays
silent), labelled and annotated for on-call, pointing at a runbook that exists, and using only
metrics that something exports; the Alertmanager template renders to a config amtool accepts
and routes by severity."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pillarwatch.alertmanager_config import RECEIVER_VARIABLES, RenderError, render
from pillarwatch.dashboards.promql import metric_names
from tests.unit.known_metrics import ROOT, RULES_DIR, known_series, rule_groups

TESTS_DIR = ROOT / "alerts" / "tests"
RUNBOOK_BASE = "https://github.com/pillarwatch/pillarwatch/blob/main/"
AM_TEMPLATE = ROOT / "alerts" / "alertmanager.yml"
EXAMPLE_ENV = {
    "PILLARWATCH_ALERT_PAGE_URL": "http://127.0.0.1:9/page",
    "PILLARWATCH_ALERT_TICKET_URL": "https://tickets.example.org/hook",
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian packages prometheus, prometheus-alertmanager)")
    return path


def _alerts() -> list[dict[str, Any]]:
    return [r for g in rule_groups() for r in g["rules"] if "alert" in r]


def _run(
    *cmd: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_there_are_alerts_of_both_severities_and_layers() -> None:
    alerts = _alerts()
    assert {a["labels"]["severity"] for a in alerts} == {"page", "ticket"}
    assert {a["labels"]["layer"] for a in alerts} == {"business", "pipeline"}


def test_promtool_check_rules() -> None:
    promtool = _tool("promtool")
    files = sorted(str(p) for p in RULES_DIR.glob("*.yml"))
    result = _run(promtool, "check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", sorted(p.name for p in TESTS_DIR.glob("*.test.yml")))
def test_promtool_unit_tests_pass(test_file: str) -> None:
    # One file per run, so a failure names its file. The timeout only stops a hang: the
    # baselines file evaluates five weeks at a one-minute interval (about 30 s of CPU), which
    # took 146 s of wall time on this machine under a load of 8-12.
    result = _run(_tool("promtool"), "test", "rules", test_file, cwd=TESTS_DIR, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr


def _alert_cases() -> list[dict[str, Any]]:
    cases = []
    for path in TESTS_DIR.glob("*.test.yml"):
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    cases = _alert_cases()
    fired = {c["alertname"] for c in cases if c.get("exp_alerts")}
    silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    names = {a["alert"] for a in _alerts()}
    assert names - fired == set(), "alerts without a test that they fire"
    assert names - silent == set(), "alerts without a near-miss test that they stay silent"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda a: str(a["alert"]))
def test_alert_labels_annotations_and_runbook(alert: dict[str, Any]) -> None:
    labels, notes = alert["labels"], alert["annotations"]
    assert labels["severity"] in ("page", "ticket")
    assert labels["layer"] in ("business", "pipeline")
    assert notes["summary"].strip()
    # The description carries the numbers: the alert's value or a queried one.
    assert re.search(r"\{\{[^}]*(\$value|query)", notes["description"])
    url = notes["runbook_url"]
    assert url == f"{RUNBOOK_BASE}docs/runbooks/{alert['alert']}.md"
    runbook = ROOT / url.removeprefix(RUNBOOK_BASE)
    assert runbook.is_file(), f"missing runbook {runbook}"
    text = runbook.read_text(encoding="utf-8")
    for section in ("## What it means", "## What to check", "## What to do"):
        assert section in text, f"{runbook.name} lacks {section!r}"


def test_every_metric_in_a_rule_is_exported_or_recorded() -> None:
    known = known_series()
    unknown = {
        (rule.get("alert") or rule["record"], name)
        for group in rule_groups()
        for rule in group["rules"]
        for name in metric_names(rule["expr"])
        if name not in known
    }
    assert unknown == set()


def _recorded_twice(groups: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Recording rules that write the same series (name and static labels) as another."""
    seen: dict[tuple[str, str], int] = {}
    for group in groups:
        for rule in group["rules"]:
            if "record" in rule:
                key = (rule["record"], repr(sorted((rule.get("labels") or {}).items())))
                seen[key] = seen.get(key, 0) + 1
    return sorted(k for k, n in seen.items() if n > 1)


def test_no_series_is_recorded_by_two_rules() -> None:
    # Two rules writing one series make it alternate between their values from one
    # evaluation to the next (their groups run at different offsets) whenever they disagree.
    assert _recorded_twice(rule_groups()) == []


def test_the_double_record_check_can_fail() -> None:
    rule = {"record": "queue:x:ratio", "expr": "vector(1)"}
    assert _recorded_twice([{"rules": [rule]}, {"rules": [rule]}]) == [("queue:x:ratio", "[]")]
    other = {**rule, "labels": {"queue": "vip"}}
    assert _recorded_twice([{"rules": [rule, other]}]) == []


def test_metric_check_would_catch_a_typo() -> None:
    assert metric_names("sum(rate(pillarwatch_event_total[5m]))") - known_series() == {
        "pillarwatch_event_total"
    }


def test_rendered_alertmanager_config_passes_amtool(tmp_path: Path) -> None:
    amtool = _tool("amtool")
    config = tmp_path / "alertmanager.yml"
    config.write_text(render(AM_TEMPLATE.read_text(encoding="utf-8"), EXAMPLE_ENV))
    result = _run(amtool, "check-config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 inhibit rules" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=page", "queue=sales", "layer=business"], "page"),
        (["severity=ticket", "queue=sales", "layer=business"], "ticket"),
        (["severity=page", "layer=pipeline"], "page"),
        (["alertname=Unlabelled"], "ticket"),
    ],
)
def test_alertmanager_routes_by_severity(tmp_path: Path, labels: list[str], receiver: str) -> None:
    amtool = _tool("amtool")
    config = tmp_path / "alertmanager.yml"
    config.write_text(render(AM_TEMPLATE.read_text(encoding="utf-8"), EXAMPLE_ENV))
    result = _run(amtool, "config", "routes", "test", f"--config.file={config}", *labels)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [receiver]


def test_unrendered_template_is_not_a_valid_config() -> None:
    # Guards against deploying the template as it is: Alertmanager would reject it.
    amtool = _tool("amtool")
    result = _run(amtool, "check-config", str(AM_TEMPLATE))
    assert result.returncode != 0


def test_render_fills_every_receiver_url() -> None:
    text = render(AM_TEMPLATE.read_text(encoding="utf-8"), EXAMPLE_ENV)
    assert "${" not in text
    urls = [
        c["url"] for r in yaml.safe_load(text)["receivers"] for c in r.get("webhook_configs", [])
    ]
    assert sorted(urls) == sorted(EXAMPLE_ENV.values())


@pytest.mark.parametrize("missing", RECEIVER_VARIABLES)
def test_render_names_a_missing_variable(missing: str) -> None:
    env = {k: v for k, v in EXAMPLE_ENV.items() if k != missing}
    with pytest.raises(RenderError, match=missing):
        render(AM_TEMPLATE.read_text(encoding="utf-8"), env)


def test_render_rejects_a_non_url_without_echoing_it() -> None:
    env = {**EXAMPLE_ENV, "PILLARWATCH_ALERT_PAGE_URL": "secret-token-not-a-url"}
    with pytest.raises(RenderError) as info:
        render(AM_TEMPLATE.read_text(encoding="utf-8"), env)
    assert "PILLARWATCH_ALERT_PAGE_URL" in str(info.value)
    assert "secret-token" not in str(info.value)


def test_agent_alert_rules_file_is_current() -> None:
    """alerts/rules/agents.rules.yml is what the pillars declare (`make dashboards`)."""
    from pillarwatch.dashboards.collect import collect_alert_rules

    committed = (Path(__file__).parents[2] / "alerts" / "rules" / "agents.rules.yml").read_text()
    assert committed == collect_alert_rules()
