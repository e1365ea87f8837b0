"""`pillarwatch top`: a live wallboard in the terminal, read from workers' /metrics.

Three separate parts so each can be tested alone: `rows_from_metrics` (exposition text -> rows,
pure), `render` (rows -> a rich renderable, pure) and `main` (fetch, draw, repeat).

Several workers each own some partitions, so the live queue gauges of one queue can come from
more than one of them: waiting contacts and present agents are summed, the longest wait is the
maximum, as the dashboards do with `sum by` / `max by`. Window measures and the staffing
projection come from the one worker that owns the queue; if two report one (for a moment after
a rebalance) the worse value is shown, so the wallboard never hides trouble.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pillarwatch.models.staffing import PRESENT_STATES

__all__ = ["DEFAULT_URL", "QueueRow", "fetch", "main", "render", "rows_from_metrics"]

DEFAULT_URL = "http://127.0.0.1:6066/metrics"
WINDOW = "5m"
# Pillar scores over the hour, as on the Grafana wallboard: a 5-minute score needs more
# contacts than most queues take in five minutes (min_contacts) and would mostly show "-".
SCORE_WINDOW = "1h"
DEFAULT_GOAL = 0.80  # used until the worker exports pillarwatch_service_level_goal_ratio

# Colour thresholds. A cell is red when it needs action now, amber when it is close.
ABANDON_AMBER, ABANDON_RED = 0.05, 0.10
SCORE_AMBER, SCORE_RED = 70.0, 50.0
WAIT_AMBER_SECONDS, WAIT_RED_SECONDS = 60.0, 120.0
SL_AMBER_MARGIN = 0.05  # within five points above the goal

NO_DATA = "-"  # a figure no worker reported yet: never shown as 0
GREEN, AMBER, RED = 0, 1, 2
_STYLE = {GREEN: "green", AMBER: "yellow", RED: "bold red"}


@dataclass(slots=True)
class QueueRow:
    """One queue and channel on the wallboard; None where no worker reported the figure."""

    queue: str
    channel: str
    waiting: float | None = None
    longest_wait_seconds: float | None = None
    service_level: float | None = None
    service_level_goal: float | None = None
    abandon: float | None = None
    time_effort: float | None = None
    resolution: float | None = None
    required_agents: float | None = None
    present_agents: float | None = None
    projected_service_level: float | None = None

    @property
    def goal(self) -> float:
        return DEFAULT_GOAL if self.service_level_goal is None else self.service_level_goal

    def statuses(self) -> dict[str, int]:
        """GREEN/AMBER/RED per coloured column (only those with a value)."""
        out: dict[str, int] = {}
        if self.service_level is not None:
            out["service_level"] = _low_is_bad(
                self.service_level, self.goal, self.goal + SL_AMBER_MARGIN
            )
        if self.projected_service_level is not None:
            out["projected"] = _low_is_bad(
                self.projected_service_level, self.goal, self.goal + SL_AMBER_MARGIN
            )
        if self.abandon is not None:
            out["abandon"] = _high_is_bad(self.abandon, ABANDON_AMBER, ABANDON_RED)
        if self.longest_wait_seconds is not None:
            out["longest_wait"] = _high_is_bad(
                self.longest_wait_seconds, WAIT_AMBER_SECONDS, WAIT_RED_SECONDS
            )
        for name in ("time_effort", "resolution"):
            value = getattr(self, name)
            if value is not None:
                out[name] = _low_is_bad(value, SCORE_RED, SCORE_AMBER)
        if self.required_agents is not None and self.present_agents is not None:
            short = self.present_agents - self.required_agents
            out["agents"] = RED if short < 0 else AMBER if short == 0 else GREEN
        return out

    def severity(self) -> tuple[float, ...]:
        """Sort key, smallest first = worst first: most red, then most amber, then lowest SL."""
        s = list(self.statuses().values())
        sl = self.service_level if self.service_level is not None else 1.0
        wait = self.longest_wait_seconds or 0.0
        return (-max(s, default=GREEN), -sum(s), sl - self.goal, -wait)


def _low_is_bad(value: float, red_below: float, amber_below: float) -> int:
    return RED if value < red_below else AMBER if value < amber_below else GREEN


def _high_is_bad(value: float, amber_from: float, red_from: float) -> int:
    return RED if value >= red_from else AMBER if value >= amber_from else GREEN


# metric name -> (row attribute, how to combine values from several workers)
_SUM, _MAX, _MIN = "sum", "max", "min"
_GAUGES: dict[str, tuple[str, str]] = {
    "pillarwatch_queue_waiting_contacts": ("waiting", _SUM),
    "pillarwatch_queue_longest_wait_seconds": ("longest_wait_seconds", _MAX),
    "pillarwatch_service_level_goal_ratio": ("service_level_goal", _MAX),
    "pillarwatch_staffing_required_agents": ("required_agents", _MAX),
    "pillarwatch_projected_service_level_ratio": ("projected_service_level", _MIN),
}
_WINDOWED: dict[str, tuple[str, str]] = {
    "pillarwatch_service_level_ratio": ("service_level", _MIN),
    "pillarwatch_abandon_ratio": ("abandon", _MAX),
}
_PILLARS = {"time_effort": "time_effort", "resolution": "resolution"}


def _combine(row: QueueRow, attr: str, how: str, value: float) -> None:
    if math.isnan(value):
        return
    old = getattr(row, attr)
    if old is None:
        new = value
    elif how == _SUM:
        new = old + value
    elif how == _MAX:
        new = max(old, value)
    else:
        new = min(old, value)
    setattr(row, attr, new)


def rows_from_metrics(texts: Iterable[str]) -> list[QueueRow]:
    """Rows from one or more /metrics texts (one per worker), worst queue first."""
    rows: dict[tuple[str, str], QueueRow] = {}

    def row(labels: dict[str, str]) -> QueueRow:
        key = (labels.get("queue", ""), labels.get("channel", ""))
        if key not in rows:
            rows[key] = QueueRow(*key)
        return rows[key]

    for text in texts:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                name, labels, value = sample.name, sample.labels, float(sample.value)
                if "queue" not in labels:
                    continue
                if name in _GAUGES:
                    _combine(row(labels), *_GAUGES[name], value)
                elif name in _WINDOWED and labels.get("window") == WINDOW:
                    _combine(row(labels), *_WINDOWED[name], value)
                elif (
                    name == "pillarwatch_pillar_score"
                    and labels.get("window") == SCORE_WINDOW
                    and labels.get("pillar") in _PILLARS
                ):
                    _combine(row(labels), _PILLARS[labels["pillar"]], _MIN, value)
                elif name == "pillarwatch_staffing_present_agents":
                    r = row(labels)
                    if labels.get("state") in PRESENT_STATES:
                        _combine(r, "present_agents", _SUM, value)
    return sorted(rows.values(), key=lambda r: (r.severity(), r.queue, r.channel))


def _num(value: float | None, fmt: str) -> str:
    if value is None:
        return NO_DATA
    if math.isinf(value):
        return "∞"
    return format(value, fmt)


def _pct(value: float | None) -> str:
    return NO_DATA if value is None else f"{value * 100:.0f}%"


def _cell(text: str, status: int | None) -> Text:
    return Text(text, style=_STYLE[status] if status is not None else "")


def render(rows: Sequence[QueueRow], title: str = "pillarwatch top") -> Table:
    """The wallboard table, one row per queue and channel in the order given."""
    table = Table(title=title, title_justify="left", expand=False, header_style="bold")
    table.add_column("Queue")
    table.add_column("Channel")
    table.add_column("Waiting", justify="right")
    table.add_column("Longest", justify="right")
    table.add_column(f"SL {WINDOW} / goal", justify="right")
    table.add_column(f"Abandon {WINDOW}", justify="right")
    table.add_column("Time & Effort 1h", justify="right")
    table.add_column("Resolution 1h", justify="right")
    table.add_column("Agents req / here", justify="right")
    table.add_column("Projected SL", justify="right")
    for r in rows:
        st = r.statuses()
        sl_text = NO_DATA
        if r.service_level is not None:
            sl_text = f"{_pct(r.service_level)} / {_pct(r.goal)}"
        agents = f"{_num(r.required_agents, '.0f')} / {_num(r.present_agents, '.0f')}"
        table.add_row(
            r.queue,
            r.channel,
            _num(r.waiting, ".0f"),
            _cell(_duration(r.longest_wait_seconds), st.get("longest_wait")),
            _cell(sl_text, st.get("service_level")),
            _cell(_pct(r.abandon), st.get("abandon")),
            _cell(_num(r.time_effort, ".0f"), st.get("time_effort")),
            _cell(_num(r.resolution, ".0f"), st.get("resolution")),
            _cell(agents, st.get("agents")),
            _cell(_pct(r.projected_service_level), st.get("projected")),
        )
    if not rows:
        table.caption = "no queue metrics yet: is traffic flowing?"
    return table


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return NO_DATA
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


class Unreachable(Exception):
    """A worker's /metrics could not be read; the message says why, for the banner."""


def fetch(url: str, timeout: float) -> str:
    """GET one /metrics page; Unreachable (never a traceback) on any network or HTTP failure."""
    if not url.startswith(("http://", "https://")):
        raise Unreachable(f"{url}: only http:// and https:// URLs are read")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body: bytes = resp.read()
            return body.decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        raise Unreachable(f"{url}: HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise Unreachable(f"{url}: {exc.reason}") from exc
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
        raise Unreachable(f"{url}: {exc}") from exc


def frame(urls: Sequence[str], timeout: float, interval: float) -> tuple[RenderableType, bool]:
    """One wallboard frame from the workers now, and whether every worker answered."""
    texts: list[str] = []
    errors: list[str] = []
    for url in urls:
        try:
            texts.append(fetch(url, timeout))
        except Unreachable as exc:
            errors.append(str(exc))
    stamp = datetime.now().strftime("%H:%M:%S")
    parts: list[RenderableType] = []
    if errors:
        retry = f"retrying every {interval:g}s" if interval > 0 else "not retrying (--once)"
        parts.append(
            Panel(
                Text("\n".join(errors)),
                title=f"WORKER UNREACHABLE ({len(errors)} of {len(urls)}), {retry}",
                border_style="bold red",
            )
        )
    if texts:
        try:
            rows = rows_from_metrics(texts)
        except ValueError as exc:  # not Prometheus text: say so, do not crash
            parts.append(Panel(Text(f"could not parse /metrics: {exc}"), border_style="bold red"))
        else:
            parts.append(render(rows, f"pillarwatch top  {stamp}  worst queue first"))
    return Group(*parts), not errors


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pillarwatch top", description="A live wallboard of every queue, worst first."
    )
    p.add_argument(
        "--url",
        action="append",
        help=f"a worker's /metrics; repeat for several workers (default {DEFAULT_URL})",
    )
    p.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a worker")
    p.add_argument("--once", action="store_true", help="print one frame and exit")
    return p


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Exit 0; with --once, 1 when a worker was unreachable (for scripts)."""
    args = _parser().parse_args(argv)
    if args.interval <= 0:
        print("pillarwatch top: --interval must be > 0", file=sys.stderr)
        return 2
    urls: list[str] = args.url or [DEFAULT_URL]
    console = console or Console()
    if args.once:
        renderable, ok = frame(urls, args.timeout, 0)
        console.print(renderable)
        return 0 if ok else 1
    try:
        with Live(console=console, auto_refresh=False, screen=False) as live:
            while True:
                renderable, _ = frame(urls, args.timeout, args.interval)
                live.update(renderable, refresh=True)
                time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
