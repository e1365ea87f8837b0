"""Each event acked once its agent has handled it, never when the agent was stopped mid-event.

Faust's stream iterator acks an event in a `finally` around its `yield`: an agent cancelled
while it handles an event (a worker's stop, which cancels the agents after its last wait for
the streams and before the consumer's last commit) has that event acked anyway, and the
consumer's last commit then commits it, though only part of its work was done. The measures
agent writes its bucket and then re-keys the summary by customer; the customers agent writes
a journey and then sends its corrections. Cut between the two, the event's offset was
committed with its write and without its sends: nothing replays it, and the sends were lost
(test_two_workers.py, the SIGTERM fail-over: one contact's journey figures missing).

With `handle_each` an event whose handling did not finish is not acked: its offset is not
committed, and it comes again after the restart or the partition move. Every agent that uses
this must handle a replayed event idempotently (bucket rows dedupe by offset and id; the
customers agent sends before it writes, streams/agents/customers.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from faust.types import EventT, StreamT

__all__ = ["handle_each"]


async def handle_each(
    stream: StreamT[Any], handle: Callable[[EventT[Any]], Awaitable[None]]
) -> None:
    """Call `handle` with each event of `stream`; ack the event when `handle` returned.

    Cancelled mid-event: not acked (it is replayed). Any other exception: acked, then raised,
    which is what Faust does for an agent that raises (its supervisor restarts the agent): a
    message that always fails must not hold its partition's commits back forever.
    """
    stream.enable_acks = False
    async for event in stream.events():
        try:
            await handle(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            await stream.ack(event)
            raise
        await stream.ack(event)
