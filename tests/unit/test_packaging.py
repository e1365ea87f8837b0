"""Packaging: optional libraries only in the extras that need them, pinned tool ranges."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
OPTIONAL = {"grafana_foundation_sdk", "grafana_client", "niquests"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower()


def test_dashboard_and_yaml_libraries_are_not_runtime_dependencies() -> None:
    runtime = {_name(r) for r in PROJECT["dependencies"]}
    assert not runtime & {"grafana-foundation-sdk", "grafana-client", "niquests", "pyyaml"}
    dashboards = {_name(r) for r in PROJECT["optional-dependencies"]["dashboards"]}
    assert {"grafana-foundation-sdk", "grafana-client", "niquests"} <= dashboards


def test_runtime_commands_import_none_of_the_optional_libraries() -> None:
    # What the worker image runs: the worker, the simulator, the receiver, the CLI itself.
    code = (
        "import sys\n"
        "import pillarwatch.cli, pillarwatch.worker, pillarwatch.produce, pillarwatch.demo\n"
        "import pillarwatch.ingest.cli, pillarwatch.streams.app, pillarwatch.alertmanager_config\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(OPTIONAL)!r})))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_only_the_backtest_extra_imports_yaml() -> None:
    # (Faust imports yaml itself when it happens to be installed; it does not need it.) The
    # backtest reads and writes Prometheus rule files, so its extra carries pyyaml.
    shipped = [ROOT / d for d in ("pillarwatch", "streams", "models", "dashboards")]
    backtest = ROOT / "pillarwatch" / "backtest"
    offenders = [
        path
        for directory in shipped
        for path in directory.rglob("*.py")
        if not path.is_symlink()
        and backtest not in path.parents
        and re.search(r"(?m)^\s*(import|from) yaml\b", path.read_text())
    ]
    assert offenders == []
    extra = {_name(r) for r in PROJECT["optional-dependencies"]["backtest"]}
    assert "pyyaml" in extra


def test_a_missing_extra_is_named() -> None:
    code = (
        "import sys\n"
        "sys.modules['grafana_foundation_sdk'] = None  # as if the extra were not installed\n"
        "from pillarwatch.cli import main\n"
        "sys.exit(main(['dashboards', 'build']))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 2
    assert "pip install 'pillarwatch[dashboards]'" in run.stderr
    assert "Traceback" not in run.stderr


def test_lint_and_type_checkers_have_upper_bounds() -> None:
    dev = {_name(r): r for r in PROJECT["optional-dependencies"]["dev"]}
    for tool in ("ruff", "mypy"):
        assert "<" in dev[tool], f"{tool} needs an upper bound: {dev[tool]}"
