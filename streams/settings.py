"""The one settings object, read from PILLARWATCH_* environment variables.

Each field documents its variable. `Settings.from_env()` validates everything up front: a bad
value raises SettingsError naming the variable and the fix, so the worker never starts half-set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pillarwatch.models.config import Config, ConfigError, load_config
from pillarwatch.models.pillars import registry

__all__ = [
    "Settings",
    "SettingsError",
    "check_broker_url",
    "default_data_dir",
    "ensure_data_dir",
]


class SettingsError(ValueError):
    """A bad environment value; the message names the variable and how to fix it."""


@dataclass(frozen=True)
class Settings:
    #: PILLARWATCH_BROKER: Kafka bootstrap URL, e.g. ``kafka://host:9092`` (several: ``;``).
    broker: str = "kafka://127.0.0.1:9092"
    #: PILLARWATCH_TOPIC: the input topic of schema-v1 events (key: contact id).
    topic: str = "contact-events"
    #: PILLARWATCH_SUMMARIES_TOPIC: contact outcomes and summaries between the agents.
    summaries_topic: str = "contact-summaries"
    #: PILLARWATCH_WEB_HOST: the address /metrics listens on. 127.0.0.1 unless you mean it.
    web_host: str = "127.0.0.1"
    #: PILLARWATCH_WEB_PORT: the port /metrics listens on.
    web_port: int = 6066
    #: PILLARWATCH_STORE: table store, ``memory://`` or ``rocksdb://``.
    store: str = "memory://"
    #: PILLARWATCH_CONFIG: TOML file with targets and weights (docs/configuration.md).
    config_path: Path | None = None
    #: PILLARWATCH_PARTITIONS: partitions of the topics pillarwatch creates.
    partitions: int = 8
    #: PILLARWATCH_APP_ID: the Kafka consumer group and the prefix of internal topics.
    app_id: str = "pillarwatch"
    #: PILLARWATCH_DATA_DIR: where the worker keeps local state (RocksDB files). Default:
    #: ``$XDG_STATE_HOME/pillarwatch``, else ``~/.local/state/pillarwatch``: absolute, so
    #: `pillarwatch worker` behaves the same from any directory. Made with its parents.
    data_dir: Path = field(default_factory=lambda: default_data_dir(os.environ))
    #: PILLARWATCH_REPLICATION_FACTOR: replicas of every topic pillarwatch (and Faust for its
    #: changelogs) creates. 1 suits the embedded broker and a one-broker compose stack;
    #: production clusters want 3 (docs/deploy.md), and managed Kafka often refuses 1.
    replication_factor: int = 1
    #: PILLARWATCH_MIN_INSYNC_REPLICAS: ``min.insync.replicas`` of those topics; default: the
    #: replication factor minus one (at least 1), so one broker may be down without stopping writes.
    min_insync_replicas: int | None = None
    #: PILLARWATCH_DEDUPE_CAPACITY: event ids remembered per worker to drop duplicates.
    dedupe_capacity: int = 200_000
    #: PILLARWATCH_CHANGELOG_CACHE_KEYS: Table writes a worker holds, the last one per key,
    #: until its next commit sends them (streams/changelog_buffer.py); more keys than this
    #: are sent at once, and 0 sends every write as it is made. More keys coalesce more writes
    #: on a busy worker and cost a little memory: with 100,000 open contacts on 8 partitions
    #: the worker's peak was 179 MB at 500 and 187 MB at 10,000 (docs/performance.md,
    #: "Session 13"; 298 MB at 10,000 before the json codec trimmed its values).
    changelog_cache_keys: int = 500
    #: PILLARWATCH_MAX_QUEUES: distinct queue label values exported; the rest fold into
    #: ``other`` (counted in pillarwatch_labels_folded_total) so a bug upstream sending ids as
    #: queue names cannot explode the number of Prometheus series.
    max_queues: int = 500
    #: PILLARWATCH_LOG_LEVEL: worker log level.
    log_level: str = "info"
    config: Config = field(default_factory=Config, compare=False)
    #: PILLARWATCH_BROKER_SASL_* / PILLARWATCH_BROKER_TLS_*: broker security, off by default
    #: (streams/kafka_security.py, docs/deploy.md). Never printed: it may hold a password.
    broker_credentials: Any = field(default=None, compare=False, repr=False)

    def kafka_client_options(self) -> dict[str, Any]:
        """aiokafka keyword arguments for the same broker security the worker uses."""
        from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

        return dict(credentials_to_aiokafka_auth(self.broker_credentials))

    @property
    def dlq_topic(self) -> str:
        return f"{self.topic}.dlq"

    @property
    def min_isr(self) -> int:
        """min.insync.replicas for the topics pillarwatch creates."""
        if self.min_insync_replicas is not None:
            return self.min_insync_replicas
        return max(1, self.replication_factor - 1)

    def topic_configs(self) -> dict[str, str]:
        """Kafka topic configs every topic pillarwatch creates gets (min.insync.replicas)."""
        return {"min.insync.replicas": str(self.min_isr)}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read PILLARWATCH_* from `env` (default os.environ); `overrides` win over both."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if "PILLARWATCH_BROKER" in env:
            values["broker"] = check_broker_url(env["PILLARWATCH_BROKER"])
        for name, var in (
            ("topic", "TOPIC"),
            ("summaries_topic", "SUMMARIES_TOPIC"),
            ("app_id", "APP_ID"),
            ("web_host", "WEB_HOST"),
        ):
            if f"PILLARWATCH_{var}" in env:
                values[name] = _nonempty(f"PILLARWATCH_{var}", env[f"PILLARWATCH_{var}"])
        if "PILLARWATCH_WEB_PORT" in env:
            values["web_port"] = _int("PILLARWATCH_WEB_PORT", env["PILLARWATCH_WEB_PORT"], 1, 65535)
        if "PILLARWATCH_PARTITIONS" in env:
            values["partitions"] = _int(
                "PILLARWATCH_PARTITIONS", env["PILLARWATCH_PARTITIONS"], 1, 1024
            )
        if "PILLARWATCH_DEDUPE_CAPACITY" in env:
            values["dedupe_capacity"] = _int(
                "PILLARWATCH_DEDUPE_CAPACITY", env["PILLARWATCH_DEDUPE_CAPACITY"], 0, 10_000_000
            )
        if "PILLARWATCH_CHANGELOG_CACHE_KEYS" in env:
            values["changelog_cache_keys"] = _int(
                "PILLARWATCH_CHANGELOG_CACHE_KEYS",
                env["PILLARWATCH_CHANGELOG_CACHE_KEYS"],
                0,
                1_000_000,
            )
        if "PILLARWATCH_MAX_QUEUES" in env:
            values["max_queues"] = _int(
                "PILLARWATCH_MAX_QUEUES", env["PILLARWATCH_MAX_QUEUES"], 1, 100_000
            )
        if "PILLARWATCH_REPLICATION_FACTOR" in env:
            values["replication_factor"] = _int(
                "PILLARWATCH_REPLICATION_FACTOR", env["PILLARWATCH_REPLICATION_FACTOR"], 1, 16
            )
        if "PILLARWATCH_MIN_INSYNC_REPLICAS" in env:
            min_isr = _int(
                "PILLARWATCH_MIN_INSYNC_REPLICAS", env["PILLARWATCH_MIN_INSYNC_REPLICAS"], 1, 16
            )
            replicas = values.get("replication_factor", 1)
            if isinstance(replicas, int) and min_isr > replicas:
                raise SettingsError(
                    f"PILLARWATCH_MIN_INSYNC_REPLICAS={min_isr} exceeds "
                    f"PILLARWATCH_REPLICATION_FACTOR={replicas}: no write could ever succeed; "
                    "set it to at most the replication factor (usually factor - 1)"
                )
            values["min_insync_replicas"] = min_isr
        if "PILLARWATCH_STORE" in env:
            values["store"] = _store(env["PILLARWATCH_STORE"])
        if "PILLARWATCH_DATA_DIR" in env:
            data_dir = _nonempty("PILLARWATCH_DATA_DIR", env["PILLARWATCH_DATA_DIR"])
            # Absolute now, so the start-up message and Faust agree whatever the cwd later is.
            values["data_dir"] = Path(data_dir).expanduser().absolute()
        else:
            values["data_dir"] = default_data_dir(env)
        if "PILLARWATCH_LOG_LEVEL" in env:
            level = env["PILLARWATCH_LOG_LEVEL"].lower()
            if level not in {"debug", "info", "warning", "error", "critical"}:
                raise SettingsError(
                    f"PILLARWATCH_LOG_LEVEL={level!r}: use debug, info, warning, error or critical"
                )
            values["log_level"] = level
        if env.get("PILLARWATCH_CONFIG"):
            values["config_path"] = Path(env["PILLARWATCH_CONFIG"])
        from pillarwatch.streams.kafka_security import broker_security_from_env

        try:
            values["broker_credentials"] = broker_security_from_env(env)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        values.update(overrides)
        path = values.get("config_path")
        try:
            values["config"] = load_config(
                path if isinstance(path, Path | str) else None, registry()
            )
        except ConfigError as exc:
            raise SettingsError(f"PILLARWATCH_CONFIG: {exc}") from None
        return cls(**values)  # type: ignore[arg-type]


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME/pillarwatch``, else ``~/.local/state/pillarwatch`` (XDG base dirs)."""
    state_home = env.get("XDG_STATE_HOME", "").strip()
    if state_home and Path(state_home).is_absolute():
        return Path(state_home) / "pillarwatch"
    home = env.get("HOME", "").strip()
    base = Path(home) if home else Path.home()
    return base / ".local" / "state" / "pillarwatch"


def ensure_data_dir(path: Path) -> Path:
    """Create the data directory with its parents; a SettingsError when that is impossible."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"PILLARWATCH_DATA_DIR={str(path)!r} cannot be created ({exc.strerror}): "
            "point it at a writable directory"
        ) from None
    return path


def _nonempty(var: str, value: str) -> str:
    if not value.strip():
        raise SettingsError(f"{var} is empty: unset it to use the default, or give a value")
    return value.strip()


def _int(var: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{var}={value!r}: expected a whole number {low}..{high}") from None
    if not low <= number <= high:
        raise SettingsError(f"{var}={number}: must be within {low}..{high}")
    return number


def check_broker_url(value: str) -> str:
    value = _nonempty("PILLARWATCH_BROKER", value)
    for url in value.split(";"):
        scheme, sep, rest = url.partition("://")
        host, colon, port = rest.rpartition(":")
        if not sep or scheme not in {"kafka", "aiokafka"} or not colon or not port.isdigit():
            raise SettingsError(
                f"PILLARWATCH_BROKER={value!r}: expected kafka://host:port "
                "(several separated by ';'), e.g. kafka://127.0.0.1:9092"
            )
        del host
    return value


def _store(value: str) -> str:
    value = _nonempty("PILLARWATCH_STORE", value)
    if value not in {"memory://", "rocksdb://"}:
        raise SettingsError(f"PILLARWATCH_STORE={value!r}: use memory:// or rocksdb://")
    return value
