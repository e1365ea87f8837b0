"""Give each scaled worker replica its own RocksDB directory on one shared volume.

`docker compose up --scale worker=3` mounts the same named volume into every replica, and
Compose gives a replica no stable number it can see. Two workers must never open the same
RocksDB directory, so each replica claims the lowest free slot directory with an exclusive
`flock` and keeps the lock for its lifetime; the kernel releases it when the process dies.

Any slot is valid for any replica: Faust keeps, inside each partition's database, the
changelog offset it was written up to, and after a rebalance it replays only the changelog
tail past that offset. A replica that takes another's old slot just recovers a different
set of partitions locally.

Usage (the container's command): `python -m pillarwatch.state_slot BASE -- pillarwatch worker`
sets PILLARWATCH_DATA_DIR=BASE/slot-N and execs the command with the lock held.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

__all__ = ["MAX_SLOTS", "claim_slot", "main"]

MAX_SLOTS = 64
LOCK_NAME = ".claimed"


def claim_slot(base: Path, max_slots: int = MAX_SLOTS) -> tuple[Path, int]:
    """Lock the lowest free `base/slot-N`; returns it and the open lock file descriptor."""
    for n in range(max_slots):
        slot = base / f"slot-{n}"
        slot.mkdir(parents=True, exist_ok=True)
        fd = os.open(slot / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return slot, fd
    raise RuntimeError(f"all {max_slots} state slots under {base} are taken by running workers")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m pillarwatch.state_slot BASE -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    slot, fd = claim_slot(Path(args[0]))
    os.set_inheritable(fd, True)  # the lock lives as long as the exec'd worker
    os.environ["PILLARWATCH_DATA_DIR"] = str(slot)
    print(f"pillarwatch: local state in {slot}", file=sys.stderr, flush=True)
    os.execvp(args[2], args[2:])


if __name__ == "__main__":
    sys.exit(main())
