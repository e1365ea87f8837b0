"""Test helpers: run an agent in memory, feed it messages, read what it sent, metrics, tables.

    async with AgentHarness() as h:
        await h.feed("contacts", [(b"c1", event_bytes)])
        assert h.metric("pillarwatch_events_total", type="contact.queued") == 1
        assert h.sent_to("contact-summaries")

    async with AgentHarness() as h:  # a pillar: summaries in, signals out, scores
        await h.feed_pillar("empathy", [summary])
        await h.relay_signals()          # to the measures agent, as the broker would
        assert h.pillar("empathy", "billing", "voice") is None  # under min_contacts

Messages an agent sends to topics are captured instead of produced: in memory there is no
broker. tests/integration runs the same agents on the real embedded broker.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from unittest import mock

from prometheus_client import CollectorRegistry

from pillarwatch.models.pillars import Signal, signal_pillars
from pillarwatch.models.summaries import WireItem, from_wire, to_wire, wire_key, wire_records
from pillarwatch.streams.app import PillarwatchApp, create_app
from pillarwatch.streams.settings import Settings

__all__ = ["AgentHarness", "Sent"]


@dataclass(frozen=True)
class Sent:
    topic: str
    key: Any
    value: Any
    headers: Any = None


@dataclass
class AgentHarness:
    settings: Settings = field(default_factory=lambda: Settings.from_env({}))
    app: PillarwatchApp = field(init=False)
    sent: list[Sent] = field(default_factory=list, init=False)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, init=False)
    _agents: dict[str, Any] = field(default_factory=dict, init=False)
    _relayed: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.app = create_app(self.settings, CollectorRegistry())
        self.app.finalize()

    async def __aenter__(self) -> AgentHarness:
        sent = self.sent

        async def capture(topic: Any, key: Any = None, value: Any = None, **kw: Any) -> None:
            sent.append(Sent(topic.get_topic_name(), key, value, kw.get("headers")))

        self._stack.enter_context(mock.patch("faust.topics.Topic.send", capture))
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def feed(self, agent: str, messages: list[tuple[Any, Any]], partition: int = 0) -> None:
        """Deliver (key, value) messages to `agent` one by one, waiting for each to be processed."""
        wrapper: Any = self._agents.get(agent)
        if wrapper is None:
            wrapper = await self._stack.enter_async_context(self.app.agents[agent].test_context())
            self._agents[agent] = wrapper
        for key, value in messages:
            await wrapper.put(key=key, value=value, partition=partition)

    def restart(self, agent: str) -> None:
        """Run `agent` afresh from the next `feed`, its tables kept: as a worker that takes
        over its partitions after a stop, or Faust restarting an agent that raised."""
        self._agents.pop(agent, None)

    async def feed_items(self, agent: str, items: list[WireItem]) -> None:
        """Deliver summaries (or outcomes, signals, ...) as they are on the wire.

        Keyed by customer id when the item has one (what a by-customer agent reads), else by
        queue and channel (what `contact-summaries` carries); the agents read only the value.
        """
        messages = []
        for item in items:
            customer = getattr(item, "customer_id", None)
            key = customer if customer else wire_key(item.queue, item.channel)
            messages.append((key.encode(), to_wire(item)))
        await self.feed(agent, messages)

    async def feed_pillar(self, pillar: str, items: list[WireItem]) -> None:
        """Deliver summaries to the agent that runs `pillar` (models/pillars): the measures
        agent for a pillar keyed by queue, the customers agent for one keyed by customer."""
        keyed_by = signal_pillars()[pillar].keyed_by
        await self.feed_items("customers" if keyed_by == "customer" else "measures", items)

    def signals(self, pillar: str | None = None) -> list[Signal]:
        """The pillar signals agents sent to `contact-summaries`, in order."""
        found = []
        for s in self.sent_to(self.settings.summaries_topic):
            if isinstance(s.value, dict) and s.value.get("kind") == "signal":
                signal = from_wire(s.value)
                assert isinstance(signal, Signal)
                if pillar is None or signal.pillar == pillar:
                    found.append(signal)
        return found

    async def relay_signals(self, agent: str = "measures") -> None:
        """Deliver the signals sent so far (and not yet relayed) to the measures agent."""
        signals = self.signals()[self._relayed :]
        self._relayed += len(signals)
        await self.feed_items(agent, list(signals))

    def pillar(self, pillar: str, queue: str, channel: str, window: str = "5m") -> float | None:
        """The exported pillar score, None when absent."""
        labels = {"pillar": pillar, "queue": queue, "channel": channel, "window": window}
        return self.metric("pillarwatch_pillar_score", **labels)

    def component(
        self, pillar: str, component: str, queue: str, channel: str, window: str = "5m"
    ) -> float | None:
        labels = {"pillar": pillar, "component": component, "queue": queue, "channel": channel}
        return self.metric("pillarwatch_pillar_component_score", window=window, **labels)

    def sent_to(self, topic: str) -> list[Sent]:
        """What was sent to `topic`, a record per entry: a summaries message of several
        records (models/summaries.py `wire_records`) counts as each of them."""
        summaries = topic == self.settings.summaries_topic
        return [
            Sent(s.topic, s.key, value, s.headers)
            for s in self.messages_to(topic)
            for value in (wire_records(s.value) if summaries else [s.value])
        ]

    def messages_to(self, topic: str) -> list[Sent]:
        """The messages sent to `topic`, as sent."""
        return [s for s in self.sent if s.topic == topic]

    def metric(self, name: str, **labels: str) -> float | None:
        return self.app.registry.get_sample_value(name, labels)

    def table(self, name: str) -> dict[Any, Any]:
        table: Any = self.app.tables[name]
        return dict(table.items())
