"""The short soak: one simulated day through the agents; state stays within its bounds.

The long form (a week) is `PYTHONPATH=. python -m tests.soak --days 7` (docs/reliability.md).
"""

from __future__ import annotations

from tests.soak import print_row, soak


def test_a_simulated_day_keeps_state_bounded() -> None:
    rows = soak(days=1, seed=7, report=print_row)
    assert len(rows) == 24 and rows[-1].events > 10_000
    for r in rows:
        # Open contacts and tombstones: never more than the contacts seen in the last
        # contact timeout (+ one sweep interval); minute buckets: never more than retained.
        assert r.contacts <= r.bound, r
        assert r.buckets <= r.bucket_bound, r
        assert r.waiting <= r.contacts, r
    # At night the table shrinks back: state follows traffic, not elapsed time.
    assert rows[-1].contacts < max(r.contacts for r in rows) / 2
