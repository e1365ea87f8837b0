"""Upload the dashboards (and their folder) to a running Grafana with grafana-client."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

import niquests
from grafana_client.api import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaUnauthorizedError,
)

__all__ = ["PushError", "push_dashboards"]


class PushError(RuntimeError):
    """A push that cannot be done; the message says what to fix."""


def _folder_uid(name: str) -> str:
    # Grafana uids: up to 40 of [A-Za-z0-9_-]; derive a stable one from the folder name.
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip()).strip("-").lower()
    return (slug or "pillarwatch")[:40]


def _check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PushError(f"bad Grafana URL {url!r}: expected http(s)://host[:port]")


def push_dashboards(
    url: str, token: str, folder: str, dashboards: dict[str, str], timeout: float = 10.0
) -> list[str]:
    """Create the folder if missing and overwrite each dashboard in it; returns the uids."""
    _check_url(url)
    if not token:
        raise PushError("empty Grafana token: set PILLARWATCH_GRAFANA_TOKEN or pass --token-file")
    api = GrafanaApi.from_url(url, credential=token, timeout=timeout)
    try:
        folder_uid = _ensure_folder(api, folder)
        for text in dashboards.values():
            board: dict[str, Any] = json.loads(text)
            board.pop("id", None)
            api.dashboard.update_dashboard(
                {"dashboard": board, "folderUid": folder_uid, "overwrite": True}
            )
    except GrafanaUnauthorizedError as exc:
        raise PushError(
            f"Grafana at {url} refused the token (401): check PILLARWATCH_GRAFANA_TOKEN "
            "or the --token-file"
        ) from exc
    except GrafanaClientError as exc:
        raise PushError(f"Grafana at {url} rejected the request: {exc}") from exc
    except GrafanaException as exc:
        raise PushError(f"Grafana at {url} failed: {exc}") from exc
    except niquests.exceptions.RequestException as exc:
        raise PushError(f"cannot reach Grafana at {url}: {exc.__class__.__name__}") from exc
    return list(dashboards)


def _ensure_folder(api: GrafanaApi, name: str) -> str:
    uid = _folder_uid(name)
    try:
        api.folder.get_folder(uid)  # type: ignore[no-untyped-call]
    except GrafanaUnauthorizedError:
        raise
    except GrafanaClientError as exc:
        if getattr(exc, "status_code", None) != 404:
            raise
        api.folder.create_folder(name, uid=uid)  # type: ignore[no-untyped-call]
    return uid
