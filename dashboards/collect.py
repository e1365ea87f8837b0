"""The panels and alerting rules the pillars declare (models/pillars), collected.

Reads the pillar registry only: building dashboards or alert rules needs neither Faust nor a
running worker (tests/unit/test_layout.py imports this package with Faust blocked).
"""

from __future__ import annotations

import json
from typing import Any

from pillarwatch.models.pillars import Registry, registry

__all__ = ["collect_alert_rules", "collect_panels"]


def collect_panels(pillars: Registry | None = None) -> list[dict[str, Any]]:
    """Every pillar's panels, as plain dicts tagged with the pillar's name, in name order.

    A panel is {"title", "expr", optional "unit", "description"}; dashboards/pillars.py turns
    them into Grafana panels. The tag is called "agent" as the panel descriptions say.
    """
    found = registry() if pillars is None else pillars
    return [{"agent": name, **panel} for name, p in found.items() for panel in p.panels]


def collect_alert_rules(pillars: Registry | None = None) -> str:
    """Every pillar's alerts as one Prometheus rule file, a group per pillar.

    The text is JSON, which is YAML (1.2): promtool reads it as a rule file, and no YAML
    library is needed to write it (`make dashboards` writes alerts/rules/agents.rules.yml).
    """
    found = registry() if pillars is None else pillars
    groups = [
        {"name": f"pillarwatch-agent-{name}", "rules": [dict(rule) for rule in p.alerts]}
        for name, p in found.items()
        if p.alerts
    ]
    return json.dumps({"groups": groups}, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Print the collected alert rules (`python -m pillarwatch.dashboards.collect`)."""
    print(collect_alert_rules(), end="")


if __name__ == "__main__":
    main()
