"""The labelled marker sets: a `dev` split to tune on and a frozen `test` split to report on.

Files: tests/data/markers/<split>/<lang>.jsonl, one row per line:
`{"text", "role": "customer"|"agent", "labels": [...], "context"?: [{"role", "text"}, ...],
"source"?: ..., "kind"?: ...}`. `context` lists the messages of the same contact just before
this one, oldest first, for rows whose label depends on them. `kind` (optional) names the
failure kind a row exercises ("sarcasm", "hard-negative", ...): the loader keeps it only so
that `pillarwatch markers eval` can print figures per kind.

The split is fixed by who wrote a row, not by a hash: `dev` is everything the detector may be
tuned on (the first lexicons' sentences, `source: "v1"`; the retired first test split,
`"retired-test"`; the retired second one, `"retired-test-2026-12"`; lines written while
tuning); `test` is written by people who never saw the detector, the lexicons or dev
(`"source": "holdout-2026-12b"`, TEST_SOURCE) and is scored once per change of the detector.
tests/unit/test_marker_sets.py pins it and checks that nothing of it leaks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pillarwatch.models.markers import APOLOGY, COMPLAINT, EMPATHY

__all__ = [
    "BITS",
    "DEFAULT_DATA",
    "ROLE_MASK",
    "SPLITS",
    "TEST_SOURCE",
    "Example",
    "Message",
    "load_split",
    "split_digest",
]

DEFAULT_DATA: Final = Path(__file__).resolve().parent.parent.parent / "tests" / "data" / "markers"
SPLITS: Final = ("dev", "test")
BITS: Final[dict[str, int]] = {"complaint": COMPLAINT, "apology": APOLOGY, "empathy": EMPATHY}
# Which markers count for which speaker (the stream applies the same rule).
ROLE_MASK: Final[dict[str, int]] = {"customer": COMPLAINT, "agent": APOLOGY | EMPATHY}
# The source every row of the test split carries: written apart from the detector.
TEST_SOURCE: Final = "holdout-2026-12b"


@dataclass(frozen=True, slots=True)
class Message:
    """A message said before the labelled one in the same contact."""

    role: str
    text: str


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled chat line."""

    lang: str
    text: str
    role: str
    labels: int
    context: tuple[Message, ...] = ()
    source: str = "new"
    kind: str | None = None


def _role(raw: object, where: str) -> str:
    if raw not in ROLE_MASK:
        raise ValueError(f"{where}: role must be one of {sorted(ROLE_MASK)}, not {raw!r}")
    return str(raw)


def _row(lang: str, raw: dict[str, object], where: str) -> Example:
    labels = 0
    names = raw["labels"]
    if not isinstance(names, list):
        raise ValueError(f"{where}: labels must be a list of {sorted(BITS)}")
    for name in names:
        if name not in BITS:
            raise ValueError(f"{where}: unknown label {name!r}; use one of {sorted(BITS)}")
        labels |= BITS[name]
    context = raw.get("context", [])
    if not isinstance(context, list):
        raise ValueError(f"{where}: context must be a list of {{role, text}}")
    return Example(
        lang=lang,
        text=str(raw["text"]),
        role=_role(raw["role"], where),
        labels=labels,
        context=tuple(Message(_role(m["role"], where), str(m["text"])) for m in context),
        source=str(raw.get("source", "new")),
        kind=None if raw.get("kind") is None else str(raw["kind"]),
    )


def load_split(split: str, folder: Path = DEFAULT_DATA) -> dict[str, list[Example]]:
    """Every <lang>.jsonl of one split; a malformed row is an error naming file and line."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    sets: dict[str, list[Example]] = {}
    for path in sorted((folder / split).glob("*.jsonl")):
        rows = []
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                rows.append(_row(path.stem, json.loads(line), where))
            except (KeyError, TypeError, json.JSONDecodeError) as exc:
                raise ValueError(
                    f"{where}: bad row ({exc!r}); see models/marker_eval/sets.py"
                ) from exc
        sets[path.stem] = rows
    return sets


def split_digest(split: str, folder: Path = DEFAULT_DATA) -> str:
    """sha256 over the split's files (name and bytes, in name order): what a test pins."""
    digest = hashlib.sha256()
    for path in sorted((folder / split).glob("*.jsonl")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
