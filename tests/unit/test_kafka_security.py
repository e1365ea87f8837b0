"""broker_security_from_env: off by default, SCRAM and TLS for Faust and aiokafka, clear errors."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from faust.auth import SASLCredentials, SSLCredentials
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from pillarwatch.streams.kafka_security import (
    CAFILE,
    CERTFILE,
    KEYFILE,
    MECHANISM,
    PASSWORD,
    PASSWORD_FILE,
    USERNAME,
    broker_security_from_env,
)


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA with a server certificate for 127.0.0.1 and a client certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    d = tmp_path_factory.mktemp("pki")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        cwd=d,
    )
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1"),
        ("client", "basicConstraints=CA:FALSE"),
    ):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            cwd=d,
        )
        (d / f"{name}.ext").write_text(ext + "\n")
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            f"{name}.ext",
            "-out",
            f"{name}.pem",
            cwd=d,
        )
    return Pki(d / "ca.pem", d / "server.pem", d / "server.key", d / "client.pem", d / "client.key")


@pytest.fixture
def mtls_server(pki: Pki) -> Iterator[tuple[int, list[str]]]:
    """A TLS server on 127.0.0.1 that requires a client certificate from the test CA.

    Yields its port and a list that receives the client certificate's CN per handshake.
    """
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    seen: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                cert = tls.getpeercert() or {}
                subject = cast(tuple[tuple[tuple[str, str], ...], ...], cert.get("subject", ()))
                for rdn in subject:
                    seen.extend(value for key, value in rdn if key == "commonName")
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], seen
    listener.close()
    thread.join(timeout=10)


def test_no_variables_means_no_security() -> None:
    assert broker_security_from_env({}) is None
    assert broker_security_from_env({"PILLARWATCH_BROKER": "kafka://kafka:9092"}) is None


def test_empty_values_count_as_unset() -> None:
    # docker compose passes `${VAR:-}` through as an empty string.
    env = {name: "" for name in (MECHANISM, USERNAME, PASSWORD, PASSWORD_FILE, CAFILE)}
    assert broker_security_from_env(env) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [("SCRAM-SHA-256", "SCRAM-SHA-256"), ("scram-sha-512", "SCRAM-SHA-512")],
)
def test_scram_over_plaintext(given: str, expected: str) -> None:
    creds = broker_security_from_env({MECHANISM: given, USERNAME: "pw", PASSWORD: "s3cret"})
    assert isinstance(creds, SASLCredentials)
    assert credentials_to_aiokafka_auth(creds) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": expected,
        "sasl_plain_username": "pw",
        "sasl_plain_password": "s3cret",
        "ssl_context": None,
    }
    assert "s3cret" not in repr(creds)


def test_password_file_drops_one_trailing_newline(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(" spaced pass \n")
    creds = broker_security_from_env(
        {MECHANISM: "SCRAM-SHA-512", USERNAME: "pw", PASSWORD_FILE: str(secret)}
    )
    assert credentials_to_aiokafka_auth(creds)["sasl_plain_password"] == " spaced pass "


def test_scram_over_tls_uses_the_ca(pki: Pki) -> None:
    creds = broker_security_from_env(
        {MECHANISM: "SCRAM-SHA-256", USERNAME: "pw", PASSWORD: "x", CAFILE: str(pki.ca)}
    )
    auth = credentials_to_aiokafka_auth(creds)
    assert auth["security_protocol"] == "SASL_SSL"
    ctx = auth["ssl_context"]
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] == 1


def test_tls_only_gives_ssl_credentials(pki: Pki) -> None:
    creds = broker_security_from_env({CAFILE: str(pki.ca)})
    assert isinstance(creds, SSLCredentials)
    assert credentials_to_aiokafka_auth(creds)["security_protocol"] == "SSL"


def test_client_certificate_completes_a_mutual_tls_handshake(
    pki: Pki, mtls_server: tuple[int, list[str]]
) -> None:
    port, seen = mtls_server
    creds = broker_security_from_env(
        {CAFILE: str(pki.ca), CERTFILE: str(pki.client_cert), KEYFILE: str(pki.client_key)}
    )
    ctx = credentials_to_aiokafka_auth(creds)["ssl_context"]
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.recv(1)  # TLS 1.3 checks the client certificate after the handshake: wait for it
    assert seen == ["client"]


def test_server_with_another_ca_is_refused(pki: Pki, tmp_path: Path) -> None:
    # The context must verify the broker: a CA bundle without our CA makes the handshake fail.
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=other",
        "-keyout",
        "o.key",
        "-out",
        "other.pem",
        cwd=tmp_path,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ctx = credentials_to_aiokafka_auth(
        broker_security_from_env({CAFILE: str(tmp_path / "other.pem")})
    )["ssl_context"]
    with (
        socket.create_connection(listener.getsockname(), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    listener.close()
    thread.join(timeout=10)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({USERNAME: "pw", PASSWORD: "x"}, [MECHANISM]),
        ({MECHANISM: "PLAIN", USERNAME: "pw", PASSWORD: "x"}, [MECHANISM, CAFILE, "clear text"]),
        ({MECHANISM: "GSSAPI", USERNAME: "pw", PASSWORD: "x"}, [MECHANISM, "PLAIN"]),
        ({MECHANISM: "SCRAM-SHA-256", PASSWORD: "x"}, [USERNAME]),
        ({MECHANISM: "SCRAM-SHA-256", USERNAME: "pw"}, [PASSWORD_FILE, PASSWORD]),
        (
            {MECHANISM: "SCRAM-SHA-256", USERNAME: "pw", PASSWORD: "x", PASSWORD_FILE: "/p"},
            [PASSWORD, PASSWORD_FILE, "only one"],
        ),
        (
            {MECHANISM: "SCRAM-SHA-256", USERNAME: "pw", PASSWORD_FILE: "/nonexistent/p"},
            [PASSWORD_FILE],
        ),
        ({CERTFILE: "/c.pem"}, [CAFILE]),
        ({KEYFILE: "/k.pem"}, [CAFILE]),
        ({CAFILE: "/nonexistent/ca.pem"}, [CAFILE, "not a file"]),
    ],
)
def test_invalid_combinations_name_the_variable(env: dict[str, str], names: list[str]) -> None:
    with pytest.raises(ValueError) as err:
        broker_security_from_env(env)
    for name in names:
        assert name in str(err.value)


def test_key_without_certificate_is_refused(pki: Pki) -> None:
    with pytest.raises(ValueError, match=f"{KEYFILE} is set without {CERTFILE}"):
        broker_security_from_env({CAFILE: str(pki.ca), KEYFILE: str(pki.client_key)})


def test_empty_password_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p").write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        broker_security_from_env(
            {MECHANISM: "SCRAM-SHA-256", USERNAME: "pw", PASSWORD_FILE: str(tmp_path / "p")}
        )


def test_garbage_ca_file_is_a_value_error(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    with pytest.raises(ValueError, match=CAFILE):
        broker_security_from_env({CAFILE: str(tmp_path / "ca.pem")})


def test_password_never_in_error_messages(tmp_path: Path) -> None:
    env = {MECHANISM: "SCRAM-SHA-256", USERNAME: "pw", PASSWORD: "hunter2", PASSWORD_FILE: "/p"}
    with pytest.raises(ValueError) as err:
        broker_security_from_env(env)
    assert "hunter2" not in str(err.value)


def test_plain_over_tls_is_sasl_ssl_with_plain(pki: Pki) -> None:
    # Managed Kafka (Confluent Cloud, Event Hubs) takes an API key/secret as SASL/PLAIN on TLS.
    creds = broker_security_from_env(
        {MECHANISM: "plain", USERNAME: "api-key", PASSWORD: "api-secret", CAFILE: str(pki.ca)}
    )
    auth = credentials_to_aiokafka_auth(creds)
    assert (auth["security_protocol"], auth["sasl_mechanism"]) == ("SASL_SSL", "PLAIN")
    assert auth["sasl_plain_username"] == "api-key"
    assert isinstance(auth["ssl_context"], ssl.SSLContext)


@pytest.fixture
def tls_listener(pki: Pki) -> Iterator[tuple[int, list[str]]]:
    """A TLS server on 127.0.0.1 (the test CA's certificate) that notes each handshake."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    handshakes: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                handshakes.append(tls.version() or "tls")
        except (ssl.SSLError, OSError):
            handshakes.append("not TLS")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], handshakes
    listener.close()
    thread.join(timeout=20)


def test_ingest_producer_uses_the_broker_security_variables(
    pki: Pki, tls_listener: tuple[int, list[str]]
) -> None:
    # Before: the ingest producer ignored PILLARWATCH_BROKER_* and spoke plaintext.
    import asyncio

    from pillarwatch.ingest.http import PRODUCER, make_app
    from pillarwatch.ingest.producer import BrokerUnavailable
    from pillarwatch.ingest.settings import IngestSettings

    port, handshakes = tls_listener
    settings = IngestSettings.from_env(
        {
            "PILLARWATCH_BROKER": f"kafka://127.0.0.1:{port}",
            "PILLARWATCH_INGEST_SEND_TIMEOUT_SECONDS": "2",
            MECHANISM: "PLAIN",
            USERNAME: "api-key",
            PASSWORD: "api-secret",
            CAFILE: str(pki.ca),
        }
    )
    assert settings.kafka_options["security_protocol"] == "SASL_SSL"
    assert "api-secret" not in repr(settings)
    producer = make_app(settings)[PRODUCER]

    async def attempt() -> None:
        # The listener speaks TLS but not Kafka: the send fails, after the TLS handshake.
        with pytest.raises(BrokerUnavailable):
            await producer.send([{"contact_id": "c", "type": "x"}])  # type: ignore[list-item]
        await producer.stop()

    asyncio.run(attempt())
    assert handshakes and handshakes[0].startswith("TLS")


def test_topic_admin_and_simulator_use_the_same_variables(
    pki: Pki, tls_listener: tuple[int, list[str]]
) -> None:
    # `pillarwatch simulate`/`replay` and the worker create topics first (streams/topics.py),
    # through an admin client built from the same PILLARWATCH_BROKER_* settings.
    import asyncio

    from pillarwatch.produce import produce
    from pillarwatch.streams.settings import Settings, SettingsError

    port, handshakes = tls_listener
    settings = Settings.from_env(
        {
            "PILLARWATCH_BROKER": f"kafka://127.0.0.1:{port}",
            MECHANISM: "SCRAM-SHA-512",
            USERNAME: "pw",
            PASSWORD: "x",
            CAFILE: str(pki.ca),
        }
    )
    with pytest.raises(SettingsError, match="PILLARWATCH_BROKER"):
        asyncio.run(asyncio.wait_for(produce(settings, [(b"k", b"{}")]), 30))
    assert handshakes and handshakes[0].startswith("TLS")
