"""Faust's aiokafka consumer, guarded so that a seek to the committed offsets loses nothing.

faust-streaming 0.15.3 can lose stream messages when partitions move (docs/reliability.md,
"Faust drops refetched messages after a rebalance"). Two of its parts meet there:
- its fetch loop (`Consumer._drain_messages`) records a message as read even when a suspend
  of the flow cut its hand-over off, and goes on through the rest of the fetched batch so;
- its recovery, when no changelog has to be restored, resumes the flow and only then seeks the
  stream partitions to their committed offsets (`Recovery._resume_streams`), so the fetch
  loop hands on messages while the seek runs.
A message below a partition's read offset is dropped as one handed on already, so read
offsets that land past the seek drop the refetched messages; the two-worker fault test lost
journeys this way (a survivor's by-customer partition went from offset 129 to 146).

Here a seek waits until the fetch loop has left its batch, with the flow stopped, and the
loop records nothing it did not hand on; whatever it had not handed on comes again after the
seek, which follows every suspend of the flow (a rebalance's assignment, a stop, this seek).
What was handed on before the seek may come again too: every agent handles a replay
idempotently (streams/acks.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["SeekGuardConsumer"]


class SeekGuardConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer; its seeks wait for the fetch loop, which hands on nothing
    after a suspend of the flow."""

    _drain_task: asyncio.Task[Any] | None = None
    _batch_idle: asyncio.Event | None = None

    def _idle(self) -> asyncio.Event:
        if self._batch_idle is None:
            self._batch_idle = asyncio.Event()
            self._batch_idle.set()
        return self._batch_idle

    async def perform_seek(self) -> None:
        """Seek every partition to its committed offset, the fetch loop out of its batch.

        Faust's fetch loop calls this itself (from `getmany`, when it finds the flow
        stopped): it is then outside any batch, and must not wait for itself.
        """
        was_active = self.flow_active
        self.stop_flow()
        try:
            if asyncio.current_task() is not self._drain_task:
                await self._idle().wait()
            await super().perform_seek()
        finally:
            if was_active:
                self.resume_flow()

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - a copy
        """faust-streaming 0.15.3's `Consumer._drain_messages`, with three changes.

        - A message whose hand-over a suspend of the flow cut off is not recorded as read,
          and the rest of its batch is left: the seek after the suspend brings them again.
          (Faust records it as read and runs through the rest of the batch the same way.)
        - While it hands on a batch, `perform_seek` waits (`_batch_idle` is clear).
        - Nothing else: the read-offset rule, the gap tracking, the commit every N acks and
          the yield to the event loop every 100 messages are Faust's.
        tests/streams/test_fetch_loop.py runs it, and Faust's own loop, on a stand-in.
        """
        self._drain_task = asyncio.current_task()
        idle = self._idle()
        callback = self.callback
        getmany = self.getmany
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        acks_enabled_for = self.app.topics.acks_enabled_for
        commit_every = self._commit_every
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                ait = getmany(timeout=1.0)
                await self.sleep(0)
                if self.should_stop:
                    break
                handed = 0
                try:
                    async for tp, message in ait:
                        idle.clear()  # records arrived: a seek waits for this batch
                        handed += 1
                        if handed > 100:
                            await asyncio.sleep(0)
                            handed = 0
                        offset = message.offset
                        r_offset = get_read_offset(tp)
                        if r_offset is not None and offset < r_offset:
                            self.log.dev("DROPPED MESSAGE ROFF %r: tp=%r", offset, tp)
                            continue
                        gap = offset - (r_offset or 0)
                        if gap > 1 and r_offset and acks_enabled_for(message.topic):
                            await self._add_gap(tp, r_offset + 1, offset)
                        if commit_every is not None and self._n_acked >= commit_every:
                            self._n_acked = 0
                            await self.commit()
                        hand_over = callback(message)
                        result = await self.wait_first(hand_over, self.suspend_flow.wait())
                        if hand_over not in result.done:
                            break  # cut off by a suspend: this one and the rest come again
                        set_read_offset(tp, offset)
                finally:
                    idle.set()
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            idle.set()
            self.diag.unset_flag(CONSUMER_FETCHING)
