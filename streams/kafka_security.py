"""Broker security (SASL and TLS) for every Kafka client, from PILLARWATCH_BROKER_* variables.

One set of variables serves the worker (Faust's consumer, producer and admin client), the
topic-creating admin client, the simulator/replay producer and the ingest receiver's producer.

Off by default: with none of the variables set the worker talks PLAINTEXT, as it does to the
embedded broker and to the compose stack's Kafka. The result is a Faust credentials object for
`faust.App(broker_credentials=...)`; Faust turns it into aiokafka's `security_protocol`,
`sasl_*` and `ssl_context` settings for its consumer, producer and admin client.

Variables (an empty value counts as unset, so compose can pass `${VAR:-}` through):

- PILLARWATCH_BROKER_SASL_MECHANISM: SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (case-insensitive).
  PLAIN sends the password itself, so it is accepted only over TLS (PILLARWATCH_BROKER_TLS_CAFILE
  set): that is how managed services (Confluent Cloud, Event Hubs, Aiven) take an API key/secret.
- PILLARWATCH_BROKER_SASL_USERNAME: the SASL user (for PLAIN on a managed service: the API key).
- PILLARWATCH_BROKER_SASL_PASSWORD or PILLARWATCH_BROKER_SASL_PASSWORD_FILE (one of them):
  the password, or a file holding it (a Docker/Kubernetes secret; one trailing newline is
  ignored). Prefer the file: environment variables show up in `docker inspect`.
- PILLARWATCH_BROKER_TLS_CAFILE: PEM bundle of the CAs that signed the broker certificate;
  setting it turns TLS on (SASL_SSL with a mechanism, SSL without). For a broker with a public
  certificate point it at the system bundle, e.g. /etc/ssl/certs/ca-certificates.crt.
- PILLARWATCH_BROKER_TLS_CERTFILE, PILLARWATCH_BROKER_TLS_KEYFILE: optional client certificate
  (mutual TLS); the key may also sit in the certificate file.

Every invalid combination raises ValueError naming the variable and the fix. Messages never
contain the password.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context
from faust.auth import SASLCredentials, SSLCredentials
from faust.types.auth import CredentialsT, SASLMechanism

__all__ = [
    "MECHANISMS",
    "SCRAM_MECHANISMS",
    "VARIABLES",
    "aiokafka_security_from_env",
    "broker_security_from_env",
]

_P = "PILLARWATCH_BROKER_"
MECHANISM = f"{_P}SASL_MECHANISM"
USERNAME = f"{_P}SASL_USERNAME"
PASSWORD = f"{_P}SASL_PASSWORD"
PASSWORD_FILE = f"{_P}SASL_PASSWORD_FILE"
CAFILE = f"{_P}TLS_CAFILE"
CERTFILE = f"{_P}TLS_CERTFILE"
KEYFILE = f"{_P}TLS_KEYFILE"
VARIABLES = (MECHANISM, USERNAME, PASSWORD, PASSWORD_FILE, CAFILE, CERTFILE, KEYFILE)

# GSSAPI and OAUTHBEARER need more than a user and password; PLAIN needs TLS (below).
SCRAM_MECHANISMS = {m.value: m for m in (SASLMechanism.SCRAM_SHA_256, SASLMechanism.SCRAM_SHA_512)}
MECHANISMS = {**SCRAM_MECHANISMS, SASLMechanism.PLAIN.value: SASLMechanism.PLAIN}


def broker_security_from_env(env: Mapping[str, str]) -> CredentialsT | None:
    """Faust broker credentials from `env`, or None when no security variable is set."""
    values = {name: env.get(name, "").strip() for name in VARIABLES}
    # Passwords may legitimately start or end with spaces: only the emptiness test is stripped.
    if values[PASSWORD]:
        values[PASSWORD] = env[PASSWORD]
    ssl_context = _tls_context(values)
    if not any(values[name] for name in (MECHANISM, USERNAME, PASSWORD, PASSWORD_FILE)):
        return None if ssl_context is None else SSLCredentials(ssl_context)
    mechanism = _mechanism(values[MECHANISM])
    if mechanism is SASLMechanism.PLAIN and ssl_context is None:
        raise ValueError(
            f"{MECHANISM}=PLAIN without TLS would send the password in clear text: set "
            f"{CAFILE} (e.g. /etc/ssl/certs/ca-certificates.crt for a public certificate), "
            "or use SCRAM-SHA-512"
        )
    if not values[USERNAME]:
        raise ValueError(f"{USERNAME} is not set: SASL/{mechanism.value} needs the user name")
    return SASLCredentials(
        username=values[USERNAME],
        password=_password(values),
        ssl_context=ssl_context,
        mechanism=mechanism,
    )


def aiokafka_security_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The same settings as aiokafka keyword arguments, for clients built without Faust."""
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    return dict(credentials_to_aiokafka_auth(broker_security_from_env(env)))


def _mechanism(value: str) -> SASLMechanism:
    if not value:
        raise ValueError(
            f"{MECHANISM} is not set but SASL user or password variables are: "
            f"set it to {', '.join(MECHANISMS)}, or unset the SASL variables"
        )
    try:
        return MECHANISMS[value.upper()]
    except KeyError:
        raise ValueError(
            f"{MECHANISM}={value!r} is not supported: use {', '.join(MECHANISMS)}"
        ) from None


def _password(values: Mapping[str, str]) -> str:
    if values[PASSWORD] and values[PASSWORD_FILE]:
        raise ValueError(f"both {PASSWORD} and {PASSWORD_FILE} are set: keep only one")
    if values[PASSWORD]:
        return values[PASSWORD]
    if not values[PASSWORD_FILE]:
        raise ValueError(f"set {PASSWORD_FILE} (preferred) or {PASSWORD} for the SASL user")
    path = Path(values[PASSWORD_FILE])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(
            f"{PASSWORD_FILE}={str(path)!r} cannot be read ({exc.strerror}): "
            "mount the secret there or fix the path"
        ) from None
    # Secret files written by `echo` or editors end with a newline that is not the password.
    password = text.removesuffix("\n").removesuffix("\r")
    if not password:
        raise ValueError(f"{PASSWORD_FILE}={str(path)!r} is empty: write the password into it")
    return password


def _tls_context(values: Mapping[str, str]) -> ssl.SSLContext | None:
    cafile, certfile, keyfile = values[CAFILE], values[CERTFILE], values[KEYFILE]
    if not (cafile or certfile or keyfile):
        return None
    if not cafile:
        raise ValueError(
            f"{CERTFILE if certfile else KEYFILE} is set but {CAFILE} is not: set {CAFILE} "
            "to the CA bundle that signed the broker certificate (it turns TLS on)"
        )
    if keyfile and not certfile:
        raise ValueError(f"{KEYFILE} is set without {CERTFILE}: set both for a client certificate")
    for name in (CAFILE, CERTFILE, KEYFILE):
        if values[name] and not Path(values[name]).is_file():
            raise ValueError(f"{name}={values[name]!r} is not a file: mount it or fix the path")
    try:
        # aiokafka's helper: verifies the broker certificate and host name, as it must.
        context: ssl.SSLContext = create_ssl_context(
            cafile=cafile, certfile=certfile or None, keyfile=keyfile or None
        )
    except ssl.SSLError as exc:
        names = f"{CAFILE}, {CERTFILE} and {KEYFILE}" if certfile else CAFILE
        raise ValueError(f"cannot load TLS files ({exc.reason or exc}): check {names}") from None
    return context
