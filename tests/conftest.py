from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pillarwatch.broker import EmbeddedBroker


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """One real embedded broker for the session; tests isolate themselves by topic and group."""
    log = Path(tmp_path_factory.mktemp("broker")) / "tansu.log"
    with EmbeddedBroker(log_path=log) as b:
        yield b
