"""Checking that a webhook request comes from its platform, per the route's Auth scheme.

Header values are compared as bytes: `hmac.compare_digest` on str raises TypeError for
non-ASCII text, which an attacker controls (a 500 with a traceback before this module).
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from pillarwatch.ingest.routes import Auth
from pillarwatch.ingest.twilio_signature import validate

__all__ = [
    "KEY_HEADER",
    "SIGNATURE_HEADER",
    "SourceSecrets",
    "authenticated",
    "body_signature",
    "form_pairs",
]

KEY_HEADER = "X-Pillarwatch-Key"
SIGNATURE_HEADER = "X-Pillarwatch-Signature"


@dataclass(frozen=True)
class SourceSecrets:
    """The secrets one route's source is checked with (none set: the route is open).

    Each is a tuple: the current secret and, during a rotation, the previous one (the
    *_PREVIOUS variables), so the sender can switch at any moment without refusals.
    """

    api_keys: tuple[str, ...] = ()
    hmac_secrets: tuple[str, ...] = ()
    twilio_auth_tokens: tuple[str, ...] = ()

    def configured(self, scheme: Auth) -> bool:
        if scheme is Auth.TWILIO_SIGNATURE:
            return bool(self.twilio_auth_tokens)
        return bool(self.api_keys or self.hmac_secrets)


def header_bytes(value: str | None) -> bytes:
    """A header as aiohttp decoded it (UTF-8, surrogateescape), back to its bytes."""
    if not value:
        return b""
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b""


def body_signature(secret: str, body: bytes) -> str:
    """The X-Pillarwatch-Signature value for `body`: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def form_pairs(body: bytes) -> list[tuple[str, str]] | None:
    """A form body's fields in order, or None when it is not a UTF-8 form."""
    try:
        return urllib.parse.parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)
        )
    except (UnicodeDecodeError, ValueError):
        return None


def authenticated(
    scheme: Auth,
    secrets: SourceSecrets,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> bool:
    """Does the request carry valid proof for `scheme`? Open only when no secret is set for a
    SHARED_SECRET route (allowed on loopback only, settings.py); Twilio needs its token."""
    if scheme is Auth.TWILIO_SIGNATURE:
        signature = header_bytes(headers.get("X-Twilio-Signature"))
        if not secrets.twilio_auth_tokens or not signature or not signature.isascii():
            return False
        pairs = form_pairs(body) or []
        given = signature.decode("ascii")
        return any(validate(url, pairs, given, t) for t in secrets.twilio_auth_tokens)
    if not secrets.configured(scheme):
        return True
    key = header_bytes(headers.get(KEY_HEADER))
    if any(hmac.compare_digest(key, k.encode()) for k in secrets.api_keys):
        return True
    signature = header_bytes(headers.get(SIGNATURE_HEADER))
    return any(
        hmac.compare_digest(signature, body_signature(s, body).encode())
        for s in secrets.hmac_secrets
    )
