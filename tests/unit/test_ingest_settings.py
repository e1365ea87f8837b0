"""`pillarwatch ingest` settings: named errors for bad values, and no open route on a reachable
address (the start-up refusal), checked through the real command line where it matters."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pillarwatch.broker import free_port
from pillarwatch.ingest.settings import IngestSettings, IngestSettingsError


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PILLARWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "pillarwatch", "ingest", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_receiver_refuses_a_reachable_address_without_auth_for_every_platform() -> None:
    # Before: it started on 0.0.0.0 with Connect and Genesys open to anyone (this run would
    # not end by itself; the timeout fails the test).
    run = _cli({"PILLARWATCH_INGEST_PORT": str(free_port())}, "http", "--host", "0.0.0.0")
    assert run.returncode == 2
    for name in (
        "PILLARWATCH_INGEST_HOST=0.0.0.0",
        "PILLARWATCH_INGEST_TWILIO_AUTH_TOKEN",
        "PILLARWATCH_INGEST_CONNECT_API_KEY",
        "PILLARWATCH_INGEST_GENESYS_API_KEY",
    ):
        assert name in run.stderr
    assert "Traceback" not in run.stderr


def test_reachable_address_is_allowed_once_every_served_platform_has_a_secret(
    tmp_path: Path,
) -> None:
    (tmp_path / "connect-key").write_text("k-from-a-file\n")
    env = {
        "PILLARWATCH_INGEST_HOST": "0.0.0.0",
        "PILLARWATCH_INGEST_SOURCES": "connect,genesys",
        "PILLARWATCH_INGEST_CONNECT_API_KEY_FILE": str(tmp_path / "connect-key"),
        "PILLARWATCH_INGEST_GENESYS_HMAC_SECRET": "h",
    }
    settings = IngestSettings.from_env(env)
    settings.check_exposure()  # does not raise
    assert settings.api_keys == {"connect": "k-from-a-file"}
    assert [r.path for r in settings.routes()] == ["/aws/connect", "/genesys"]
    with pytest.raises(IngestSettingsError, match="PILLARWATCH_INGEST_TWILIO_AUTH_TOKEN"):
        IngestSettings.from_env({**env, "PILLARWATCH_INGEST_SOURCES": ""}).check_exposure()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PILLARWATCH_INGEST_PORT", "eighty"),
        ("PILLARWATCH_INGEST_SEND_TIMEOUT_SECONDS", "nan"),
        ("PILLARWATCH_INGEST_QUEUE_NAMES", '{"q1": '),
        ("PILLARWATCH_INGEST_SOURCES", "connect,skype"),
        ("PILLARWATCH_BROKER", "localhost:9092"),
    ],
)
def test_bad_ingest_variable_is_a_named_error_not_a_traceback(variable: str, value: str) -> None:
    run = _cli({variable: value}, "http")
    assert run.returncode == 2
    assert variable in run.stderr and "Traceback" not in run.stderr
