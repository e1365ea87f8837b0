"""Twilio's X-Twilio-Signature check, hand-written to avoid the whole `twilio` SDK.

Per twilio.com/docs/usage/webhooks/webhooks-security: take the full URL Twilio requested,
append each POST parameter name followed by its value, names sorted; HMAC-SHA1 with the
account auth token; base64. This mirrors twilio-python's RequestValidator, including its
sorted handling of a repeated parameter, and its retry with/without the default port.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["compute_signature", "validate"]


def compute_signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    data = url
    for name in sorted(grouped):
        for value in sorted(set(grouped[name])):
            data += name + value
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> list[str]:
    """Twilio may sign with or without an explicit default port: accept either."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or parts.hostname is None:
        return [url]
    host = parts.hostname
    with_port = parts._replace(netloc=f"{host}:{parts.port or default}")
    without_port = parts._replace(netloc=host)
    return [url, urlunsplit(with_port), urlunsplit(without_port)]


def validate(
    url: str, params: Iterable[tuple[str, str]], signature: str | None, auth_token: str
) -> bool:
    if not signature or not auth_token:
        return False
    # Bytes, not str: compare_digest raises TypeError on non-ASCII str, and the header is
    # whatever the caller sent.
    try:
        given = signature.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    pairs = list(params)
    return any(
        hmac.compare_digest(compute_signature(variant, pairs, auth_token).encode(), given)
        for variant in _port_variants(url)
    )
