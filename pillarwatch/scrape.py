"""Reading a worker's /metrics: fetch the text and index its samples."""

from __future__ import annotations

import urllib.request
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Samples", "fetch", "parse"]

Labels = tuple[tuple[str, str], ...]
Samples = dict[str, dict[Labels, float]]


def fetch(url: str, timeout: float = 2.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return str(resp.read().decode("utf-8"))


def parse(text: str) -> Samples:
    """sample name -> {sorted label pairs -> value}."""
    out: Samples = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[sample.name][tuple(sorted(sample.labels.items()))] = float(sample.value)
    return out
