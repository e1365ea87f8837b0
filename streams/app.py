"""The Faust app factory: `create_app(settings)` builds the app, its topics and its agents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from prometheus_client import CollectorRegistry

from pillarwatch.streams.agents import install_all
from pillarwatch.streams.clock import StreamClock
from pillarwatch.streams.metrics import Metrics, ScrapeCollector, partition_gauges
from pillarwatch.streams.readiness import install_readiness
from pillarwatch.streams.rocksdb_options import table_options
from pillarwatch.streams.sensor import setup_sensor
from pillarwatch.streams.settings import Settings

__all__ = ["PillarwatchApp", "broker_options", "create_app"]


class PillarwatchApp(faust.App):
    """A Faust app that carries pillarwatch's settings, registry and metrics for its agents."""

    settings: Settings
    registry: CollectorRegistry
    metrics: Metrics
    clock: StreamClock

    def Table(self, name: str, **kwargs: Any) -> Any:
        """Faust's Table, with RocksDB options sized for a container (ignored in memory)."""
        kwargs.setdefault("options", table_options())
        return super().Table(name, **kwargs)

    def rekey_topic(self, suffix: str, value_serializer: str) -> Any:
        """An internal topic `<app id>-<suffix>`, co-partitioned with the input, that a stream
        is re-keyed onto (by contact, by customer) so one worker sees all of a key's messages."""
        return self.topic(
            f"{self.settings.app_id}-{suffix}",
            key_serializer="raw",
            value_serializer=value_serializer,
            partitions=self.settings.partitions,
            internal=True,
        )


def broker_options(settings: Settings) -> dict[str, Any]:
    """Broker, consumer and topic options shared by every Faust app here (the bench's too)."""
    return {
        "broker": settings.broker,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": 1,
        # Join quickly: the embedded broker takes session_timeout/2 per group join.
        "broker_session_timeout": 10,
        "broker_heartbeat_interval": 1,
        "broker_rebalance_timeout": 10,
        "consumer_auto_offset_reset": "earliest",
        "broker_credentials": settings.broker_credentials,
    }


def _assignment(app: faust.App) -> tuple[set[Any], set[Any]]:
    """This worker's (active, standby) topic partitions, from Faust's partition assignor."""
    return app.assignor.assigned_actives(), app.assignor.assigned_standbys()


def create_app(
    settings: Settings,
    registry: CollectorRegistry | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> PillarwatchApp:
    """Build the app; every module in streams/agents/ installs its agents on it.

    `overrides` are extra Faust settings (the benchmark measures levers with them).
    """
    options: dict[str, Any] = {
        **broker_options(settings),
        "store": settings.store,
        "datadir": str(settings.data_dir),
        "web_bind": settings.web_host,
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        # Standbys of an in-memory store would be iterated like active partitions by the
        # scrape-time collectors; with RocksDB only actives are iterated.
        "table_standby_replicas": 0 if settings.store == "memory://" else 1,
        "autodiscover": False,
        "web_in_thread": False,
        "logging_config": None,
    }
    options.update(overrides or {})
    app = PillarwatchApp(settings.app_id, **options)
    app.settings = settings
    app.registry = registry if registry is not None else CollectorRegistry()
    app.metrics = Metrics(app.registry, max_queues=settings.max_queues)
    app.clock = StreamClock()
    # Faust's own sensor on our registry, under a fixed prefix (not the configurable app id),
    # without the per-event series nothing reads (streams/sensor.py).
    setup_sensor(app, app.registry, "faust")
    app.registry.register(ScrapeCollector(partition_gauges(lambda: _assignment(app))))
    install_readiness(app)
    install_all(app)
    return app
