"""pillarwatch top: rows from a recorded /metrics, the rendered table, and unreachable workers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rich.console import Console

from pillarwatch import top
from pillarwatch.top import AMBER, GREEN, RED, render, rows_from_metrics

SAMPLE = (Path(__file__).parent.parent / "data" / "metrics_sample.txt").read_text()
WORKER_1, WORKER_2 = SAMPLE.split("# worker: 2\n")

WORST_FIRST = [
    ("tech_support", "voice"),
    ("billing", "voice"),
    ("retentions", "voice"),
    ("billing", "chat"),
    ("sales", "voice"),
    ("sales", "chat"),
]


def _text(renderable: object, width: int = 160) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_rows_are_worst_queue_first() -> None:
    rows = rows_from_metrics([WORKER_1, WORKER_2])
    assert [(r.queue, r.channel) for r in rows] == WORST_FIRST


def test_live_gauges_are_combined_across_workers() -> None:
    rows = {(r.queue, r.channel): r for r in rows_from_metrics([WORKER_1, WORKER_2])}
    tech = rows["tech_support", "voice"]
    assert tech.waiting == 9 + 6  # summed over the two workers' partitions
    assert tech.longest_wait_seconds == 305  # the older of 212 s and 305 s
    # available + busy + after_call_work on both workers; break and offline do not staff a queue
    assert tech.present_agents == (0 + 5 + 0) + (0 + 9 + 2)
    assert tech.required_agents == 22
    assert (tech.service_level, tech.service_level_goal, tech.abandon) == (0.42, 0.85, 0.181)
    assert (tech.time_effort, tech.resolution) == (34.32, 60.32)  # the 1h window, not 5m
    assert rows["billing", "voice"].present_agents == 7 + 5


def test_one_concatenated_text_reads_like_two_workers() -> None:
    assert rows_from_metrics([SAMPLE]) == rows_from_metrics([WORKER_1, WORKER_2])


def test_colours_follow_the_goal_and_thresholds() -> None:
    rows = {(r.queue, r.channel): r for r in rows_from_metrics([SAMPLE])}
    tech = rows["tech_support", "voice"].statuses()
    assert tech["service_level"] == RED and tech["agents"] == RED and tech["abandon"] == RED
    retentions = rows["retentions", "voice"].statuses()
    assert retentions["service_level"] == AMBER  # 82% is above the 80% goal, but only just
    assert retentions["resolution"] == RED
    assert set(rows["sales", "chat"].statuses().values()) == {GREEN}


def test_rendered_table_shows_each_queue_in_order() -> None:
    text = _text(render(rows_from_metrics([SAMPLE])))
    lines = [line for line in text.splitlines() if line.startswith("│")]
    assert [tuple(line.split("│")[1:3]) for line in lines] == [
        (f" {q:<12} ", f" {c:<7} ") for q, c in WORST_FIRST
    ]
    tech = lines[0]
    for cell in ("15", "5:05", "42% / 85%", "18%", "34", "60", "22 / 16", "0%"):
        assert f" {cell} " in tech
    assert "SL 5m / goal" in text and "Agents req / here" in text


def test_missing_figures_show_a_dash_not_zero() -> None:
    text = (
        "# TYPE pillarwatch_queue_waiting_contacts gauge\n"
        'pillarwatch_queue_waiting_contacts{channel="voice",queue="new"} 2.0\n'
    )
    rows = rows_from_metrics([text])
    assert rows[0].service_level is None
    line = next(x for x in _text(render(rows)).splitlines() if "new" in x)
    assert line.count(" - ") >= 6


def test_no_queues_says_so() -> None:
    assert "no queue metrics yet" in _text(render(rows_from_metrics(["# nothing\n"])))


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/metrics"  # bound then closed: nothing listens there


@pytest.fixture
def worker_url() -> Iterator[str]:
    body = WORKER_1.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def _run(argv: list[str]) -> tuple[int, str]:
    console = Console(record=True, width=160, color_system=None)
    code = top.main(argv, console=console)
    return code, console.export_text()


def test_unreachable_worker_shows_a_banner_not_a_traceback(closed_port_url: str) -> None:
    code, text = _run(["--once", "--url", closed_port_url])
    assert code == 1
    assert "WORKER UNREACHABLE (1 of 1)" in text
    assert closed_port_url in text and "refused" in text.lower()
    assert "Traceback" not in text


def test_reachable_worker_draws_its_queues(worker_url: str) -> None:
    code, text = _run(["--once", "--url", worker_url])
    assert code == 0
    assert "UNREACHABLE" not in text
    assert "tech_support" in text and "sales" in text


def test_one_unreachable_of_two_keeps_the_table(worker_url: str, closed_port_url: str) -> None:
    code, text = _run(["--once", "--url", worker_url, "--url", closed_port_url])
    assert code == 1
    assert "WORKER UNREACHABLE (1 of 2)" in text
    assert "billing" in text


def test_live_loop_keeps_retrying_an_unreachable_worker(
    closed_port_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the third wait ends the loop like Ctrl-C would
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("pillarwatch.top.time.sleep", sleep)
    code, text = _run(["--url", closed_port_url, "--interval", "0.5"])
    assert code == 0
    assert sleeps == [0.5, 0.5, 0.5]
    assert "retrying every 0.5s" in text


def test_only_http_urls_are_read() -> None:
    with pytest.raises(top.Unreachable, match="only http"):
        top.fetch("file:///etc/passwd", 1.0)


def test_bad_interval_is_refused() -> None:
    assert top.main(["--interval", "0"]) == 2
