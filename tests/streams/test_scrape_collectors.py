"""Scrape-time collectors name their gauges, so a `name[]`-filtered page (streams/sensor.py)
runs only the collectors it asks for (streams/metrics.py `ScrapeCollector`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily

from pillarwatch.models.catalogue import CATALOGUE
from pillarwatch.streams.agents.measures import WINDOW_GAUGES
from pillarwatch.streams.metrics import (
    LIVE_GAUGES,
    PARTITION_GAUGES,
    ScrapeCollector,
    scrape_gauge_names,
)


class CountingProducer:
    """Yields one `pillarwatch_window_contacts` sample and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Iterator[GaugeMetricFamily]:
        self.calls += 1
        family = GaugeMetricFamily("pillarwatch_window_contacts", "", labels=["queue"])
        family.add_metric(["billing"], 7.0)
        yield family


def registry_with(producer: CountingProducer) -> CollectorRegistry:
    registry = CollectorRegistry(support_collectors_without_names=True)
    registry.register(ScrapeCollector(producer, ["pillarwatch_window_contacts"]))
    Counter("pillarwatch_events", "", registry=registry).inc(3)
    return registry


def test_a_page_filtered_to_other_names_does_not_run_the_producer() -> None:
    producer = CountingProducer()
    registry = registry_with(producer)
    page = generate_latest(registry.restricted_registry(["pillarwatch_events_total"])).decode()
    assert "pillarwatch_events_total 3.0" in page
    assert "pillarwatch_window_contacts" not in page
    assert producer.calls == 0


def test_a_page_asking_for_one_of_its_names_runs_it() -> None:
    producer = CountingProducer()
    registry = registry_with(producer)
    page = generate_latest(registry.restricted_registry(["pillarwatch_window_contacts"])).decode()
    assert 'pillarwatch_window_contacts{queue="billing"} 7.0' in page
    assert "pillarwatch_events_total" not in page
    assert producer.calls == 1


def test_the_whole_page_runs_it() -> None:
    producer = CountingProducer()
    page = generate_latest(registry_with(producer)).decode()
    assert 'pillarwatch_window_contacts{queue="billing"} 7.0' in page
    assert "pillarwatch_events_total 3.0" in page
    assert producer.calls == 1


def test_a_family_outside_its_names_fails_the_scrape() -> None:
    registry = CollectorRegistry()
    registry.register(ScrapeCollector(CountingProducer(), ["pillarwatch_pillar_score"]))
    with pytest.raises(ValueError, match="pillarwatch_window_contacts"):
        generate_latest(registry)


def test_the_three_collectors_cover_every_catalogue_gauge_once() -> None:
    gauges = [m.name for m in CATALOGUE if m.kind == "gauge"]
    lists = (PARTITION_GAUGES, LIVE_GAUGES, WINDOW_GAUGES)
    assert sorted(n for names in lists for n in names) == sorted(gauges)
    assert scrape_gauge_names() == tuple(gauges)
    assert "pillarwatch_window_contacts" in WINDOW_GAUGES
    assert "pillarwatch_queue_waiting_contacts" not in WINDOW_GAUGES
