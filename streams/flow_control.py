"""Faust's flow control, with a resume that clears the agents' buffers only when the flow
was suspended.

Faust (faust-streaming 0.15.3) builds every stream's and channel's buffer as a
`FlowControlQueue(clear_on_resume=True)`, and mode's `FlowControlEvent.resume()` clears all
of them on every call, suspended or not. Faust's recovery calls `resume()` several times
after a rebalance, the flow running between the calls; the last call comes in
`Recovery._resume_streams`, after it resumed the stream partitions and sought them to their
committed offsets. Messages the fetch loop handed on while that seek ran sat in the agents'
buffers, and the clear dropped them. Their offsets were already recorded as read, so the
refetch from the committed offset dropped them again (`DROPPED MESSAGE ROFF` in Faust's
debug log): they were never handled. The two-worker SIGTERM fail-over test lost journey
contacts this way (docs/reliability.md, "Messages cleared at the end of a recovery").

A buffer holds only messages of the current assignment while the flow runs: a rebalance
suspends the flow and clears the buffers (`App._on_partitions_revoked`) before it changes
the assignment. So the first resume after a suspend still clears (what slipped in after
the suspend is of the old assignment), and a resume of a running flow leaves the buffers
alone.
"""

from __future__ import annotations

from mode.utils.queues import FlowControlEvent

__all__ = ["ResumeOnceFlowControl"]


class ResumeOnceFlowControl(FlowControlEvent):
    """`FlowControlEvent` whose `resume()` clears the managed buffers only if the flow was
    suspended."""

    def resume(self) -> None:
        was_suspended = not self.is_active()
        self._suspend.clear()
        self._resume.set()
        if was_suspended:
            self.clear()
