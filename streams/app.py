"""The Faust app factory: `create_app(settings)` builds the app, its topics and its agents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from mode.utils.objects import cached_property
from prometheus_client import CollectorRegistry

from pillarwatch.streams import codecs
from pillarwatch.streams.agents import install_all
from pillarwatch.streams.clock import StreamClock
from pillarwatch.streams.flow_control import ResumeOnceFlowControl
from pillarwatch.streams.metrics import (
    PARTITION_GAUGES,
    Metrics,
    ScrapeCollector,
    partition_gauges,
)
from pillarwatch.streams.readiness import install_readiness
from pillarwatch.streams.rocksdb_options import table_options
from pillarwatch.streams.sensor import setup_sensor
from pillarwatch.streams.settings import Settings
from pillarwatch.streams.transport import Transport

__all__ = ["BY_CUSTOMER", "PillarwatchApp", "broker_options", "create_app"]

# The by-customer topic's suffix (`<app id>-summaries-by-customer`): the journeys agent's
# topic before every customer-keyed pillar read it too, so the name and its data carry over.
BY_CUSTOMER = "summaries-by-customer"


class PillarwatchApp(faust.App):
    """A Faust app that carries pillarwatch's settings, registry and metrics for its agents."""

    settings: Settings
    registry: CollectorRegistry
    metrics: Metrics
    clock: StreamClock

    def _new_transport(self) -> Any:
        """Faust's Kafka transport with a short fetch wait (streams/transport.py); any
        other transport (the tests' in-memory one) as Faust would pick it."""
        chosen = super()._new_transport()
        if type(chosen) is Transport.__base__:
            return Transport(self.conf.broker_consumer, self)
        return chosen

    @cached_property
    def flow_control(self) -> ResumeOnceFlowControl:
        """Faust's flow control, whose resume does not clear the agents' buffers while the
        flow runs (streams/flow_control.py: recovery's last resume dropped messages)."""
        return ResumeOnceFlowControl(loop=self.loop)

    def Table(self, name: str, **kwargs: Any) -> Any:
        """Faust's Table, with RocksDB options sized for a container (ignored in memory)."""
        kwargs.setdefault("options", table_options())
        # Changelogs get the same min.insync.replicas as the topics pillarwatch creates.
        kwargs.setdefault("extra_topic_configs", self.settings.topic_configs())
        return super().Table(name, **kwargs)

    def summaries_topic(self) -> Any:
        """`contact-summaries`, keyed by queue and channel: outcomes, summaries, signals, ..."""
        s = self.settings
        return self.topic(
            s.summaries_topic,
            key_serializer="raw",
            value_serializer="json",
            partitions=s.partitions,
        )

    def by_customer_topic(self) -> Any:
        """The one by-customer topic: summaries with a customer id, re-keyed by it once (by
        the measures agent) and read by the customers agent (journeys and every
        customer-keyed pillar); the pillars' sweep requests go through it too."""
        return self.rekey_topic(BY_CUSTOMER, value_serializer="json")

    def rekey_topic(self, suffix: str, value_serializer: str) -> Any:
        """An internal topic `<app id>-<suffix>`, co-partitioned with the input, that a stream
        is re-keyed onto (by contact, by customer) so one worker sees all of a key's messages."""
        return self.topic(
            f"{self.settings.app_id}-{suffix}",
            key_serializer="raw",
            value_serializer=value_serializer,
            partitions=self.settings.partitions,
            internal=True,
            config=self.settings.topic_configs(),
        )


def broker_options(settings: Settings) -> dict[str, Any]:
    """Broker, consumer and topic options shared by every Faust app here (the bench's too)."""
    return {
        "broker": settings.broker,
        "topic_partitions": settings.partitions,
        # PILLARWATCH_REPLICATION_FACTOR: Faust's changelog, repartition and leader topics.
        "topic_replication_factor": settings.replication_factor,
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
    codecs.install()  # values encoded to their own length (streams/codecs.py)
    options: dict[str, Any] = {
        **broker_options(settings),
        "store": settings.store,
        "datadir": str(settings.data_dir),
        "web_bind": settings.web_host,
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        # The web server is for /metrics and /ready only. Faust's /table/<name>/<key>/ pages
        # would serve stored customer state (journeys by customer id) to anyone who reaches
        # the port, /router/ the cluster layout; the stats and graph pages internals. Nothing
        # here uses @table_route, so all of them are off (faust-streaming 0.15 settings).
        "web_tables_enabled": False,
        "web_router_enabled": False,
        "web_stats_enabled": False,
        "web_graph_enabled": False,
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
    # A collector that cannot name its samples stays in a `name[]`-filtered page (ours all
    # name theirs: streams/metrics.py `ScrapeCollector`).
    app.registry = (
        registry
        if registry is not None
        else CollectorRegistry(support_collectors_without_names=True)
    )
    app.metrics = Metrics(app.registry, max_queues=settings.max_queues)
    app.clock = StreamClock()
    # Faust's own sensor on our registry, under a fixed prefix (not the configurable app id),
    # without the per-event series nothing reads (streams/sensor.py).
    setup_sensor(app, app.registry, "faust")
    app.registry.register(
        ScrapeCollector(partition_gauges(lambda: _assignment(app)), PARTITION_GAUGES)
    )
    install_readiness(app)
    install_all(app)
    return app
