"""Render alerts/alertmanager.yml (a template) with the receiver URLs from the environment.

Alertmanager 0.25 neither expands environment variables nor reads a webhook URL from a file,
so the URLs are substituted before it starts. Only `${NAME}` placeholders are replaced, every
one must be set, and each must be an http(s) URL: a typo fails at start, not at 3 a.m.
"""

from __future__ import annotations

import argparse
import os
import string
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["DEFAULT_TEMPLATE", "RECEIVER_VARIABLES", "RenderError", "main", "render"]

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "alerts" / "alertmanager.yml"
RECEIVER_VARIABLES = ("PILLARWATCH_ALERT_PAGE_URL", "PILLARWATCH_ALERT_TICKET_URL")


class RenderError(ValueError):
    """A placeholder without a value, or a value that is not a webhook URL."""


def render(template: str, env: Mapping[str, str]) -> str:
    """The template with every `${NAME}` replaced by env[NAME], validated as an http(s) URL."""
    tmpl = string.Template(template)
    names = tmpl.get_identifiers()
    missing = [n for n in names if not env.get(n)]
    if missing:
        raise RenderError(f"set {', '.join(missing)} (the Alertmanager webhook receiver URLs)")
    for name in names:
        url = urlparse(env[name])
        if url.scheme not in ("http", "https") or not url.hostname:
            # The value itself may carry a token: name the variable, never print the value.
            raise RenderError(f"{name} is not an http(s) URL")
        if any(c in env[name] for c in "'\n\r"):
            raise RenderError(f"{name} contains a quote or newline")
    return tmpl.substitute({n: env[n] for n in names})


def main(argv: list[str] | None = None) -> int:
    """`python -m pillarwatch.alertmanager_config [--template T] --out FILE`; 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m pillarwatch.alertmanager_config")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--out", type=Path, required=True, help="where Alertmanager reads it")
    args = parser.parse_args(argv)
    try:
        text = render(args.template.read_text(encoding="utf-8"), os.environ)
    except (OSError, RenderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
