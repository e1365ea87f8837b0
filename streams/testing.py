"""Test helpers: run an agent in memory, feed it messages, read what it sent, metrics, tables.

    async with AgentHarness() as h:
        await h.feed("contacts", [(b"c1", event_bytes)])
        assert h.metric("pillarwatch_events_total", type="contact.queued") == 1
        assert h.sent_to("contact-summaries")

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

from streams.app import PillarwatchApp, create_app
from streams.settings import Settings

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

    def sent_to(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]

    def metric(self, name: str, **labels: str) -> float | None:
        return self.app.registry.get_sample_value(name, labels)

    def table(self, name: str) -> dict[Any, Any]:
        table: Any = self.app.tables[name]
        return dict(table.items())
