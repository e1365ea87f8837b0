"""`pillarwatch dashboards build|push` (also `python -m pillarwatch.dashboards`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pillarwatch.dashboards.push import PushError, push_dashboards
from pillarwatch.dashboards.render import render_all, write_all
from pillarwatch.dashboards.targets import TargetsError, load_targets

__all__ = ["main"]


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
    push.add_argument("--token", required=True, help="Grafana service-account token")
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
        uids = push_dashboards(args.url, args.token, args.folder, render_all(targets))
    except PushError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"pushed {', '.join(uids)} to {args.url} folder {args.folder!r}")
    return 0
