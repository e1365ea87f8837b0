"""Settings of `pillarwatch ingest`, read from PILLARWATCH_* / PILLARWATCH_INGEST_* variables.

`IngestSettings.from_env()` validates every value up front: a bad one raises
IngestSettingsError naming the variable and the fix, never a traceback from deep inside.
Secrets can come from a file (the variable name with _FILE appended; a Docker or Kubernetes
secret), which keeps them out of `docker inspect` and /proc/<pid>/environ.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pillarwatch.ingest.auth import SourceSecrets
from pillarwatch.ingest.routes import ROUTES, Auth, Route, route_sources, variable_stem
from pillarwatch.models.sources import MappingOptions

__all__ = ["IngestSettings", "IngestSettingsError", "bootstrap_servers", "is_loopback"]

DEFAULT_BROKER = "kafka://127.0.0.1:9092"
_P = "PILLARWATCH_INGEST_"


class IngestSettingsError(ValueError):
    """A bad ingest setting; the message names the variable and how to fix it."""


def bootstrap_servers(url: str) -> str:
    """Faust-style 'kafka://h1:9092;kafka://h2:9092' -> aiokafka 'h1:9092,h2:9092'."""
    hosts = [part.strip() for part in url.replace(";", ",").split(",") if part.strip()]
    return ",".join(h.split("://", 1)[-1] for h in hosts)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost`; any other name or address counts as reachable."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class IngestSettings:
    broker: str = DEFAULT_BROKER
    topic: str = "contact-events"
    dlq_topic: str = "contact-events.dlq"
    host: str = "127.0.0.1"
    port: int = 8090
    max_body_bytes: int = 1_048_576
    send_timeout_seconds: float = 5.0
    twilio_auth_token: str | None = field(default=None, repr=False)
    public_url: str | None = None
    #: PILLARWATCH_INGEST_API_KEY: a key every SHARED_SECRET source accepts when it has no
    #: PILLARWATCH_INGEST_<SOURCE>_API_KEY of its own.
    api_key: str | None = field(default=None, repr=False)
    position_file: Path | None = None
    poll_seconds: float = 0.25
    mapping: MappingOptions = field(default_factory=MappingOptions)
    #: PILLARWATCH_INGEST_<SOURCE>_API_KEY / _HMAC_SECRET, by source.
    api_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    hmac_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: <secret variable>_PREVIOUS, by the secret's variable name: also accepted while a
    #: rotation is under way (docs/security.md, "Rotating secrets").
    previous_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: PILLARWATCH_INGEST_SOURCES: the platforms served (comma list); None serves every one.
    sources: frozenset[str] | None = None
    #: PILLARWATCH_INGEST_MAX_ITEMS: events (JSON array items) one request may carry.
    max_items: int = 100
    #: PILLARWATCH_INGEST_RATE_LIMIT / _RATE_BURST: authenticated requests per second per
    #: source, and the burst allowed above it.
    rate_per_second: float = 100.0
    rate_burst: int = 200
    #: PILLARWATCH_INGEST_METRICS_HOST / _PORT: /metrics, on its own port, loopback by default.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 8091
    #: PILLARWATCH_BROKER_SASL_* / _TLS_*: aiokafka security options (streams/kafka_security.py).
    kafka_options: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def bootstrap(self) -> str:
        return bootstrap_servers(self.broker)

    def routes(self) -> tuple[Route, ...]:
        """The rows of the route table this receiver serves."""
        return tuple(r for r in ROUTES if self.sources is None or r.source in self.sources)

    def secrets_for(self, route: Route) -> SourceSecrets:
        stem = _P + variable_stem(route.source)
        key = self.api_keys.get(route.source) or self.api_key
        key_name = f"{stem}_API_KEY" if route.source in self.api_keys else f"{_P}API_KEY"
        return SourceSecrets(
            api_keys=self._with_previous(key, key_name),
            hmac_secrets=self._with_previous(
                self.hmac_secrets.get(route.source), f"{stem}_HMAC_SECRET"
            ),
            twilio_auth_tokens=self._with_previous(
                self.twilio_auth_token, f"{_P}TWILIO_AUTH_TOKEN"
            ),
        )

    def _with_previous(self, current: str | None, name: str) -> tuple[str, ...]:
        previous = self.previous_secrets.get(name)
        return tuple(s for s in (current, previous) if s) if current else ()

    def unauthenticated(self) -> list[str]:
        """Served routes with no secret set, each as 'path (the variables to set)'."""
        return [
            f"{r.path} ({_secret_variables(r)})"
            for r in self.routes()
            if not self.secrets_for(r).configured(r.auth)
        ]

    def check_exposure(self) -> None:
        """Refuse to serve on a reachable address while any served route is open."""
        open_routes = self.unauthenticated()
        if open_routes and not is_loopback(self.host):
            raise IngestSettingsError(
                f"PILLARWATCH_INGEST_HOST={self.host} is not a loopback address, and these "
                f"routes have no authentication: {'; '.join(open_routes)}. Set the secrets "
                "(docs/security.md), or leave the platform out of PILLARWATCH_INGEST_SOURCES"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IngestSettings:
        env = os.environ if environ is None else environ
        values = _Reader(env)
        salt = values.secret(f"{_P}ID_SALT")
        position = values.text(f"{_P}POSITION_FILE")
        known = route_sources(ROUTES)
        sources = values.names(f"{_P}SOURCES", known)
        return cls(
            broker=values.broker(),
            topic=values.text("PILLARWATCH_TOPIC") or "contact-events",
            dlq_topic=values.text(f"{_P}DLQ_TOPIC") or "contact-events.dlq",
            host=values.text(f"{_P}HOST") or "127.0.0.1",
            port=values.integer(f"{_P}PORT", 8090, 1, 65535),
            max_body_bytes=values.integer(f"{_P}MAX_BODY_BYTES", 1_048_576, 1024, 64 * 2**20),
            send_timeout_seconds=values.number(f"{_P}SEND_TIMEOUT_SECONDS", 5.0, 0.1, 300.0),
            twilio_auth_token=values.secret(f"{_P}TWILIO_AUTH_TOKEN"),
            public_url=values.url(f"{_P}PUBLIC_URL"),
            api_key=values.secret(f"{_P}API_KEY"),
            position_file=Path(position) if position else None,
            poll_seconds=values.number(f"{_P}POLL_SECONDS", 0.25, 0.01, 60.0),
            mapping=MappingOptions(
                queue_names=values.queue_names(f"{_P}QUEUE_NAMES"),
                customer_id_salt=salt.encode() if salt else None,
                resolved_codes=_codes(values.text(f"{_P}RESOLVED_CODES")),
                unresolved_codes=_codes(values.text(f"{_P}UNRESOLVED_CODES")),
            ),
            previous_secrets=_previous(values, known),
            api_keys=_by_source(values, known, "API_KEY"),
            hmac_secrets=_by_source(values, known, "HMAC_SECRET"),
            sources=sources,
            max_items=values.integer(f"{_P}MAX_ITEMS", 100, 1, 100_000),
            rate_per_second=values.number(f"{_P}RATE_LIMIT", 100.0, 0.001, 100_000.0),
            rate_burst=values.integer(f"{_P}RATE_BURST", 200, 1, 1_000_000),
            metrics_host=values.text(f"{_P}METRICS_HOST") or "127.0.0.1",
            metrics_port=values.integer(f"{_P}METRICS_PORT", 8091, 1, 65535),
            kafka_options=values.kafka_options(),
        )


def _secret_variables(route: Route) -> str:
    if route.auth is Auth.TWILIO_SIGNATURE:
        return f"{_P}TWILIO_AUTH_TOKEN"
    stem = _P + variable_stem(route.source)
    return f"{stem}_API_KEY, {stem}_HMAC_SECRET or {_P}API_KEY"


def _by_source(values: _Reader, sources: list[str], suffix: str) -> dict[str, str]:
    found = {s: values.secret(f"{_P}{variable_stem(s)}_{suffix}") for s in sources}
    return {s: v for s, v in found.items() if v}


def _previous(values: _Reader, sources: list[str]) -> dict[str, str]:
    names = [f"{_P}API_KEY", f"{_P}TWILIO_AUTH_TOKEN"]
    names += [
        f"{_P}{variable_stem(s)}_{kind}" for s in sources for kind in ("API_KEY", "HMAC_SECRET")
    ]
    found = {name: values.secret(f"{name}_PREVIOUS") for name in names}
    return {name: value for name, value in found.items() if value}


def _codes(text: str | None) -> frozenset[str]:
    return frozenset(c.strip() for c in (text or "").split(",") if c.strip())


class _Reader:
    """Typed reads of one environment; every failure names its variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def secret(self, name: str) -> str | None:
        """`name`, or the file named by `name`_FILE (one trailing newline dropped)."""
        direct, path = self.env.get(name, ""), self.text(f"{name}_FILE")
        if direct and path:
            raise IngestSettingsError(f"both {name} and {name}_FILE are set: keep only one")
        if not path:
            return direct.strip() or None
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise IngestSettingsError(
                f"{name}_FILE={path!r} cannot be read ({reason}): mount the secret or fix the path"
            ) from None
        # An empty file counts as unset, like an empty variable (compose mounts /dev/null for
        # a platform not in use); an open route then stops a non-loopback start (check_exposure).
        return text.removesuffix("\n").removesuffix("\r").strip() or None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            number = int(raw)
        except ValueError:
            raise IngestSettingsError(
                f"{name}={raw!r}: expected a whole number {low}..{high}"
            ) from None
        if not low <= number <= high:
            raise IngestSettingsError(f"{name}={number}: must be within {low}..{high}")
        return number

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            number = float(raw)
        except ValueError:
            raise IngestSettingsError(f"{name}={raw!r}: expected a number {low}..{high}") from None
        # NaN fails both comparisons, so it lands here too.
        if not low <= number <= high:
            raise IngestSettingsError(f"{name}={raw}: must be a number within {low}..{high}")
        return number

    def url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is not None and not raw.startswith(("http://", "https://")):
            raise IngestSettingsError(
                f"{name}={raw!r}: expected the public base URL, e.g. https://ingest.example.com"
            )
        return raw

    def names(self, name: str, known: list[str]) -> frozenset[str] | None:
        raw = self.text(name)
        if raw is None:
            return None
        chosen = frozenset(part.strip() for part in raw.split(",") if part.strip())
        unknown = sorted(chosen - set(known))
        if unknown or not chosen:
            raise IngestSettingsError(
                f"{name}={raw!r}: unknown source {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join(known)}"
            )
        return chosen

    def queue_names(self, name: str) -> dict[str, str]:
        """JSON object {"id": "name"} or 'id=name,id=name'."""
        raw = self.text(name)
        if raw is None:
            return {}
        if raw.startswith("{"):
            try:
                loaded = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise IngestSettingsError(
                    f"{name}: not valid JSON ({exc.msg} at character {exc.pos}): "
                    'write {"queue-id": "Queue name"} or id=name,id=name'
                ) from None
            if not isinstance(loaded, dict):
                raise IngestSettingsError(f"{name}: expected a JSON object of id to name")
            return {str(k): str(v) for k, v in loaded.items()}
        pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
        return {k.strip(): v.strip() for k, v in pairs}

    def broker(self) -> str:
        from pillarwatch.streams.settings import SettingsError, check_broker_url

        raw = self.env.get("PILLARWATCH_BROKER", "")
        if not raw.strip():
            return DEFAULT_BROKER
        try:
            return check_broker_url(raw)
        except SettingsError as exc:
            raise IngestSettingsError(str(exc)) from None

    def kafka_options(self) -> dict[str, Any]:
        from pillarwatch.streams.kafka_security import aiokafka_security_from_env

        try:
            return aiokafka_security_from_env(self.env)
        except ValueError as exc:
            raise IngestSettingsError(str(exc)) from None
