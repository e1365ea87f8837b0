"""Scrapes of /metrics, written as one OpenMetrics file that promtool can turn into blocks.

OpenMetrics wants every family's samples together, while scrapes arrive one time step at a
time with all families interleaved. Each sample name gets its own spool file while recording
(a week of steps does not fit in memory as parsed samples) and they are joined at the end.
Every sample name is written as its own `gauge` family: the TSDB stores no types, and this
keeps promtool's parser away from counter and histogram suffix rules. `_created` samples
(process start times) are dropped: no rule reads them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO

__all__ = ["OpenMetricsWriter", "sample_lines", "write_openmetrics"]


def sample_lines(text: str, prefix: str = "pillarwatch_") -> list[tuple[str, str]]:
    """(sample name, the sample line without timestamp) for every sample of `prefix`."""
    out = []
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        cut = min((i for i in (line.find("{"), line.find(" ")) if i >= 0), default=-1)
        if cut < 0:
            continue
        name = line[:cut]
        if name.endswith("_created"):
            continue
        out.append((name, line))
    return out


class OpenMetricsWriter:
    """Spool scrapes with their event time; `write_openmetrics` joins spools into the file."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool
        spool.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, IO[str]] = {}
        self.samples = 0
        self.series: set[str] = set()

    @property
    def names(self) -> set[str]:
        return set(self._files)

    def add(self, text: str, ts: float) -> None:
        stamp = f" {ts:.3f}\n"
        for name, line in sample_lines(text):
            fh = self._files.get(name)
            if fh is None:
                fh = self._files[name] = open(self.spool / name, "w", encoding="utf-8")  # noqa: SIM115
            fh.write(line + stamp)
            self.samples += 1
            self.series.add(line.rsplit(" ", 1)[0])

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()


def write_openmetrics(writers: list[OpenMetricsWriter], out: Path) -> None:
    """One family per sample name; within it the writers' spools in order (writers hold
    consecutive stretches of event time, so each series' samples stay in time order)."""
    with open(out, "w", encoding="utf-8") as fh:
        for name in sorted(set().union(*(w.names for w in writers))):
            fh.write(f"# TYPE {name} gauge\n")
            for w in writers:
                if name in w.names:
                    with open(w.spool / name, encoding="utf-8") as part:
                        shutil.copyfileobj(part, fh)
        fh.write("# EOF\n")
