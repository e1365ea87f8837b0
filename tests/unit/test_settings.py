"""Settings from PILLARWATCH_*: defaults, and a bad value names the variable and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pillarwatch.streams.app import broker_options, create_app
from pillarwatch.streams.settings import Settings, SettingsError, ensure_data_dir
from pillarwatch.streams.topics import _raise_on_refusal


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
        ("PILLARWATCH_CHANGELOG_CACHE_KEYS", "-1", "within 0..1000000"),
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


def test_default_data_dir_is_absolute_under_the_state_directory(tmp_path: Path) -> None:
    # Before: var/pillarwatch, relative to wherever the worker was started.
    assert Settings.from_env({"HOME": str(tmp_path)}).data_dir == (
        tmp_path / ".local" / "state" / "pillarwatch"
    )
    xdg = tmp_path / "state"
    assert Settings.from_env({"XDG_STATE_HOME": str(xdg)}).data_dir == xdg / "pillarwatch"
    # A relative XDG_STATE_HOME is to be ignored (XDG base directory spec).
    assert Settings.from_env({"XDG_STATE_HOME": "rel", "HOME": str(tmp_path)}).data_dir == (
        tmp_path / ".local" / "state" / "pillarwatch"
    )
    assert Settings.from_env({"PILLARWATCH_DATA_DIR": "here"}).data_dir.is_absolute()


def test_ensure_data_dir_creates_parents_and_names_the_variable(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    assert ensure_data_dir(deep).is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(SettingsError, match="PILLARWATCH_DATA_DIR"):
        ensure_data_dir(tmp_path / "file" / "state")


def test_replication_factor_and_min_isr() -> None:
    default = Settings.from_env({})
    assert (default.replication_factor, default.min_isr) == (1, 1)
    prod = Settings.from_env({"PILLARWATCH_REPLICATION_FACTOR": "3"})
    assert (prod.replication_factor, prod.min_isr) == (3, 2)
    assert prod.topic_configs() == {"min.insync.replicas": "2"}
    assert broker_options(prod)["topic_replication_factor"] == 3
    with pytest.raises(SettingsError, match="PILLARWATCH_MIN_INSYNC_REPLICAS=3 exceeds"):
        Settings.from_env(
            {"PILLARWATCH_REPLICATION_FACTOR": "2", "PILLARWATCH_MIN_INSYNC_REPLICAS": "3"}
        )
    with pytest.raises(SettingsError, match="PILLARWATCH_REPLICATION_FACTOR"):
        Settings.from_env({"PILLARWATCH_REPLICATION_FACTOR": "0"})


def test_a_refused_topic_creation_names_the_settings() -> None:
    # aiokafka returns per-topic error codes rather than raising; 38 = bad replication factor.
    response = {
        "topic_errors": [
            {"topic": "contact-events", "error_code": 38, "error_message": "RF 3 > 1 broker"}
        ]
    }
    with pytest.raises(SettingsError) as err:
        _raise_on_refusal(response, Settings.from_env({"PILLARWATCH_REPLICATION_FACTOR": "3"}))
    assert "replication factor" in str(err.value)
    assert "PILLARWATCH_REPLICATION_FACTOR=3" in str(err.value)
    _raise_on_refusal({"topic_errors": [{"topic": "t", "error_code": 36}]}, Settings())


def test_faust_web_serves_no_table_router_or_stats_pages() -> None:
    app = create_app(Settings.from_env({}))
    conf = app.conf
    assert not (
        conf.web_tables_enabled
        or conf.web_router_enabled
        or conf.web_stats_enabled
        or conf.web_graph_enabled
    )
    assert conf.web_bind == "127.0.0.1"
