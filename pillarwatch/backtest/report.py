"""A PNG per alert: the value its threshold is applied to over the period, the threshold, and
the firing intervals shaded. matplotlib comes with the `backtest` extra.

The value and the threshold are the two sides of the expression's first top-level comparison
(`LHS >= 2 and ...`: LHS against 2; `A > on (queue) B`: A against B), each range-queried
alone; the guards after `and` are not drawn, the shading shows where they let it fire.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pillarwatch.backtest.alerts import Firing, iso
from pillarwatch.backtest.prometheus import PrometheusServer, range_query

__all__ = ["draw_reports", "split_comparison"]

_OPS = (">=", "<=", "==", "!=", ">", "<")
_MODIFIER = re.compile(r"^\s*(?:bool\b|(?:on|ignoring|group_left|group_right)\s*\([^)]*\))\s*")
_SET_OPS = re.compile(r"\b(?:and|or|unless)\b")


def _top_level(expr: str) -> list[tuple[int, str]]:
    """(position, character) of the characters outside any (), {}, [] or string."""
    out, depth, quote = [], 0, ""
    for i, ch in enumerate(expr):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'`":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif depth == 0:
            out.append((i, ch))
    return out


def split_comparison(expr: str) -> tuple[str, str, str] | None:
    """(value side, operator, threshold side) of the first top-level comparison, or None."""
    flat = {i for i, _ in _top_level(expr)}
    for i in sorted(flat):
        op = next(
            (
                o
                for o in _OPS
                if expr.startswith(o, i) and all(i + k in flat for k in range(len(o)))
            ),
            None,
        )
        if op is None:
            continue
        j = i + len(op)
        modifier = _MODIFIER.match(expr[j:])
        if modifier:
            j += modifier.end()
        end = next((m.start() for m in _SET_OPS.finditer(expr, j) if m.start() in flat), len(expr))
        return expr[:i].strip(), op, expr[j:end].strip()
    return None


def _label(metric: dict[str, str]) -> str:
    keys = [k for k in ("pillar", "queue", "channel", "window", "topic") if k in metric]
    return "/".join(metric[k] for k in keys) or "value"


def _hours(values: list[tuple[float, float]], start: float) -> list[float]:
    return [(t - start) / 3600 for t, _ in values]


def draw_reports(
    server: PrometheusServer,
    alerts: list[dict[str, Any]],
    firings: list[Firing],
    start: float,
    end: float,
    step: float,
    out_dir: Path,
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for alert in alerts:
        name = alert["alert"]
        parts = split_comparison(alert["expr"])
        fig, ax = plt.subplots(figsize=(11, 4.5))
        if parts is not None:
            lhs, op, rhs = parts
            for s in range_query(server, lhs, start, end, step):
                ax.plot(
                    _hours(s["values"], start),
                    [v for _, v in s["values"]],
                    lw=0.9,
                    label=_label(s["metric"]),
                )
            try:
                threshold: float | None = float(rhs)
            except ValueError:
                threshold = None
            if threshold is not None:
                ax.axhline(threshold, color="black", ls="--", lw=1, label=f"threshold {op} {rhs}")
            else:
                for s in range_query(server, rhs, start, end, step):
                    ax.plot(
                        _hours(s["values"], start),
                        [v for _, v in s["values"]],
                        ls="--",
                        lw=0.8,
                        label=f"threshold {op} {_label(s['metric'])}",
                    )
        mine = [f for f in firings if f.alert == name]
        for f in mine:
            ax.axvspan((f.start - start) / 3600, (f.end - start) / 3600, color="red", alpha=0.15)
        ax.set_xlim(0, (end - start) / 3600)
        span = (end - start) / 3600
        ax.set_xticks([h for h in range(0, int(span) + 1, 24 if span > 48 else 2)])
        ax.set_xlabel(f"hours of event time since {iso(start)}")
        ax.set_title(
            f"{name}: {len(mine)} firing interval(s) shaded (for: {alert.get('for', '0s')})"
        )
        ax.grid(alpha=0.3)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
        fig.tight_layout()
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        written.append(path)
    return written
