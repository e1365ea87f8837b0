"""A broker per test, for tests whose results would be changed by other tests' traffic.

`contact-summaries` is one topic per cluster (not per app id): on the shared session broker a
worker's measures agent also reads the summaries of every earlier test's workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pillarwatch.broker import EmbeddedBroker


@contextmanager
def private_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as b:
        yield b
