"""Draw the incident picture from a real Prometheus: service level and pillar scores of the
queues, with the moments the page fired and resolved. No Grafana server runs here, so the
README's picture is made with matplotlib from the same queries the dashboards use."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

SERIES = (
    ("service level (5m)", 'pillarwatch_service_level_ratio{window="5m",channel="voice"} * 100'),
    ("Time & Effort (5m)", 'pillarwatch_pillar_score{pillar="time_effort",window="5m"}'),
    ("Resolution (1h)", 'pillarwatch_pillar_score{pillar="resolution",window="1h"}'),
)


def _range(prom: str, expr: str, start: float, end: float) -> list[dict[str, Any]]:
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": 2})
    with urllib.request.urlopen(f"{prom}/api/v1/query_range?{q}", timeout=30) as resp:
        return list(json.load(resp)["data"]["result"])


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def draw(
    prom: str,
    start: float,
    end: float,
    fired: list[dict[str, Any]],
    resolved: list[dict[str, Any]],
    out: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(SERIES), 1, figsize=(10, 8), sharex=True)
    for ax, (title, expr) in zip(axes, SERIES, strict=True):
        for series in _range(prom, expr, start, end):
            xs = [float(t) - start for t, _ in series["values"]]
            ys = [float(v) for _, v in series["values"]]
            ax.plot(
                xs, ys, label=f"{series['metric'].get('queue')}/{series['metric'].get('channel')}"
            )
        ax.set_title(title)
        ax.set_ylim(0, 105)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=8)
        for alert in fired[:1]:
            ax.axvline(_ts(alert["startsAt"]) - start, color="red", linestyle="--")
        for alert in resolved[:1]:
            ax.axvline(_ts(alert["endsAt"]) - start, color="green", linestyle="--")
    axes[0].text(
        0.01,
        0.05,
        "red: ServiceLevelFastBurn fired (billing)   green: resolved",
        transform=axes[0].transAxes,
        fontsize=8,
    )
    axes[-1].set_xlabel("seconds of the test run (simulated time runs 20x faster)")
    fig.suptitle("pillarwatch through a staffing incident on billing (real Prometheus data)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
