"""The flow control's resume (streams/flow_control.py): buffers are cleared when a suspended
flow resumes, never while it runs.

Faust's recovery resumes the flow again after it sought the stream partitions to their
committed offsets; with mode's own flow control that resume emptied the agents' buffers
of messages already recorded as read, and they were never handled.
"""

from __future__ import annotations

import asyncio

from mode.utils.queues import FlowControlEvent, FlowControlQueue

from pillarwatch.streams.flow_control import ResumeOnceFlowControl
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import queued_record

EVENTS = 20


def buffer(flow: FlowControlEvent) -> FlowControlQueue[int]:
    return FlowControlQueue(flow_control=flow, clear_on_resume=True)


def test_modes_own_resume_clears_a_running_flows_buffers() -> None:
    """Why the subclass exists: if mode stops doing this, streams/flow_control.py can go."""
    flow = FlowControlEvent(initially_suspended=False)
    queue = buffer(flow)
    queue.put_nowait(1)
    flow.resume()
    assert queue.qsize() == 0


def test_resume_of_a_running_flow_keeps_the_buffers() -> None:
    flow = ResumeOnceFlowControl(initially_suspended=False)
    queue = buffer(flow)
    queue.put_nowait(1)
    flow.resume()
    assert flow.is_active()
    assert queue.get_nowait() == 1


def test_resume_after_a_suspend_clears_the_buffers() -> None:
    flow = ResumeOnceFlowControl(initially_suspended=False)
    queue = buffer(flow)
    flow.suspend()
    queue.put_nowait(1)  # slipped in after the suspend: of the old assignment
    flow.resume()
    assert flow.is_active()
    assert queue.qsize() == 0


async def resume_with_events_buffered() -> float | None:
    """Buffer EVENTS events in the first hop, resume the running flow (the end of Faust's
    recovery), then put one more; how many the first hop counted."""
    async with AgentHarness() as h:
        assert isinstance(h.app.flow_control, ResumeOnceFlowControl)
        agent = h.app.agents["contacts"]
        wrapper = await h._stack.enter_async_context(agent.test_context())
        for n in range(EVENTS):
            key, value = queued_record(n)
            await wrapper.put(key=key, value=value, partition=0, wait=False)
        assert wrapper.stream().channel.queue.qsize() > 0
        h.app.flow_control.resume()
        key, value = queued_record(EVENTS)
        await wrapper.put(key=key, value=value, partition=0)
        for _ in range(100):
            if h.metric("pillarwatch_events_total", type="contact.queued") == EVENTS + 1:
                break
            await asyncio.sleep(0.01)
        return h.metric("pillarwatch_events_total", type="contact.queued")


def test_events_buffered_when_recovery_resumes_the_flow_are_all_handled() -> None:
    """With mode's own flow control the buffered events were dropped and 1 was counted."""
    assert asyncio.run(resume_with_events_buffered()) == EVENTS + 1
