"""Settings of `pillarwatch ingest`, read from PILLARWATCH_* / PILLARWATCH_INGEST_* variables."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pillarwatch.models.sources import MappingOptions

__all__ = ["IngestSettings", "bootstrap_servers"]

DEFAULT_BROKER = "kafka://127.0.0.1:9092"


def bootstrap_servers(url: str) -> str:
    """Faust-style 'kafka://h1:9092;kafka://h2:9092' -> aiokafka 'h1:9092,h2:9092'."""
    hosts = [part.strip() for part in url.replace(";", ",").split(",") if part.strip()]
    return ",".join(h.split("://", 1)[-1] for h in hosts)


def _codes(text: str | None) -> frozenset[str]:
    return frozenset(c.strip() for c in (text or "").split(",") if c.strip())


def _queue_names(text: str | None) -> dict[str, str]:
    """JSON object {"id": "name"} or 'id=name,id=name'."""
    if not text:
        return {}
    text = text.strip()
    if text.startswith("{"):
        loaded = json.loads(text)
        return {str(k): str(v) for k, v in loaded.items()}
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}


@dataclass(frozen=True)
class IngestSettings:
    broker: str = DEFAULT_BROKER
    topic: str = "contact-events"
    dlq_topic: str = "contact-events.dlq"
    host: str = "127.0.0.1"
    port: int = 8090
    max_body_bytes: int = 1_048_576
    send_timeout_seconds: float = 5.0
    twilio_auth_token: str | None = None
    public_url: str | None = None
    api_key: str | None = None
    position_file: Path | None = None
    poll_seconds: float = 0.25
    mapping: MappingOptions = field(default_factory=MappingOptions)

    @property
    def bootstrap(self) -> str:
        return bootstrap_servers(self.broker)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IngestSettings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value else None

        salt = get("PILLARWATCH_INGEST_ID_SALT")
        position = get("PILLARWATCH_INGEST_POSITION_FILE")
        return cls(
            broker=get("PILLARWATCH_BROKER") or DEFAULT_BROKER,
            topic=get("PILLARWATCH_TOPIC") or "contact-events",
            dlq_topic=get("PILLARWATCH_INGEST_DLQ_TOPIC") or "contact-events.dlq",
            host=get("PILLARWATCH_INGEST_HOST") or "127.0.0.1",
            port=int(get("PILLARWATCH_INGEST_PORT") or 8090),
            max_body_bytes=int(get("PILLARWATCH_INGEST_MAX_BODY_BYTES") or 1_048_576),
            send_timeout_seconds=float(get("PILLARWATCH_INGEST_SEND_TIMEOUT_SECONDS") or 5.0),
            twilio_auth_token=get("PILLARWATCH_INGEST_TWILIO_AUTH_TOKEN"),
            public_url=get("PILLARWATCH_INGEST_PUBLIC_URL"),
            api_key=get("PILLARWATCH_INGEST_API_KEY"),
            position_file=Path(position) if position else None,
            poll_seconds=float(get("PILLARWATCH_INGEST_POLL_SECONDS") or 0.25),
            mapping=MappingOptions(
                queue_names=_queue_names(get("PILLARWATCH_INGEST_QUEUE_NAMES")),
                customer_id_salt=salt.encode() if salt else None,
                resolved_codes=_codes(get("PILLARWATCH_INGEST_RESOLVED_CODES")),
                unresolved_codes=_codes(get("PILLARWATCH_INGEST_UNRESOLVED_CODES")),
            ),
        )
