"""Measuring the marker detectors: labelled sets, scoring, the options compared, the CLI.

`pillarwatch markers eval [--bench]` (models/marker_eval/cli.py); docs/markers.md has the
figures and how they were made.
"""

from pillarwatch.models.marker_eval.cli import main

__all__ = ["main"]
