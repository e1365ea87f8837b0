"""Turn the dashboard builders into the JSON Grafana provisions, byte-for-byte reproducibly."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from pillarwatch.dashboards import pillars, pipeline, queue, wallboard
from pillarwatch.dashboards.targets import WallboardTargets

__all__ = ["BUILDERS", "render_all", "to_json", "write_all"]

# uid -> builder; the uid is also the file name, so provisioning and push agree on identity.
BUILDERS: dict[str, Callable[[WallboardTargets], Any]] = {
    wallboard.UID: wallboard.build,
    queue.UID: queue.build,
    pipeline.UID: pipeline.build,
    pillars.UID: pillars.build,
}


def to_json(board: Any) -> str:
    """Sorted keys, two-space indent, trailing newline: stable diffs and a byte-exact test."""
    return json.dumps(board.build(), cls=JSONEncoder, sort_keys=True, indent=2) + "\n"


def render_all(targets: WallboardTargets) -> dict[str, str]:
    """uid -> dashboard JSON text."""
    with warnings.catch_warnings():
        # The SDK marks the v1 Dashboard builder deprecated in favour of v2, which file
        # provisioning in current Grafana releases does not load yet: v1 is the right choice.
        warnings.simplefilter("ignore", DeprecationWarning)
        return {uid: to_json(build(targets)) for uid, build in sorted(BUILDERS.items())}


def write_all(targets: WallboardTargets, out: Path) -> list[Path]:
    """Write every dashboard to `out/<uid>.json`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for uid, text in render_all(targets).items():
        path = out / f"{uid}.json"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
