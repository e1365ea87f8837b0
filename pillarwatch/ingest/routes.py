"""The receiver's route table: each webhook path, the platform it is for and how it is checked.

Every route in ROUTES goes through the same gate in http.py: body size limit, authentication
by its scheme, the per-source rate limit, the per-request item cap, then mapping and the
broker. A row added here gets all of that with no other code, and the receiver refuses to
start on a non-loopback address unless the row's platform has its secret configured
(settings.py). Secrets are per source: PILLARWATCH_INGEST_<SOURCE>_API_KEY and
PILLARWATCH_INGEST_<SOURCE>_HMAC_SECRET, with <SOURCE> the row's `source` in capitals.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from pillarwatch.models.sources import (
    MappingOptions,
    MappingResult,
    amazon_connect,
    genesys_cloud,
    twilio_taskrouter,
)

__all__ = ["ROUTES", "Auth", "Body", "Route", "route_sources"]

Mapper = Callable[[object, MappingOptions | None], MappingResult]


class Auth(enum.Enum):
    """How a request proves it comes from the platform (auth.py does the checking)."""

    #: X-Twilio-Signature: HMAC-SHA1 of the URL and the form fields with the account auth
    #: token (PILLARWATCH_INGEST_TWILIO_AUTH_TOKEN); Twilio signs every webhook this way.
    TWILIO_SIGNATURE = "twilio_signature"
    #: X-Pillarwatch-Key: a shared key, or X-Pillarwatch-Signature: sha256=<hex HMAC-SHA256 of
    #: the raw body>; secrets PILLARWATCH_INGEST_<SOURCE>_API_KEY / _HMAC_SECRET.
    SHARED_SECRET = "shared_secret"


class Body(enum.Enum):
    """How the body is read into items for the mapper."""

    JSON = "json"  # one JSON object, or an array of them (each item mapped on its own)
    FORM = "form"  # application/x-www-form-urlencoded: one item, a dict of first values


@dataclass(frozen=True)
class Route:
    path: str
    #: Platform name: metric label, dead-letter header (ingest/<source>), variable stem.
    source: str
    auth: Auth
    body: Body
    mapper: Mapper
    #: Status of a fully accepted request (TaskRouter asks for 204 No Content).
    ok_status: int = 200


ROUTES: tuple[Route, ...] = (
    Route(
        "/twilio/taskrouter",
        "twilio",
        Auth.TWILIO_SIGNATURE,
        Body.FORM,
        twilio_taskrouter.map_event,
        ok_status=204,
    ),
    Route("/aws/connect", "connect", Auth.SHARED_SECRET, Body.JSON, amazon_connect.map_event),
    Route("/genesys", "genesys", Auth.SHARED_SECRET, Body.JSON, genesys_cloud.map_event),
)


def route_sources(routes: tuple[Route, ...] = ROUTES) -> list[str]:
    """The distinct sources of the table, in table order."""
    return list(dict.fromkeys(r.source for r in routes))
