"""Optional schema-v1 fields for the pillars: decoding, contact state, config weights."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pillarwatch.models.config import Config, ConfigError, load_config
from pillarwatch.models.contact import Summary, apply, relevant_markers
from pillarwatch.models.events import Event, Rejection, decode
from pillarwatch.models.pillars import registry

BASE = {"event_id": "e1", "ts": 1_772_445_600, "contact_id": "c1", "channel": "voice"}


def ev(etype: str, dt: float = 0.0, **fields: object) -> Event:
    doc = {**BASE, "queue": "billing", "type": etype, **fields}
    doc["ts"] = BASE["ts"] + dt  # type: ignore[operator]
    doc["event_id"] = f"{etype}-{dt}"
    event = decode(orjson.dumps(doc))
    assert isinstance(event, Event), event
    return event


def test_pillar_fields_decode() -> None:
    assert ev("contact.queued", announced_wait=90).announced_wait == 90.0
    assert ev("contact.queued", callback_for="c0").callback_for == "c0"
    due = ev("contact.wrapped", callback_due="2026-03-02T11:00:00Z").callback_due
    assert due == 1_772_449_200.0
    message = ev("contact.message", role="agent", text="hello", personalised=True)
    assert message.personalised is True
    assert ev("contact.queued").announced_wait is None  # optional: absent is fine


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"type": "contact.queued", "announced_wait": "soon"}, "wrong_type"),
        ({"type": "contact.queued", "announced_wait": -1}, "bad_value"),
        ({"type": "contact.wrapped", "callback_due": "tomorrow"}, "bad_timestamp"),
        ({"type": "contact.queued", "callback_for": 7}, "wrong_type"),
        (
            {"type": "contact.message", "role": "agent", "text": "x", "personalised": 1},
            "wrong_type",
        ),
    ],
)
def test_bad_pillar_fields_are_rejected_with_a_reason(
    fields: dict[str, object], reason: str
) -> None:
    result = decode(orjson.dumps({**BASE, "queue": "billing", **fields}))
    assert isinstance(result, Rejection) and result.reason == reason


def test_summary_carries_the_pillar_facts_whatever_the_message_order() -> None:
    events = [
        ev("contact.queued", 0, announced_wait=30, callback_for="c0"),
        ev("contact.answered", 20, agent_id="ann"),
        ev("contact.message", 30, role="customer", text="This is unacceptable"),
        ev(
            "contact.message",
            50,
            role="agent",
            text="I understand how frustrating",
            personalised=True,
        ),
        ev("contact.ended", 200),
        ev("contact.wrapped", 230, resolved=False, callback_due=1_772_450_000),
    ]
    results = []
    # the summary goes when ended and wrapped are both in: keep those two last in each order
    for order in (events, [events[0], *events[1:4][::-1], *events[4:]]):
        state, out = None, []
        for e in order:
            markers = relevant_markers(e) if e.type == "contact.message" else 0
            state, emitted = apply(state, e, markers, Config())
            out += [x for x in emitted if isinstance(x, Summary)]
        (summary,) = out
        results.append(summary)
    s = results[0]
    assert results[0] == results[1]
    assert (s.agent_id, s.announced_wait, s.callback_for) == ("ann", 30.0, "c0")
    assert s.callback_due == 1_772_450_000.0 and s.personalised is True
    assert s.complaint_to_empathy == 20.0


def test_pillar_weights_come_from_the_registry_passed_in(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[weights.empathy]\nempathy_timeliness = 0.0\n")
    weights = load_config(path, registry()).weights["empathy"]
    assert weights == {"empathy_coverage": 0.7, "empathy_timeliness": 0.0}
    assert load_config(None, registry()).weights["empathy"]["empathy_coverage"] == 0.7
    assert Config().weights == {}  # no file, no registry: every pillar scores with its defaults
    path.write_text("[weights.empathy]\nkindness = 1.0\n")
    with pytest.raises(ConfigError, match=r"weights\.empathy\.kindness: unknown component"):
        load_config(path, registry())
    # Only the registry given counts: no pillar is known by having been imported somewhere.
    core = {name: p for name, p in registry().items() if name in ("time_effort", "resolution")}
    path.write_text("[weights.empathy]\nempathy_coverage = 1.0\n")
    with pytest.raises(ConfigError, match=r"weights\.empathy: unknown pillar"):
        load_config(path, core)
