"""Dashboards as code: the committed JSON is what the code generates, every panel is complete
and queries real metrics, thresholds follow the configured targets, and push fails clearly."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from pillarwatch.dashboards.cli import main
from pillarwatch.dashboards.panels import DATASOURCE_UID
from pillarwatch.dashboards.promql import metric_names
from pillarwatch.dashboards.render import render_all
from pillarwatch.dashboards.targets import WallboardTargets, load_targets
from tests.unit.known_metrics import known_series

BOARDS = render_all(WallboardTargets())
COMMITTED = Path(__file__).resolve().parents[2] / "dashboards" / "json"


def _panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def _all_panels() -> list[tuple[str, dict[str, Any]]]:
    return [(uid, p) for uid, text in BOARDS.items() for p in _panels(json.loads(text))]


def test_committed_json_is_what_the_code_generates() -> None:
    committed = {p.stem: p.read_text(encoding="utf-8") for p in COMMITTED.glob("*.json")}
    assert sorted(committed) == sorted(BOARDS)
    for uid, text in BOARDS.items():
        assert committed[uid] == text, f"{uid}.json is stale: run `pillarwatch dashboards build`"


def test_build_writes_the_same_bytes_twice(tmp_path: Path) -> None:
    assert main(["build", "--out", str(tmp_path / "a")]) == 0
    assert main(["build", "--out", str(tmp_path / "b")]) == 0
    for path in sorted((tmp_path / "a").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert text == (tmp_path / "b" / path.name).read_text(encoding="utf-8")
        assert text.endswith("}\n")
        assert json.loads(text)["uid"] == path.stem


def test_four_dashboards_with_the_fixed_uids() -> None:
    assert sorted(BOARDS) == [
        "pillarwatch-pillars",
        "pillarwatch-pipeline",
        "pillarwatch-queue",
        "pillarwatch-wallboard",
    ]


@pytest.mark.parametrize(
    ("uid", "panel"), _all_panels(), ids=[f"{u}:{p['title']}" for u, p in _all_panels()]
)
def test_panel_has_title_unit_datasource_and_queries(uid: str, panel: dict[str, Any]) -> None:
    assert panel["title"].strip()
    assert panel.get("description", "").strip(), "say what question the panel answers"
    assert panel["fieldConfig"]["defaults"]["unit"]
    assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}
    assert panel["targets"], "a panel without a query shows nothing"
    for target in panel["targets"]:
        assert target["datasource"]["uid"] == DATASOURCE_UID
        assert target["expr"].strip()


def test_panel_ids_are_unique_per_dashboard() -> None:
    for uid, text in BOARDS.items():
        ids = [p["id"] for p in json.loads(text)["panels"]]
        assert len(ids) == len(set(ids)), uid


def test_every_metric_in_a_query_is_exported_or_recorded() -> None:
    known = known_series()
    exprs = [t["expr"] for _, p in _all_panels() for t in p["targets"]]
    for text in BOARDS.values():
        for variable in json.loads(text)["templating"].get("list", []):
            # label_values(<selector>, <label>): the selector is the query
            selector = re.fullmatch(r"label_values\((.*),\s*\w+\)", variable["definition"])
            assert selector is not None, variable["definition"]
            exprs.append(selector.group(1))
    unknown = {(e, n) for e in exprs for n in metric_names(e) - known}
    assert unknown == set()


def test_wallboard_has_the_six_tiles_and_a_staffing_strip_repeated_per_queue() -> None:
    board = json.loads(BOARDS["pillarwatch-wallboard"])
    row, *tiles, strip = board["panels"]
    assert row["type"] == "row" and row["repeat"] == "queue"
    assert [t["title"] for t in tiles] == [
        "Service level (5m)",
        "Waiting now",
        "Longest wait",
        "Abandoned (5m)",
        "Time & Effort (1h)",
        "Resolution (1h)",
    ]
    assert sum(t["gridPos"]["w"] for t in tiles) == 24
    assert strip["title"] == "Agents short (Erlang C)" and strip["gridPos"]["w"] == 24


def _steps(boards: dict[str, str], title: str) -> list[tuple[float | None, str]]:
    board = json.loads(boards["pillarwatch-wallboard"])
    (tile,) = [p for p in board["panels"] if p["title"] == title]
    steps = tile["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [(s["value"], s["color"]) for s in steps]


def test_service_level_colours_follow_the_default_goal() -> None:
    steps = _steps(BOARDS, "Service level (5m)")
    assert [c for _, c in steps] == ["red", "#FF9830", "green"]
    assert steps[1][0] == pytest.approx(0.7)
    assert steps[2][0] == pytest.approx(0.8)


def test_service_level_colours_follow_a_configured_goal(tmp_path: Path) -> None:
    config = tmp_path / "pillarwatch.toml"
    config.write_text(
        "[defaults]\nservice_level_goal = 0.9\nservice_level_seconds = 10\n"
        "[wallboard]\nlongest_wait_red_seconds = 30\n"
    )
    boards = render_all(load_targets(config))
    assert _steps(boards, "Service level (5m)")[-1] == (0.9, "green")
    assert [v for v, _ in _steps(boards, "Longest wait")] == [None, 10.0, 30.0]


def test_bad_config_fails_with_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[wallboard]\nwaiting_red = 'many'\n")
    assert main(["--config", str(config), "build", "--out", str(tmp_path / "o")]) == 2
    assert "wallboard.waiting_red" in capsys.readouterr().err


# --- push -------------------------------------------------------------------------------

TOKEN = "glsa_test_token"


class _Grafana(BaseHTTPRequestHandler):
    """The three Grafana HTTP API calls push makes, with bearer-token auth."""

    received: list[tuple[str, str, dict[str, Any]]] = []
    folders: set[str] = set()

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"message": "invalid API key"})
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        uid = self.path.rsplit("/", 1)[-1]
        if uid in self.folders:
            self._reply(200, {"uid": uid})
        else:
            self._reply(404, {"message": "folder not found"})

    def do_POST(self) -> None:
        if not self._authorised():
            return
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.received.append(("POST", self.path, body))
        if self.path == "/api/folders":
            self.folders.add(body["uid"])
        self._reply(200, {"status": "success", "uid": body.get("uid", "")})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def grafana() -> Iterator[str]:
    _Grafana.received = []
    _Grafana.folders = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Grafana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILLARWATCH_GRAFANA_TOKEN", TOKEN)


def test_push_creates_the_folder_and_uploads_every_dashboard(grafana: str) -> None:
    assert main(["push", "--url", grafana, "--folder", "Contact Centre"]) == 0
    folder_posts = [b for _, p, b in _Grafana.received if p == "/api/folders"]
    boards = [b for _, p, b in _Grafana.received if p == "/api/dashboards/db"]
    assert folder_posts == [{"title": "Contact Centre", "uid": "contact-centre"}]
    assert sorted(b["dashboard"]["uid"] for b in boards) == sorted(BOARDS)
    assert all(b["folderUid"] == "contact-centre" and b["overwrite"] for b in boards)


def test_push_twice_reuses_the_folder(grafana: str) -> None:
    assert main(["push", "--url", grafana]) == 0
    assert main(["push", "--url", grafana]) == 0
    assert [p for _, p, _ in _Grafana.received].count("/api/folders") == 1


def test_push_with_a_bad_token_says_so(
    grafana: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILLARWATCH_GRAFANA_TOKEN", "wrong")
    assert main(["push", "--url", grafana]) == 1
    err = capsys.readouterr().err
    assert "refused the token" in err and "wrong" not in err


def test_push_refuses_a_token_on_the_command_line(
    grafana: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A token in argv shows in `ps` and shell history: refused before anything is sent.
    assert main(["push", "--url", grafana, "--token", TOKEN]) == 1
    err = capsys.readouterr().err
    assert "--token is not accepted" in err and "PILLARWATCH_GRAFANA_TOKEN" in err
    assert TOKEN not in err and _Grafana.received == []


def test_push_reads_the_token_from_a_file(
    grafana: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PILLARWATCH_GRAFANA_TOKEN")
    (tmp_path / "token").write_text(TOKEN + "\n")
    assert main(["push", "--url", grafana, "--token-file", str(tmp_path / "token")]) == 0
    assert len([p for _, p, _ in _Grafana.received if p == "/api/dashboards/db"]) == len(BOARDS)


def test_push_without_a_token_names_the_variable(
    grafana: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PILLARWATCH_GRAFANA_TOKEN")
    assert main(["push", "--url", grafana]) == 1
    assert "PILLARWATCH_GRAFANA_TOKEN" in capsys.readouterr().err


def test_push_to_an_unreachable_grafana_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["push", "--url", f"http://127.0.0.1:{port}"]) == 1
    assert "cannot reach Grafana" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["grafana:3000", "ftp://host/", "http://"])
def test_push_with_a_bad_url_says_so(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["push", "--url", url]) == 1
    assert "bad Grafana URL" in capsys.readouterr().err


def test_promql_names_skip_functions_labels_ranges_and_grouping() -> None:
    expr = (
        'sum by (le, queue) (rate(x_bucket{queue=~"$queue", le!="1"}[$__rate_interval])) '
        "/ on (queue) group_left () y:rec:ratio offset 5m > bool 1e3 or vector(0)"
    )
    assert metric_names(expr) == {"x_bucket", "y:rec:ratio"}


def test_grafana_provisioning_matches_the_panels() -> None:
    root = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "provisioning"
    sources = yaml.safe_load((root / "datasources" / "pillarwatch.yml").read_text())
    assert [d["uid"] for d in sources["datasources"]] == [DATASOURCE_UID]
    providers = yaml.safe_load((root / "dashboards" / "pillarwatch.yml").read_text())
    assert providers["providers"][0]["type"] == "file"


def test_build_writes_where_the_user_is_never_into_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = Path(render_all.__code__.co_filename).parent / "json"
    before = {p: p.stat().st_mtime_ns for p in package.glob("*.json")}
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 0
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(BOARDS)
    assert {p: p.stat().st_mtime_ns for p in package.glob("*.json")} == before
