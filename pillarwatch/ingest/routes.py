"""The receiver's route table: each webhook path, the platform it is for and how it is checked.

Every route in ROUTES goes through the same gate in http.py: body size limit, authentication
by its scheme, the per-source rate limit, the per-request item cap, then mapping and the
broker. A row added here gets all of that with no other code, and the receiver refuses to
start on a non-loopback address unless the row's platform has its secret configured
(settings.py). Secrets are per source: PILLARWATCH_INGEST_<SOURCE>_API_KEY and
PILLARWATCH_INGEST_<SOURCE>_HMAC_SECRET, with <SOURCE> the row's `source` in capitals and
"-" as "_" (`variable_stem`).

Voice transcripts name calls by platform ids (a Connect leg, a Twilio CallSid, a Genesys
conversation): a contact-event route `teaches` the receiver's call directory which contact,
queue and answer time those are, and a transcript route's mapper `reads_calls` from it
(models/sources/transcripts.py).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from pillarwatch.models.sources import (
    MappingOptions,
    MappingResult,
    amazon_connect,
    asr_jsonl,
    contact_lens,
    genesys_cloud,
    genesys_transcription,
    twilio_event_streams,
    twilio_taskrouter,
    twilio_transcription,
)
from pillarwatch.models.sources.transcripts import CallDirectory

__all__ = ["ROUTES", "Auth", "Body", "Route", "route_sources", "variable_stem"]

#: (item, options) -> result; with `reads_calls`, also a `directory=` keyword.
Mapper = Callable[..., MappingResult]
#: Learns, from an item and its result, which call is which contact (transcripts.py).
Observer = Callable[[object, MappingResult, CallDirectory], None]


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
    LINES = "lines"  # JSON lines: each non-blank line one item (a bad line is dead-lettered alone)


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
    #: A contact-event route: what it maps teaches the call directory.
    teaches: Observer | None = None
    #: A transcript route: its mapper looks calls up in the directory.
    reads_calls: bool = False

    def map(
        self, item: object, options: MappingOptions | None, calls: CallDirectory
    ) -> MappingResult:
        if self.reads_calls:
            result: MappingResult = self.mapper(item, options, directory=calls)
        else:
            result = self.mapper(item, options)
        if self.teaches is not None:
            self.teaches(item, result, calls)
        return result


_SECRET, _TWILIO = Auth.SHARED_SECRET, Auth.TWILIO_SIGNATURE

ROUTES: tuple[Route, ...] = (
    Route(
        "/twilio/taskrouter",
        "twilio",
        _TWILIO,
        Body.FORM,
        twilio_taskrouter.map_event,
        ok_status=204,
        teaches=twilio_transcription.observe,
    ),
    Route(
        "/aws/connect",
        "connect",
        _SECRET,
        Body.JSON,
        amazon_connect.map_event,
        teaches=contact_lens.observe,
    ),
    Route(
        "/genesys",
        "genesys",
        _SECRET,
        Body.JSON,
        genesys_cloud.map_event,
        teaches=genesys_transcription.observe,
    ),
    # Twilio Event Streams' webhook sink: CloudEvents JSON (a batch is a list), TaskRouter
    # types. It teaches the directory nothing yet: its snake_case task attributes are not read
    # for a CallSid.
    Route("/twilio/events", "twilio-events", _SECRET, Body.JSON, twilio_event_streams.map_event),
    # Voice transcripts (docs/sources.md, "Voice transcripts").
    Route(
        "/twilio/transcription",
        "twilio-transcription",
        _TWILIO,
        Body.FORM,
        twilio_transcription.map_event,
        ok_status=204,  # Twilio takes any 2xx; 204 as for its TaskRouter callbacks
        reads_calls=True,
    ),
    Route(
        "/aws/contact-lens",
        "contact-lens",
        _SECRET,
        Body.JSON,
        contact_lens.map_event,
        reads_calls=True,
    ),
    Route(
        "/genesys/transcription",
        "genesys-transcription",
        _SECRET,
        Body.JSON,
        genesys_transcription.map_event,
        reads_calls=True,
    ),
    Route("/asr", "asr", _SECRET, Body.LINES, asr_jsonl.map_segment, reads_calls=True),
)


def variable_stem(source: str) -> str:
    """The part of a source's secret variables that names it: "twilio-events" -> TWILIO_EVENTS."""
    return source.upper().replace("-", "_")


def route_sources(routes: tuple[Route, ...] = ROUTES) -> list[str]:
    """The distinct sources of the table, in table order."""
    return list(dict.fromkeys(r.source for r in routes))
