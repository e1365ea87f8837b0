"""`pillarwatch new-agent NAME`: write a skeleton pillar module and its test.

A pillar is one pure module in models/pillars/ (found by the registry, run by the existing
agents: no Faust code to write) and one test file. The skeleton keeps the contract as
generated (tests/streams/test_agent_contract.py) and its tests pass unchanged; what is left
to do is listed in docs/adding-an-agent.md. It reuses an existing metric of the catalogue (the
pillar score) so that nothing outside the two new files is needed to start; adding the
pillar's own metrics is a step of the checklist.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from pathlib import Path

__all__ = ["main", "render"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_RESERVED = {"contacts", "measures", "customers", "journeys", "time_effort", "resolution"}

MODULE = '''"""{name}: <one line: what this pillar measures>.

A pillar (docs/adding-an-agent.md), keyed by queue and stateless: the measures agent calls
`signals` with every contact summary and sends the signals to the measures buckets. Replace
the example signal (answered contacts that were resolved at wrap-up) with the pillar's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.contact import Summary
from pillarwatch.models.pillars import Pillar, Signal, State, clamp100, ratio

__all__ = ["PILLAR"]

NAME: Final = "{name}"
WEIGHTS: Final = {{"resolved_share": 1.0}}


def signals(state: State, summary: Summary, config: Config) -> tuple[State, list[Signal]]:
    if not summary.answered:
        return None, []
    values = {{"answered": 1.0, "resolved": 1.0 if summary.resolved else 0.0}}
    return None, [Signal(summary.queue, summary.channel, summary.ts, NAME, values)]


def components(sums: Mapping[str, float], targets: Targets) -> dict[str, float]:
    share = ratio(sums.get("resolved", 0.0), sums.get("answered", 0.0))
    return {{}} if share is None else {{"resolved_share": clamp100(share)}}


def gauges(sums: Mapping[str, float]) -> dict[str, float]:
    return {{}}  # metric name (in models/catalogue.py, listed in `metrics`) -> value


PANELS: tuple[dict[str, Any], ...] = (
    {{
        "title": "{title} score (1h)",
        "expr": 'pillarwatch_pillar_score{{pillar="{name}", window="1h"}}',
        "unit": "none",
    }},
)
PILLAR: Final = Pillar(
    name=NAME,
    weights=WEIGHTS,
    signals=signals,
    components=components,
    gauges=gauges,
    metrics=(),
    keyed_by="queue",
    panels=PANELS,
    alerts=(),
)
'''

TEST = '''"""The {name} pillar: summaries in, signals out, the pillar score at scrape time."""

from __future__ import annotations

import asyncio

from pillarwatch.models.config import Config, Targets
from pillarwatch.models.pillars import {name}
from pillarwatch.streams.testing import AgentHarness
from tests.support.items import summary, volume


def test_{name}_pillar_end_to_end_in_memory() -> None:
    items = [summary(1, resolved=True), summary(2, resolved=False), summary(3, answered=False)]

    async def go() -> AgentHarness:
        async with AgentHarness() as h:
            await h.feed_pillar("{name}", items)
            await h.feed_items("measures", volume(10, dt=60))
            await h.relay_signals()
            return h

    h = asyncio.run(go())
    assert len(h.signals("{name}")) == 2  # the unanswered contact sends none
    assert h.component("{name}", "resolved_share", "billing", "voice") == 50.0
    assert h.pillar("{name}", "billing", "voice") == 50.0


def test_formula() -> None:
    assert {name}.components({{"answered": 4.0, "resolved": 3.0}}, Targets()) == {{
        "resolved_share": 75.0
    }}
    assert {name}.components({{}}, Targets()) == {{}}
    assert {name}.signals(None, summary(0, answered=False), Config()) == (None, [])
'''

DOC_ROW = """
### {title} (`pillar="{name}"`)

<!-- pillarwatch new-agent: describe the signals, the formula and each component here. -->
| component | formula (0..100) | default weight | why |
|---|---|---|---|
| `resolved_share` | 100 × resolved / answered | 1.0 | (example: replace) |
"""


def render(name: str) -> dict[str, str]:
    """The files of a new agent, by path relative to the repository."""
    title = name.replace("_", " ").capitalize()
    return {
        f"models/pillars/{name}.py": MODULE.format(name=name, title=title),
        f"tests/streams/test_{name}_pillar.py": TEST.format(name=name),
    }


def _check(name: str, root: Path) -> str | None:
    if not _NAME.match(name) or keyword.iskeyword(name):
        return f"{name!r}: use lower_case letters, digits and _ (2..31 characters)"
    if name in _RESERVED:
        return f"{name!r} is taken by a core agent or pillar"
    for path in render(name):
        if (root / path).exists():
            return f"{path} exists already"
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="pillarwatch new-agent",
        description="Write a skeleton pillar module and its test (docs/adding-an-agent.md).",
    )
    p.add_argument("name", help="module and pillar name, e.g. courtesy")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: .)")
    args = p.parse_args(argv)
    root: Path = args.root
    problem = _check(args.name, root)
    if problem is not None:
        print(f"pillarwatch new-agent: {problem}", file=sys.stderr)
        return 2
    for path, text in render(args.name).items():
        (root / path).write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    docs = root / "docs" / "metrics.md"
    if docs.is_file():
        title = args.name.replace("_", " ").capitalize()
        with docs.open("a", encoding="utf-8") as fh:
            fh.write(DOC_ROW.format(name=args.name, title=title))
        print("appended a section to docs/metrics.md (fill it in)")
    print("next: docs/adding-an-agent.md, the checklist")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
