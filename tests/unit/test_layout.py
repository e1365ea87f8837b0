"""The layout docs/architecture.md describes: one installed namespace and its import rules.

- the installed distribution provides no top-level package but `pillarwatch`;
- `pillarwatch.models` imports nothing from streams, dashboards or the CLI, nor Faust;
- `pillarwatch.dashboards` imports nothing from streams, nor Faust: dashboards and alert rules
  build from the pillar declarations alone (checked by importing them with Faust blocked).
"""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# package -> module prefixes it must not import (its own subpackages are fine)
FORBIDDEN = {
    "models": (
        "pillarwatch.streams",
        "pillarwatch.dashboards",
        "pillarwatch.ingest",
        "pillarwatch.cli",
        "faust",
        "aiokafka",
        "grafana_foundation_sdk",
    ),
    "dashboards": ("pillarwatch.streams", "pillarwatch.ingest", "faust", "aiokafka"),
    "streams": ("pillarwatch.dashboards", "pillarwatch.ingest", "pillarwatch.cli"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, anywhere in it (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def broken_rules(package: str) -> list[str]:
    out = []
    for path in sorted((REPO / package).rglob("*.py")):
        for module in sorted(imported_modules(path)):
            for prefix in FORBIDDEN[package]:
                if module == prefix or module.startswith(prefix + "."):
                    out.append(f"{path.relative_to(REPO)} imports {module}")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_rules(package: str) -> None:
    assert broken_rules(package) == []


def test_the_import_rule_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import faust.types\n")
    assert "faust.types" in imported_modules(bad)


def _top_level(files: list[str]) -> set[str]:
    """Top-level importable names among a distribution's files (metadata and the editable
    install's own hook files aside)."""
    names = set()
    for name in files:
        first = name.split("/", 1)[0]
        if first.endswith((".dist-info", ".egg-info")) or first.startswith("__editable__"):
            continue
        if "/" in name or name.endswith((".py", ".pth", ".so")):
            names.add(first.removesuffix(".py"))
    return names


def test_the_distribution_installs_only_the_pillarwatch_package() -> None:
    dist = importlib.metadata.distribution("pillarwatch")
    files = [str(f) for f in dist.files or []]
    assert files, "no file list in the installed distribution's metadata"
    assert _top_level(files) <= {"pillarwatch"}, sorted(_top_level(files))
    declared = (dist.read_text("top_level.txt") or "pillarwatch").split()
    assert declared == ["pillarwatch"]
    assert _top_level(["models/x.py", "pillarwatch/a.py"]) == {"models", "pillarwatch"}


def test_dashboards_and_alert_rules_build_without_faust() -> None:
    code = (
        "import sys\n"
        "for name in ('faust', 'aiokafka', 'mode'):\n"
        "    sys.modules[name] = None  # any import of them raises ImportError\n"
        "from pillarwatch.dashboards.collect import collect_alert_rules\n"
        "from pillarwatch.dashboards.render import render_all\n"
        "from pillarwatch.dashboards.targets import WallboardTargets\n"
        "assert 'pillarwatch-pillars' in render_all(WallboardTargets())\n"
        "assert 'PillarwatchCallbacksBroken' in collect_alert_rules()\n"
        "assert not any(m.startswith('pillarwatch.streams') for m in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
