"""`pillarwatch dashboards build|push` (also `python -m pillarwatch.dashboards`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pillarwatch.dashboards.push import PushError, push_dashboards
from pillarwatch.dashboards.render import render_all, write_all
from pillarwatch.dashboards.targets import TargetsError, load_targets

__all__ = ["TOKEN_VARIABLE", "main"]

TOKEN_VARIABLE = "PILLARWATCH_GRAFANA_TOKEN"


def _token(argv_token: str | None, token_file: Path | None) -> str:
    """The token from --token-file or $PILLARWATCH_GRAFANA_TOKEN, never from argv."""
    if argv_token is not None:
        raise PushError(
            f"--token is not accepted (the command line shows in `ps` and shell history): "
            f"set {TOKEN_VARIABLE} or pass --token-file"
        )
    if token_file is not None:
        try:
            return token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise PushError(f"--token-file {str(token_file)!r} cannot be read ({reason})") from None
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise PushError(
            f"no Grafana token: set {TOKEN_VARIABLE} or pass --token-file with a "
            "service-account token (Grafana: Administration > Service accounts)"
        )
    return token


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pillarwatch dashboards", description=__doc__)
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ["PILLARWATCH_CONFIG"])
        if os.environ.get("PILLARWATCH_CONFIG")
        else None,
        help="TOML targets file (default: $PILLARWATCH_CONFIG, else built-in 80/20 targets)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="write the dashboards' JSON")
    # Where the user is, never into the installed package (site-packages for a normal
    # install); `make dashboards` passes the repository's dashboards/json.
    build.add_argument(
        "--out", type=Path, default=Path("."), help="directory to write to (default: .)"
    )
    push = sub.add_parser("push", help="upload the dashboards to a running Grafana")
    push.add_argument("--url", required=True, help="Grafana base URL, e.g. http://127.0.0.1:3000")
    push.add_argument(
        "--token-file",
        type=Path,
        help=f"file holding the Grafana service-account token (default: ${TOKEN_VARIABLE})",
    )
    # The token on the command line is visible in `ps` and shell history: refused, by name.
    push.add_argument("--token", help=argparse.SUPPRESS)
    push.add_argument("--folder", default="pillarwatch", help="folder name (default pillarwatch)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 on success, 2 on a usage/config error, 1 when the push fails."""
    args = _parser().parse_args(argv)
    try:
        targets = load_targets(args.config)
    except TargetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "build":
        for path in write_all(targets, args.out):
            print(path)
        return 0
    try:
        token = _token(args.token, args.token_file)
        uids = push_dashboards(args.url, token, args.folder, render_all(targets))
    except PushError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"pushed {', '.join(uids)} to {args.url} folder {args.folder!r}")
    return 0
