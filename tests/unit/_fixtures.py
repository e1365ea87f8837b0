"""Loading the hand-written source fixtures of tests/fixtures/sources (see its README)."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


def load_json(source: str, name: str) -> Any:
    return json.loads((FIXTURES / source / name).read_text())


def load_form(name: str) -> dict[str, str]:
    body = (FIXTURES / "twilio_taskrouter" / name).read_text().strip()
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))


def load_lines(source: str, name: str) -> list[str]:
    return (FIXTURES / source / name).read_text().splitlines()
