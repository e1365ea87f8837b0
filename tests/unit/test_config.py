"""Targets per queue and segment from TOML; a bad file names the file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from pillarwatch.models.config import ConfigError, Targets
from pillarwatch.models.config import load_config as load
from pillarwatch.models.pillars import registry, resolution


def load_config(path: Path) -> object:
    return load(path, registry())


GOOD = """
[defaults]
service_level_seconds = 30

[segments.business]
service_level_seconds = 10

[queues.billing]
short_abandon_seconds = 3
[queues.billing.segments.business]
service_level_goal = 0.9

[weights.time_effort]
transfers = 0.0

[scoring]
min_contacts = 20
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pillarwatch.toml"
    path.write_text(text)
    return path


def test_precedence_defaults_queue_segment_queue_segment(tmp_path: Path) -> None:
    c = load_config(write(tmp_path, GOOD))
    assert c.targets("sales") == Targets(service_level_seconds=30)
    assert c.targets("sales", "business").service_level_seconds == 10
    assert c.targets("billing").short_abandon_seconds == 3
    assert c.targets("billing", "business") == Targets(
        service_level_seconds=10, short_abandon_seconds=3, service_level_goal=0.9
    )
    assert c.weights["time_effort"]["transfers"] == 0.0 and c.min_contacts == 20


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[defaults]\nservice_level_seconds = 'fast'", "defaults.service_level_seconds: expected"),
        ("[defaults]\nservice_level_goal = 1.5", "defaults.service_level_goal: 1.5 outside"),
        ("[queues.x]\nsla = 3", "queues.x.sla: unknown key"),
        ("[weights.kindness]\nx = 1", "weights.kindness: unknown pillar"),
        (
            "[weights.resolution]\n" + "\n".join(f"{c} = 0" for c in resolution.WEIGHTS),
            "at least one",
        ),
        ("[scoring]\nmin_contacts = 0", "scoring.min_contacts"),
        ("defaults = [", "not valid TOML"),
    ],
)
def test_bad_config_names_file_key_and_reason(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and fragment in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_example_config_is_valid() -> None:
    example = Path(__file__).parents[2] / "docs" / "pillarwatch.example.toml"
    config = load_config(example)
    assert config.targets("business-support", "business").service_level_seconds < 20
