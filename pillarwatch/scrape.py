"""Reading a worker's /metrics: fetch the text and index its samples."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Collection

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Samples", "fetch", "parse"]

Labels = tuple[tuple[str, str], ...]
Samples = dict[str, dict[Labels, float]]


def fetch(url: str, timeout: float = 2.0, names: Collection[str] | None = None) -> str:
    """The page at `url`; with `names`, asks for only those samples (`name[]`, which
    prometheus_client's handlers and the worker's /metrics honour; another exporter may
    ignore it and send everything, so `parse` filters again)."""
    if names:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
            [("name[]", name) for name in sorted(names)]
        )
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return str(resp.read().decode("utf-8"))


def parse(text: str, names: Collection[str] | None = None) -> Samples:
    """sample name -> {sorted label pairs -> value}; with `names`, only those samples.

    A worker's page is about a thousand lines, and prometheus_client's parser takes about
    50 ms for it: a poller that reads a few series (the benchmarks, at up to 20 Hz) keeps
    their lines before parsing. The kept lines are parsed without their `# TYPE` lines, which
    leaves every sample's name as it is on the page (`..._total`, `..._bucket`).
    """
    if names is not None:
        text = "".join(line for line in text.splitlines(keepends=True) if _name(line) in names)
    out: Samples = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[sample.name][tuple(sorted(sample.labels.items()))] = float(sample.value)
    return out


def _name(line: str) -> str:
    """The sample name a line of the text format starts with ('' for a comment)."""
    if line.startswith("#"):
        return ""
    end = len(line)
    for stop in ("{", " "):
        at = line.find(stop)
        if at != -1:
            end = min(end, at)
    return line[:end]
