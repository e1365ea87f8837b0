"""`GET /ready`: 200 once this worker's tables are recovered and it is not rebalancing, else 503.

/metrics answers about a second after start, long before a rebuild from the changelogs is
done (docs/deploy.md measured 86-104 s for 100k open contacts), so it cannot tell a
Kubernetes readiness probe or a deploy script when the table-backed figures are whole.
Faust knows: its recovery sets `tables.recovery.completed` once, and `in_recovery` and
`rebalancing` are true while partitions move.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View

__all__ = ["install_readiness", "readiness"]


def readiness(app: faust.App) -> dict[str, bool]:
    """What the endpoint reports; `ready` is the conjunction the probe acts on."""
    tables: Any = app.tables  # the TableManager; its type stub does not declare `recovery`
    recovered = bool(tables.recovery.completed.is_set())
    state = {
        "recovered": recovered,
        "in_recovery": bool(app.in_recovery),
        "rebalancing": bool(app.rebalancing),
    }
    state["ready"] = recovered and not state["in_recovery"] and not state["rebalancing"]
    return state


def install_readiness(app: faust.App) -> None:
    @app.page("/ready")  # type: ignore[untyped-decorator]
    async def ready(self: View, request: Request) -> Response:
        state = readiness(app)
        return self.json(state, status=200 if state["ready"] else 503)
