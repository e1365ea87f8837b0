"""nan and inf in the TOML config stop start-up with the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pillarwatch.models.config import ConfigError, load_config
from pillarwatch.models.pillars import registry
from pillarwatch.streams.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[weights.time_effort]\nservice_level = nan\n", "weights.time_effort.service_level"),
        ("[weights.resolution]\ncsat = inf\n", "weights.resolution.csat"),
        ("[weights.resolution]\ncsat = +inf\n", "weights.resolution.csat"),
        ("[defaults]\nservice_level_goal = nan\n", "defaults.service_level_goal"),
        ("[queues.sales]\nabandon_ceiling = -inf\n", "queues.sales.abandon_ceiling"),
        ("[scoring]\nlateness_seconds = nan\n", "scoring.lateness_seconds"),
        ("[scoring]\ncontact_timeout_seconds = inf\n", "scoring.contact_timeout_seconds"),
    ],
)
def test_non_finite_values_are_refused(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "pillarwatch.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(path, registry())
    message = str(err.value)
    assert str(path) in message and key in message and "finite" in message


def test_nan_weight_stops_the_worker_settings(tmp_path: Path) -> None:
    # Before: accepted, and every time_effort score became 0 (nan weight -> nan sum -> 0).
    path = tmp_path / "pillarwatch.toml"
    path.write_text("[weights.time_effort]\nabandonment = nan\n")
    with pytest.raises(SettingsError, match=r"PILLARWATCH_CONFIG: .*abandonment.*finite"):
        Settings.from_env({"PILLARWATCH_CONFIG": str(path)})


def test_finite_values_still_load(tmp_path: Path) -> None:
    path = tmp_path / "pillarwatch.toml"
    path.write_text(
        "[weights.time_effort]\nabandonment = 0.3\n[defaults]\nservice_level_goal = 1\n"
    )
    config = load_config(path, registry())
    assert config.weights["time_effort"]["abandonment"] == 0.3
    assert config.defaults.service_level_goal == 1.0
