"""Settings from PILLARWATCH_*: defaults, and a bad value names the variable and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pillarwatch.streams.settings import Settings, SettingsError


def test_defaults_listen_on_loopback() -> None:
    s = Settings.from_env({})
    assert (s.web_host, s.web_port, s.topic, s.store) == (
        "127.0.0.1",
        6066,
        "contact-events",
        "memory://",
    )
    assert s.dlq_topic == "contact-events.dlq"


def test_values_are_read() -> None:
    s = Settings.from_env(
        {
            "PILLARWATCH_BROKER": "kafka://k1:9092;kafka://k2:9092",
            "PILLARWATCH_TOPIC": "calls",
            "PILLARWATCH_WEB_PORT": "7000",
            "PILLARWATCH_STORE": "rocksdb://",
        }
    )
    assert (s.broker, s.topic, s.web_port, s.store, s.dlq_topic) == (
        "kafka://k1:9092;kafka://k2:9092",
        "calls",
        7000,
        "rocksdb://",
        "calls.dlq",
    )


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("PILLARWATCH_WEB_PORT", "http", "expected a whole number"),
        ("PILLARWATCH_WEB_PORT", "70000", "within 1..65535"),
        ("PILLARWATCH_BROKER", "localhost:9092", "expected kafka://host:port"),
        ("PILLARWATCH_STORE", "redis://", "use memory:// or rocksdb://"),
        ("PILLARWATCH_TOPIC", " ", "is empty"),
        ("PILLARWATCH_LOG_LEVEL", "loud", "use debug"),
        ("PILLARWATCH_CONFIG", "/nonexistent/pw.toml", "file not found"),
    ],
)
def test_bad_value_names_variable(var: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({var: value})
    assert var in str(err.value) and fragment in str(err.value)


def test_bad_config_file_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[defaults]\nservice_level_seconds = -1\n")
    with pytest.raises(SettingsError, match=r"PILLARWATCH_CONFIG: .*bad.toml.*service_level"):
        Settings.from_env({"PILLARWATCH_CONFIG": str(path)})
