"""The backtest's pure parts: firing intervals honouring `for:`, the comparison of two rule
sets, the comparison split the report draws, rule layers for the backfill, the OpenMetrics
file (checked by promtool itself), the event loader and the scenario traffic."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from pillarwatch.backtest.alerts import Firing, duration_seconds, firings_of
from pillarwatch.backtest.compare import compare
from pillarwatch.backtest.openmetrics import OpenMetricsWriter, write_openmetrics
from pillarwatch.backtest.prometheus import load_rules, rule_layers
from pillarwatch.backtest.record import (
    BacktestError,
    Event,
    _step_events,
    load_events,
    recorded,
    stretches,
)
from pillarwatch.backtest.report import split_comparison
from pillarwatch.backtest.scenarios import WEEKDAY_SHARE, Collapse, WeeklySimulation
from tests.unit.known_metrics import RULES_DIR

ALERT = {"alert": "X", "expr": "x > 1", "for": "2m", "labels": {"severity": "page"}}


def _series(times: list[float], labels: dict[str, str] | None = None) -> list[dict[str, object]]:
    return [{"metric": labels or {"queue": "q"}, "values": [(t, 2.0 + t / 1000) for t in times]}]


def test_duration_seconds() -> None:
    assert duration_seconds("1h30m") == 5400
    assert duration_seconds("15s") == 15
    with pytest.raises(ValueError, match="duration"):
        duration_seconds("15 s")


def test_an_alert_fires_after_its_for_and_resolves_at_the_first_gap() -> None:
    # Returned at 0..300 every 60 s, then from 600 to 660: the first run holds 5 minutes, the
    # second only one, under the 2 minutes of `for:`.
    times = [0.0, 60, 120, 180, 240, 300, 600, 660]
    [firing] = firings_of(ALERT, _series(times), step=60, end=1000)
    assert (firing.start, firing.end) == (120, 360)
    assert firing.labels == {"queue": "q", "severity": "page"}
    assert firing.value == pytest.approx(2.12)


def test_an_alert_without_for_fires_at_once_and_runs_to_the_period_end() -> None:
    rule = {**ALERT, "for": "0s"}
    [firing] = firings_of(rule, _series([900.0, 960.0]), step=60, end=960)
    assert (firing.start, firing.end) == (900, 960)


def _firing(start: float, end: float, queue: str = "q") -> Firing:
    return Firing("X", {"queue": queue}, start, end, 1.0, 1.0)


def test_comparison_names_appeared_disappeared_moved_and_unchanged() -> None:
    current = [_firing(0, 100), _firing(200, 300), _firing(500, 600, "other")]
    proposed = [_firing(0, 100), _firing(250, 300), _firing(800, 900)]
    kinds = [(c.kind, (c.current or c.proposed).start) for c in compare(current, proposed)]  # type: ignore[union-attr]
    assert kinds == [("unchanged", 0), ("moved", 200), ("disappeared", 500), ("appeared", 800)]


def test_comparison_tolerates_a_shift_of_one_step() -> None:
    [change] = compare([_firing(0, 100)], [_firing(60, 160)], tolerance=60)
    assert change.kind == "unchanged"
    [change] = compare([_firing(0, 100)], [_firing(61, 160)], tolerance=60)
    assert change.kind == "moved"


@pytest.mark.parametrize(
    ("expr", "parts"),
    [
        (
            'a{window="5m"} >= 2\nand ignoring (window)\nb{window="5m"} >= 10',
            ('a{window="5m"}', ">=", "2"),
        ),
        ("a\n> on (queue, channel)\nlimit", ("a", ">", "limit")),
        ('rate(x{l=~"a|b"}[5m]) < 0.5 unless y', ('rate(x{l=~"a|b"}[5m])', "<", "0.5")),
        ("absent(up)", None),
    ],
)
def test_split_comparison(expr: str, parts: tuple[str, str, str] | None) -> None:
    assert split_comparison(expr) == parts


def test_rule_layers_put_each_rule_after_what_it_reads() -> None:
    layers = rule_layers(load_rules(RULES_DIR))
    seen: set[str] = set()
    records = {r["record"] for layer in layers for r in layer}
    from pillarwatch.dashboards.promql import metric_names

    for layer in layers:
        for rule in layer:
            assert metric_names(rule["expr"]) & records <= seen, rule["record"]
        seen |= {r["record"] for r in layer}
    # targets -> goal -> burn rate: at least three layers; baselines read the aggregates.
    assert len(layers) >= 3


def test_openmetrics_file_is_accepted_by_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package prometheus)")
    scrape = (
        "# HELP pillarwatch_events_total Accepted input events.\n"
        "# TYPE pillarwatch_events_total counter\n"
        'pillarwatch_events_total{type="contact.queued"} %d\n'
        'pillarwatch_events_created{type="contact.queued"} 1.7e9\n'
        "# TYPE pillarwatch_window_contacts gauge\n"
        'pillarwatch_window_contacts{queue="q",channel="voice",window="5m"} %d\n'
        "faust_messages_received_total 3\n"
    )
    halves = [OpenMetricsWriter(tmp_path / "a"), OpenMetricsWriter(tmp_path / "b")]
    for i in range(4):
        halves[i // 2].add(scrape % (i, 10 * i), 1_800_000_000 + 60 * i)
    for w in halves:
        w.close()
    out = tmp_path / "m.om"
    write_openmetrics(halves, out)
    text = out.read_text()
    assert "faust_" not in text and "_created" not in text
    assert text.count("# TYPE pillarwatch_window_contacts gauge") == 1
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(out), str(tmp_path / "db")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (tmp_path / "db" / "wal").mkdir()  # promtool's dump opens the write-ahead log too
    dump = subprocess.run(
        [promtool, "tsdb", "dump", str(tmp_path / "db")], capture_output=True, text=True, check=True
    ).stdout
    assert dump.count("pillarwatch_window_contacts") == 4


def test_load_events_sorts_by_event_time_and_keeps_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    lines = [
        {"contact_id": "c2", "ts": "2026-11-02T10:00:05Z"},
        {"contact_id": "c1", "ts": "2026-11-02T10:00:01Z"},
    ]
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\n{broken\n\n")
    events = load_events(path)
    # The bad line keeps the time of the line before it in the file (c1's, after sorting).
    assert [e[1] for e in events] == [b"c1", None, b"c2"]
    assert events[1][0] == events[0][0]


def test_load_events_names_a_file_that_starts_without_a_time(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"contact_id": "c1"}\n')
    with pytest.raises(BacktestError, match=r"e\.jsonl:1: no event time"):
        load_events(path)


def _arrivals(sim: WeeklySimulation, start: float, hours: int) -> int:
    return sum(
        1
        for e in sim.events(start, start + hours * 3600)
        if e["type"] == "contact.queued" and "callback_for" not in e
    )


def test_weekly_pattern_and_collapse_thin_the_arrivals() -> None:
    monday = datetime(2026, 11, 2, tzinfo=UTC).timestamp()
    sunday = monday + 6 * 86400
    busy = _arrivals(WeeklySimulation(seed=1, daily_profile=False), monday, 6)
    quiet = _arrivals(WeeklySimulation(seed=1, daily_profile=False), sunday, 6)
    assert quiet / busy == pytest.approx(WEEKDAY_SHARE[6] / WEEKDAY_SHARE[0], rel=0.25)
    collapsed = WeeklySimulation(
        seed=1, daily_profile=False, collapses=[Collapse(monday, monday + 6 * 3600, "sales", 0.0)]
    )
    assert not any(
        e["queue"] == "sales" and e["type"] == "contact.queued"
        for e in collapsed.events(monday, monday + 6 * 3600)
    )


def test_an_earlier_recording_gives_its_period_for_another_evaluation(tmp_path: Path) -> None:
    writer = OpenMetricsWriter(tmp_path / "spool")
    for i in range(5):
        writer.add(f'pillarwatch_x{{queue="q"}} {i}\npillarwatch_y {i}\n', 1_800_000_000 + 300 * i)
    writer.close()
    write_openmetrics([writer], tmp_path / "m.om")
    rec = recorded(tmp_path / "m.om", 300)
    assert (rec.start, rec.end, rec.steps) == (1_800_000_000, 1_800_001_200, 5)
    assert (rec.samples, rec.series) == (10, 2)
    (tmp_path / "empty.om").write_text("# EOF\n")
    with pytest.raises(BacktestError, match="no samples"):
        recorded(tmp_path / "empty.om", 300)


def test_report_span_draws_only_the_asked_part_of_the_period() -> None:
    from pillarwatch.backtest.cli import event_time, report_span

    start = event_time("2026-11-02T00:00Z", "--report-from")
    end = event_time("2026-11-30T00:00:00+00:00", "--report-to")
    assert start is not None and end is not None
    sunday = event_time("2026-11-29T08:00", "--report-from")  # no zone: UTC
    assert sunday == end - 16 * 3600
    assert report_span(start, end, sunday, None) == (sunday, end)
    assert report_span(start, end, None, None) == (start, end)
    assert report_span(start, end, start - 3600, end + 3600) == (start, end)
    with pytest.raises(BacktestError, match="--report-from/--report-to"):
        report_span(start, end, end, None)
    with pytest.raises(BacktestError, match="--report-to: 'Sunday'"):
        event_time("Sunday", "--report-to")


@pytest.mark.parametrize(
    ("steps", "parallel", "max_steps", "sizes"),
    [
        (10, 1, 0, [10]),  # no limit: one stretch, exact
        (10, 3, 0, [4, 3, 3]),  # cuts at 10/3 and 20/3 steps
        (1000, 4, 2000, [250, 250, 250, 250]),  # within the limit, one per replay
        (3, 8, 2000, [1, 1, 1]),  # never an empty stretch
    ],
)
def test_stretches_without_events_cut_at_equal_steps(
    steps: int, parallel: int, max_steps: int, sizes: list[int]
) -> None:
    grid = [float(i) for i in range(steps)]
    cut = stretches(grid, parallel, max_steps)
    assert [len(c) for c in cut] == sizes
    assert [t for c in cut for t in c] == grid


@pytest.mark.parametrize("parallel", [1, 2])
def test_the_step_limit_cuts_a_long_period_whatever_runs_side_by_side(parallel: int) -> None:
    grid = [float(i) for i in range(4024)]
    cut = stretches(grid, parallel, 2000)
    # 4,024 steps need 3 stretches of at most 2,000; equal shares are 1,341.3 steps.
    assert len(cut) == 3
    assert all(1341 <= len(c) <= 1342 for c in cut)
    assert [t for c in cut for t in c] == grid


def test_the_event_limit_cuts_where_the_events_are() -> None:
    # A quiet night of 60 steps with 1 event each, then a busy day of 40 steps with 50 each:
    # 2,060 events. At most 1,000 events a stretch (no step limit) needs 3 stretches; the
    # cuts fall at 2,060/3 = 686.7 and 1,373.3 events: after the 60 quiet events, 13 busy
    # steps reach 710 (step 73), 27 reach 1,410 (step 87).
    grid = [float(i) for i in range(100)]
    events = [1] * 60 + [50] * 40
    cut = stretches(grid, 1, 0, events, 1000)
    assert [len(c) for c in cut] == [73, 14, 13]
    assert [t for c in cut for t in c] == grid


def test_each_step_counts_the_events_it_feeds() -> None:
    # Events at 0, 1, 2, 5 and 6 s; steps at 2, 4 and 6 s: the first step feeds everything up
    # to 2 s (3 events), the second none, the third the events in (4, 6].
    events: list[Event] = [(float(t), None, b"{}") for t in (0, 1, 2, 5, 6)]
    assert _step_events(events, [2.0, 4.0, 6.0]) == [3, 0, 2]
