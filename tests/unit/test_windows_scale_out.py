"""Window figures of a queue, evaluated by a worker that owns only some of the queues.

With several workers each one evaluates the windows of the queues it owns, ending them at the
newest minute among those queues (`evaluate`'s default end). A queue's figures then depend on
which other queues share its worker. Found by tests/integration/test_two_workers.py: on the
seeded stream two workers showed billing/chat with 9 contacts in the 5m window and 66 in the
1h window where one worker (and the reference) showed 8 and 65.
"""

from __future__ import annotations

import pytest

from models.buckets import WIDTH
from models.config import Config
from models.windows import evaluate

Row = tuple[str, str, int, list[float]]


def _rows() -> list[Row]:
    sums = [1.0] * WIDTH  # any non-empty bucket
    busy = [("sales", "voice", minute, sums) for minute in range(100, 130)]
    quiet = [("billing", "chat", minute, sums) for minute in range(100, 121)]  # quiet since 120
    return busy + quiet


def _billing(rows: list[Row]) -> dict[str, float]:
    return {
        r.window: r.measures.offered
        for r in evaluate(rows, Config())
        if (r.queue, r.channel) == ("billing", "chat")
    }


def test_one_worker_ends_every_window_at_the_newest_minute_of_all_queues() -> None:
    # One worker holds both queues: billing's windows end at minute 129, after its last
    # contact at 120, so its 5m window is empty and its 1h window holds minutes 100..120.
    assert _billing(_rows()) == {"5m": 0, "1h": 21 * _billing_per_minute()}


@pytest.mark.xfail(
    strict=True,
    reason="scale-out: a worker's windows end at the newest minute of the queues it owns, so a "
    "queue's figures depend on which worker owns it (docs/deploy.md, Scale-out, as tested)",
)
def test_a_queues_windows_do_not_depend_on_the_other_queues_of_its_worker() -> None:
    alone = [r for r in _rows() if r[0] == "billing"]  # a second worker owns sales
    assert _billing(alone) == _billing(_rows())


def _billing_per_minute() -> float:
    return evaluate([("billing", "chat", 0, [1.0] * WIDTH)], Config())[0].measures.offered
